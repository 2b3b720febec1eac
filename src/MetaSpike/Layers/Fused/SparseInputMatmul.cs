using System.Numerics;
using System.Runtime.Intrinsics;
using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>A constant sparse matrix X [rows, columns] of either precision, in the products the autograd node needs.</summary>
internal interface ISparseRows
{
    /// <summary>Y = X · M (+ bias on every row) for a contiguous M [columns, width] and bias [width] (a new tensor [rows, width]).</summary>
    Tensor Times(Tensor m, Tensor? bias);

    /// <summary>Z = Xᵀ · G for a contiguous G [rows, width] (a new tensor [columns, width]).</summary>
    Tensor TransposeTimes(Tensor g);
}

/// <summary>
/// The nonzero entries of a constant (gradient-free) matrix X [rows, columns], row by row (CSR), for products that
/// skip its zeros: spike and event inputs are mostly zeros, so X·M costs nnz x M's width instead of rows x columns x
/// M's width.
/// </summary>
internal sealed class SparseRows<T> : ISparseRows where T : unmanaged, IFloatingPointIeee754<T>
{
    private SparseRows(int rows, int columns, int[] start, int[] index, T[] values) =>
        (Rows, Columns, Start, Index, Values) = (rows, columns, start, index, values);

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Row r's entries are <c>Start[r] .. Start[r + 1] - 1</c>.</summary>
    public int[] Start { get; }

    public int[] Index { get; }

    public T[] Values { get; }

    /// <summary>The nonzeros of a contiguous CPU matrix, or null when more than <paramref name="maxDensity"/> of its entries are nonzero.</summary>
    public static unsafe SparseRows<T>? From(Tensor x, double maxDensity)
    {
        int rows = (int)x.shape[0], columns = (int)x.shape[1];
        long limit = (long)(maxDensity * rows * columns);
        var data = (nint)TensorMemory.Pointer<T>(x);
        // An input plainly denser than the limit (a hidden layer's spikes, 30-40 % ones) is turned away having read
        // a few spaced rows (VectorOps.SampledDensity): the count below would read about half of it first (0.6 ms for
        // (c)'s second layer in burn-in, [350, 4096]).
        if (rows >= 2 * VectorOps.DensityStride && VectorOps.SampledDensity((T*)data, rows, columns) > 2 * maxDensity) return null;
        // One pass over each half of the rows, on two threads for large inputs (an input batch of the tutorial
        // workload is 5 MB), chunk by chunk: the nonzeros go into pooled buffers as large as the limit allows, and a
        // half gives up as soon as its count passes the limit (so a hidden layer's spikes, too dense, cost a short
        // count). The exact-size arrays are copied out at the end; the nonzeros are few, the matrix is what costs to read.
        var start = new int[rows + 1];
        int middle = KernelThreads.Splits(rows, (long)rows * columns, ParallelScan) ? rows / 2 : rows;
        // Rented here, not on the worker threads: the pool keeps arrays per thread, and these are the large ones.
        var halves = new[] { Collected.Rent(limit, (long)middle * columns), Collected.Rent(limit, (long)(rows - middle) * columns) };
        try
        {
            KernelThreads.OneOrTwoParts(middle < rows, middle, rows, (r0, r1) =>
            {
                int half = r0 == 0 ? 0 : 1;
                halves[half] = Collect((T*)data, r0, r1, columns, halves[half], start);
            });
            long total = halves[0].Count + halves[1].Count;
            if (halves[0].Count < 0 || halves[1].Count < 0 || total > limit) return null;
            var index = new int[total];
            var values = new T[total];
            int first = halves[0].Count;
            Array.Copy(halves[0].Index, index, first);
            Array.Copy(halves[0].Values, values, first);
            Array.Copy(halves[1].Index, 0, index, first, halves[1].Count);
            Array.Copy(halves[1].Values, 0, values, first, halves[1].Count);
            for (int r = 0; r < rows; r++) start[r + 1] += start[r];
            return new SparseRows<T>(rows, columns, start, index, values);
        }
        finally
        {
            foreach (var half in halves) half.Return();
        }
    }

