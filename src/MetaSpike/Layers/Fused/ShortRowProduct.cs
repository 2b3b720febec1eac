using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MetaSpike.Neurons.Fused;

namespace MetaSpike.Layers.Fused;

/// <summary>A kernel written once over a register type, run by <see cref="ShortRows.Run"/> on the widest register that fits.</summary>
internal interface IShortRowJob<T> where T : unmanaged
{
    /// <summary>Runs the kernel with registers <typeparamref name="TV"/>.</summary>
    void Run<TV, TL>() where TV : unmanaged where TL : ILanes<TV, T>;
}

/// <summary>
/// Kernels for rows shorter than one register (a layer with a few neurons, such as the tutorial's 4 hidden and 2
/// output neurons over 12,800 rows): a whole row is one register, read or written at once, where kernels looping
/// over a row's registers would not loop at all and fall to scalar code.
/// </summary>
internal static class ShortRows
{
    /// <summary>Whether rows of <paramref name="width"/> values fit one register of <typeparamref name="T"/> on this machine.</summary>
    public static bool Fit<T>(int width) where T : unmanaged => width <= (Vector512.IsHardwareAccelerated ? Vector512<T>.Count
        : Vector256.IsHardwareAccelerated ? Vector256<T>.Count : 0);

    /// <summary>
    /// Runs <paramref name="job"/> with the narrowest register that holds rows of <paramref name="width"/>: a wider one
    /// would make every row's read and write span the next rows, and such overlapping accesses split cache lines and
    /// defeat store forwarding (512-bit registers for rows of 4 floats measured 1.1-1.4x slower than 128-bit ones).
    /// </summary>
    public static void Run<T, TJob>(ref TJob job, int width) where T : unmanaged, IFloatingPointIeee754<T> where TJob : struct, IShortRowJob<T>
    {
        if (!Fit<T>(width))
            throw new InvalidOperationException($"rows of {width} values do not fit one register here.");
        if (width <= Vector128<T>.Count && Vector128.IsHardwareAccelerated)
            job.Run<Vector128<T>, Lanes128<T>>();
        else if (width <= Vector256<T>.Count && Vector256.IsHardwareAccelerated)
            job.Run<Vector256<T>, Lanes256<T>>();
        else
            job.Run<Vector512<T>, Lanes512<T>>();
    }
}

/// <summary>Reading and writing a short row as one register.</summary>
internal static unsafe class ShortRows<T, TV, TL> where T : unmanaged, IFloatingPointIeee754<T> where TV : unmanaged where TL : ILanes<TV, T>
{
    /// <summary>A register with source[0], source[stride], ... in its first <paramref name="count"/> lanes and zeros after.</summary>
    public static TV Strided(T* source, long stride, int count)
    {
        var lanes = stackalloc T[TL.Count];
        for (int i = 0; i < TL.Count; i++) lanes[i] = i < count ? source[i * stride] : T.Zero;
        return TL.Load(lanes);
    }

    /// <summary>A register with ones in its first <paramref name="count"/> lanes and zeros after (a lane mask for <c>Select</c>).</summary>
    public static TV FirstLanes(int count)
    {
        var lanes = stackalloc T[TL.Count];
        for (int i = 0; i < TL.Count; i++) lanes[i] = i < count ? T.One : T.Zero;
        return TL.Load(lanes);
    }