    /// <summary>Matrices with fewer entries than this are scanned on one thread.</summary>
    private const long ParallelScan = 1 << 18;

    /// <summary>Entries scanned between two checks against the limit.</summary>
    private const int ScanChunk = 1 << 14;

    /// <summary>A half's nonzeros in pooled buffers of Capacity entries; Count is -1 when the half has more.</summary>
    private readonly record struct Collected(int[] Index, T[] Values, int Capacity, int Count)
    {
        public static Collected Rent(long limit, long length)
        {
            int capacity = (int)Math.Min(limit, length);
            return new Collected(System.Buffers.ArrayPool<int>.Shared.Rent(capacity), System.Buffers.ArrayPool<T>.Shared.Rent(capacity), capacity, 0);
        }

        public void Return()
        {
            System.Buffers.ArrayPool<int>.Shared.Return(Index);
            System.Buffers.ArrayPool<T>.Shared.Return(Values);
        }
    }

    /// <summary>The nonzeros of rows r0 .. r1 - 1 into <paramref name="buffers"/>, each counted in its row's Start[row + 1].</summary>
    private static unsafe Collected Collect(T* data, int r0, int r1, int columns, Collected buffers, int[] start)
    {
        long length = (long)(r1 - r0) * columns;
        T* first = data + (long)r0 * columns;
        // A first chunk denser than the limit hints at a dense input (a hidden layer's spikes): then the whole half
        // is counted before anything is written, so it is turned away at the cost of counting alone.
        int probe = (int)Math.Min(ScanChunk, length);
        if ((long)VectorOps.CountNonzeros(first, probe) * length > (long)buffers.Capacity * probe)
        {
            long count = 0;
            for (long i = 0; i < length; i += ScanChunk)
                if ((count += VectorOps.CountNonzeros(first + i, (int)Math.Min(ScanChunk, length - i))) > buffers.Capacity) return buffers with { Count = -1 };
        }
        fixed (int* ip = buffers.Index, sp = start)
        fixed (T* vp = buffers.Values)
        {
            var entries = new Entries { Data = first, Row0 = r0, Columns = columns, Index = ip, Values = vp, Start = sp, Capacity = buffers.Capacity };
            for (long i = 0; i < length; i += ScanChunk)
            {
                entries.Offset = (int)i;
                VectorOps.ForEachNonzero(entries.Data + i, (int)Math.Min(ScanChunk, length - i), ref entries);
                if (entries.Count > buffers.Capacity) return buffers with { Count = -1 };
            }
            return buffers with { Count = entries.Count };
        }
    }

    /// <summary>Writes each nonzero's column and value in turn (while they fit) and counts it in its row's Start[row + 1].</summary>
    private unsafe struct Entries : VectorOps.INonzeroVisitor
    {
        public T* Data, Values;
        public int* Index, Start;
        public int Row0, Columns, Offset, Capacity, Count;

        public void Visit(int position)
        {
            if (Count >= Capacity)
            {
                Count++;
                return;
            }
            int at = Offset + position;
            Index[Count] = at % Columns;
            Values[Count++] = Data[at];
            Start[Row0 + at / Columns + 1]++;
        }
    }

    /// <inheritdoc />
    public unsafe Tensor Times(Tensor m, Tensor? bias)
    {
        int width = (int)m.shape[1];
        var y = empty([Rows, width], m.dtype);
        var (mp, yp) = ((nint)TensorMemory.Pointer<T>(m), (nint)TensorMemory.Pointer<T>(y));
        var bp = bias is null ? 0 : (nint)TensorMemory.Pointer<T>(bias);
        bool shortRows = ShortRows.Fit<T>(width);
        KernelThreads.OneOrTwoParts((long)Index.Length * width >= ParallelWork, Rows / 2, Rows, (r0, r1) =>
        {
            if (shortRows)
            {
                var job = new ShortRowsTimes { Rows = this, M = (T*)mp, Y = (T*)yp, Bias = (T*)bp, Width = width, R0 = r0, R1 = r1 };
                ShortRows.Run<T, ShortRowsTimes>(ref job, width);
            }
            else
                RowsTimes((T*)mp, (T*)yp, (T*)bp, width, r0, r1);
        });
        return y;
    }