    /// <summary>
    /// Writes the first <paramref name="count"/> lanes of <paramref name="value"/> to <paramref name="target"/>: the
    /// whole register when <paramref name="room"/> elements are left before the range's end (the extra lanes land on
    /// the next rows, written after this one), else lane by lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow(TV value, T* target, int count, long room)
    {
        if (room >= TL.Count) TL.Store(value, target);
        else StoreLanes(value, target, count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreLanes(TV value, T* target, int count)
    {
        var lanes = stackalloc T[TL.Count];
        TL.Store(value, lanes);
        for (int i = 0; i < count; i++) target[i] = lanes[i];
    }

    /// <summary>The first index from which rows r .. <paramref name="end"/> - 1 of <paramref name="width"/> values cannot be read as whole registers without passing row <paramref name="end"/>.</summary>
    public static int WholeRowsBelow(int end, int width) => end - (TL.Count + width - 1) / width + 1;
}

/// <summary>
/// The three products of <see cref="NarrowProductKind"/> when the wide side k is shorter than
/// <see cref="NarrowProduct.MinWide"/> as well — a layer with a few inputs and outputs, such as the tutorial's
/// Linear(4, 2): a row of X (k values) and a row's n outputs each fit in one register, so a row costs a few
/// broadcast multiply-adds and one store; BLAS took 0.02-0.04 ms for each such product.
/// </summary>
internal static class ShortRowProduct
{
    /// <summary>Whether rows of <paramref name="k"/> values with <paramref name="n"/> outputs fit one register of <typeparamref name="T"/>.</summary>
    public static bool Fits<T>(int n, int k) where T : unmanaged => ShortRows.Fit<T>(Math.Max(n, k));

    /// <summary>
    /// Rows r0 .. r1 - 1 of the product of <paramref name="kind"/> (operands and result as in
    /// <see cref="NarrowProduct.Compute"/>; Correlate adds into its result), for shapes that <see cref="Fits{T}"/>.
    /// </summary>
    public static unsafe void Run<T>(NarrowProductKind kind, T* a, T* b, T* bias, T* result, int n, int k, int r0, int r1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new Job<T> { Kind = kind, A = a, B = b, Bias = bias, Result = result, N = n, K = k, R0 = r0, R1 = r1 };
        ShortRows.Run<T, Job<T>>(ref job, Math.Max(n, k));
    }

    private unsafe struct Job<T> : IShortRowJob<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public NarrowProductKind Kind;
        public T* A, B, Bias, Result;
        public int N, K, R0, R1;

        public readonly void Run<TV, TL>() where TV : unmanaged where TL : ILanes<TV, T> =>
            ShortRowKernels<T, TV, TL>.Run(Kind, A, B, Bias, Result, N, K, R0, R1);
    }
}

/// <summary>The kernels of <see cref="ShortRowProduct"/> for one register type.</summary>
internal static unsafe class ShortRowKernels<T, TV, TL>
    where T : unmanaged, IFloatingPointIeee754<T> where TV : unmanaged where TL : ILanes<TV, T>
{
    private static TV Strided(T* source, long stride, int count) => ShortRows<T, TV, TL>.Strided(source, stride, count);

    private static void StoreRow(TV value, T* target, int count, long room) => ShortRows<T, TV, TL>.StoreRow(value, target, count, room);

    public static void Run(NarrowProductKind kind, T* a, T* b, T* bias, T* result, int n, int k, int r0, int r1)
    {
        switch (kind)
        {
            case NarrowProductKind.Project:
                Project(a, b, bias, result, n, k, r0, r1);
                break;
            case NarrowProductKind.Expand:
                Expand(a, b, result, n, k, r0, r1);
                break;
            default:
                Correlate(a, b, result, n, k, r0, r1);
                break;
        }
    }

    /// <summary>y[r, :] = Σ_c x[r, c] w[:, c] (+ bias): the columns of W [n, k] in registers, one multiply-add per input.</summary>
    private static void Project(T* x, T* w, T* bias, T* y, int n, int k, int r0, int r1)
    {
        var columns = stackalloc TV[k];
        for (int c = 0; c < k; c++) columns[c] = Strided(w + c, k, n);
        var start = bias == null ? TL.Broadcast(T.Zero) : Strided(bias, 1, n);
        for (int r = r0; r < r1; r++)
        {
            T* row = x + (long)r * k;
            var sum = start;
            for (int c = 0; c < k; c++) sum = TL.MultiplyAdd(TL.Broadcast(row[c]), columns[c], sum);
            StoreRow(sum, y + (long)r * n, n, (long)(r1 - r) * n);
        }
    }

    /// <summary>z[r, :] = Σ_j g[r, j] w[j, :]: the rows of W [n, k] in registers, one multiply-add per output.</summary>
    private static void Expand(T* g, T* w, T* z, int n, int k, int r0, int r1)
    {
        var rows = stackalloc TV[n];
        for (int j = 0; j < n; j++) rows[j] = Strided(w + (long)j * k, 1, k);
        for (int r = r0; r < r1; r++)
        {
            T* coefficients = g + (long)r * n;
            var sum = TL.Multiply(TL.Broadcast(coefficients[0]), rows[0]);
            for (int j = 1; j < n; j++) sum = TL.MultiplyAdd(TL.Broadcast(coefficients[j]), rows[j], sum);
            StoreRow(sum, z + (long)r * k, k, (long)(r1 - r) * k);
        }
    }

    /// <summary>
    /// z[j, :] += Σ_r g[r, j] x[r, :] over rows r0 .. r1 - 1, one output at a time with four independent sums (the
    /// rows are short, so reading X n times costs little). A register read at a row takes the next rows' values in
    /// its spare lanes, which only the discarded lanes of the sum see; the last rows are read into a padded copy so no
    /// read passes the range.
    /// </summary>
    private static void Correlate(T* g, T* x, T* z, int n, int k, int r0, int r1)
    {
        var padded = stackalloc T[TL.Count];
        int whole = Math.Max(r0, ShortRows<T, TV, TL>.WholeRowsBelow(r1, k));
        for (int j = 0; j < n; j++)
        {
            var (s0, s1, s2, s3) = (TL.Broadcast(T.Zero), TL.Broadcast(T.Zero), TL.Broadcast(T.Zero), TL.Broadcast(T.Zero));
            int r = r0;
            for (; r + 4 <= whole; r += 4)
            {
                s0 = TL.MultiplyAdd(TL.Broadcast(g[(long)r * n + j]), TL.Load(x + (long)r * k), s0);
                s1 = TL.MultiplyAdd(TL.Broadcast(g[(long)(r + 1) * n + j]), TL.Load(x + (long)(r + 1) * k), s1);
                s2 = TL.MultiplyAdd(TL.Broadcast(g[(long)(r + 2) * n + j]), TL.Load(x + (long)(r + 2) * k), s2);
                s3 = TL.MultiplyAdd(TL.Broadcast(g[(long)(r + 3) * n + j]), TL.Load(x + (long)(r + 3) * k), s3);
            }
            for (; r < whole; r++) s0 = TL.MultiplyAdd(TL.Broadcast(g[(long)r * n + j]), TL.Load(x + (long)r * k), s0);
            for (; r < r1; r++) s0 = TL.MultiplyAdd(TL.Broadcast(g[(long)r * n + j]), Strided(x + (long)r * k, 1, k), s0);
            TL.Store(TL.Add(TL.Add(s0, s1), TL.Add(s2, s3)), padded);
            for (int c = 0; c < k; c++) z[(long)j * k + c] += padded[c];
        }
    }
}