    /// <inheritdoc />
    public unsafe Tensor TransposeTimes(Tensor g)
    {
        int width = (int)g.shape[1];
        var (gp, count) = ((nint)TensorMemory.Pointer<T>(g), (long)Columns * width);
        if (ShortRows.Fit<T>(width))
        {
            // Rows of Z are updated a whole register at a time, so Z gets a register's worth of room at its end.
            var padded = zeros([count + Vector512<T>.Count], g.dtype);
            var job = new ShortTransposeTimes { Rows = this, G = (T*)gp, Z = TensorMemory.Pointer<T>(padded), Width = width };
            ShortRows.Run<T, ShortTransposeTimes>(ref job, width);
            return padded.narrow(0, 0, count).view(Columns, width);
        }
        var z = zeros([Columns, width], g.dtype);
        var zp = (nint)TensorMemory.Pointer<T>(z);
        // Each thread owns half of Z's columns, so no two threads add into the same element.
        KernelThreads.OneOrTwoParts((long)Index.Length * width >= ParallelWork && width >= 2 * Vector<T>.Count,
            width / 2 / Vector<T>.Count * Vector<T>.Count, width, (c0, c1) => TransposeTimes((T*)gp, (T*)zp, width, c0, c1));
        return z;
    }

    /// <summary>Products with fewer multiply-adds than this run on one thread.</summary>
    private const long ParallelWork = 1 << 17;

    private unsafe void RowsTimes(T* m, T* y, T* bias, int width, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            var target = new Span<T>(y + (long)r * width, width);
            if (bias == null) target.Clear();
            else new ReadOnlySpan<T>(bias, width).CopyTo(target);
            for (int k = Start[r]; k < Start[r + 1]; k++)
                VectorOps.AddScaled(target, new ReadOnlySpan<T>(m + (long)Index[k] * width, width), Values[k]);
        }
    }

    /// <summary>
    /// Y = X · M (+ bias) for rows of M that fit one register: each row of Y is summed in a register (read from M a
    /// whole register at a time, the spare lanes taking the next rows' values and landing on rows written later) and
    /// written once, instead of one short span operation per nonzero (0.08 ms of the tutorial workload's step at H = 4).
    /// </summary>
    private unsafe struct ShortRowsTimes : IShortRowJob<T>
    {
        public SparseRows<T> Rows;
        public T* M, Y, Bias;
        public int Width, R0, R1;

        public readonly void Run<TV, TL>() where TV : unmanaged where TL : ILanes<TV, T>
        {
            var (start, index, values) = (Rows.Start, Rows.Index, Rows.Values);
            int whole = ShortRows<T, TV, TL>.WholeRowsBelow(Rows.Columns, Width);
            var initial = Bias == null ? TL.Broadcast(T.Zero) : ShortRows<T, TV, TL>.Strided(Bias, 1, Width);
            for (int r = R0; r < R1; r++)
            {
                var sum = initial;
                for (int k = start[r]; k < start[r + 1]; k++)
                {
                    T* row = M + (long)index[k] * Width;
                    sum = TL.MultiplyAdd(TL.Broadcast(values[k]), index[k] < whole ? TL.Load(row) : ShortRows<T, TV, TL>.Strided(row, 1, Width), sum);
                }
                ShortRows<T, TV, TL>.StoreRow(sum, Y + (long)r * Width, Width, (long)(R1 - r) * Width);
            }
        }
    }

    /// <summary>
    /// Z = Xᵀ · G for rows of G that fit one register, on one thread: each nonzero adds its scaled row of G to a row of
    /// Z a whole register at a time, the spare lanes keeping the neighbouring rows' values (Z has a register's worth of
    /// room after its end).
    /// </summary>
    private unsafe struct ShortTransposeTimes : IShortRowJob<T>
    {
        public SparseRows<T> Rows;
        public T* G, Z;
        public int Width;

        public readonly void Run<TV, TL>() where TV : unmanaged where TL : ILanes<TV, T>
        {
            var (start, index, values) = (Rows.Start, Rows.Index, Rows.Values);
            int whole = ShortRows<T, TV, TL>.WholeRowsBelow(Rows.Rows, Width);
            var own = ShortRows<T, TV, TL>.FirstLanes(Width);
            for (int r = 0; r < Rows.Rows; r++)
            {
                if (start[r] == start[r + 1]) continue;
                T* source = G + (long)r * Width;
                var g = r < whole ? TL.Load(source) : ShortRows<T, TV, TL>.Strided(source, 1, Width);
                for (int k = start[r]; k < start[r + 1]; k++)
                {
                    T* target = Z + (long)index[k] * Width;
                    var current = TL.Load(target);
                    TL.Store(TL.Select(own, TL.MultiplyAdd(TL.Broadcast(values[k]), g, current), current), target);
                }
            }
        }
    }

    private unsafe void TransposeTimes(T* g, T* z, int width, int c0, int c1)
    {
        for (int r = 0; r < Rows; r++)
        {
            var source = new ReadOnlySpan<T>(g + (long)r * width + c0, c1 - c0);
            for (int k = Start[r]; k < Start[r + 1]; k++)
                VectorOps.AddScaled(new Span<T>(z + (long)Index[k] * width + c0, c1 - c0), source, Values[k]);
        }
    }
}

/// <summary>
/// Products with a constant sparse matrix X as autograd operations (<see cref="SparseProductFunction"/>): X · M and
/// Xᵀ · G, each differentiable in its dense argument. Both are linear and each one's backward is the other, so
/// derivatives of any order exist (second-order MAML runs through them).
/// </summary>
internal static class SparseInputMatmul
{
    /// <summary>Inputs with more nonzeros than this fraction take the dense product (measured crossover well above spike densities).</summary>
    internal static double MaxDensity { get; set; } = 0.1;

    /// <summary>
    /// x · wᵀ (+ bias) skipping x's zeros, or null when the event-driven product does not apply: x carries a gradient,
    /// is not a CPU float32/float64 matrix of w's dtype, or is denser than <see cref="MaxDensity"/>, or the bias is not
    /// a vector of w's rows, dtype and device.
    /// </summary>
    public static Tensor? TryLinear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (x.requires_grad || x.dim() != 2 || x.device_type != DeviceType.CPU || weight.device_type != DeviceType.CPU
            || x.dtype != weight.dtype || x.dtype is not (ScalarType.Float32 or ScalarType.Float64) || x.numel() >= int.MaxValue
            || !ProductBias.IsBiasOf(bias, weight))
            return null;
        var contiguous = x.contiguous();
        ISparseRows? rows = x.dtype == ScalarType.Float32
            ? SparseRows<float>.From(contiguous, MaxDensity)
            : SparseRows<double>.From(contiguous, MaxDensity);
        return rows is null ? null : SparseProductFunction.apply(weight.t().contiguous(), rows, false, bias);
    }
}

/// <summary>
/// X · M (+ a bias row) or Xᵀ · M (when transposed) as an autograd node; the gradient to M is the other product of
/// the same X with the incoming gradient, so the backward is this node again, transposed the other way; the bias's
/// gradient is the column sums of the incoming gradient.
/// </summary>
internal sealed class SparseProductFunction : torch.autograd.SingleTensorFunction<SparseProductFunction>
{
    private const string RowsKey = "rows", TransposedKey = "transposed";

    public override string Name => "MetaSpikeSparseInputProduct";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (dense, rows, transposed) = (((Tensor)vars[0]).contiguous(), (ISparseRows)vars[1], (bool)vars[2]);
        var bias = ProductBias.Save(ctx, vars, 3);
        ctx.save_data(RowsKey, rows);
        ctx.save_data(TransposedKey, transposed);
        return transposed ? rows.TransposeTimes(dense) : rows.Times(dense, bias?.contiguous());
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad) =>
        ProductBias.Gradients(ctx, grad, [apply(grad, ctx.get_data(RowsKey), !(bool)ctx.get_data(TransposedKey)), null!, null!]);
}
