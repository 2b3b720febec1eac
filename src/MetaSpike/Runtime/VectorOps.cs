using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MetaSpike.Runtime;

/// <summary>Small vectorised loops shared by the raw kernels.</summary>
internal static class VectorOps
{
    /// <summary>target += scale · source, in registers of <see cref="Vector{T}"/> with a scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled<T>(Span<T> target, ReadOnlySpan<T> source, T scale) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = new Vector<T>(scale);
            var tv = MemoryMarshal.Cast<T, Vector<T>>(target);
            var sv = MemoryMarshal.Cast<T, Vector<T>>(source);
            for (int v = 0; v < tv.Length; v++) tv[v] += s * sv[v];
            i = tv.Length * Vector<T>.Count;
        }
        for (; i < target.Length; i++) target[i] += scale * source[i];
    }

    /// <summary>
    /// target [columns, rows] = source [rows, columns]ᵀ: float32 in 8 x 8 and float64 in 4 x 4 blocks of 256-bit
    /// registers (eight row loads, a shuffle network, eight column stores), the edges and other types element by element
    /// in 16 x 16 tiles, so that reads and writes both stay within a few cache lines. The element-by-element tiles alone
    /// measured 1.4 ns per float32 on a [128, 32] sample (a pooled first layer of workload (c)), the blocks 0.2 ns.
    /// </summary>
    public static unsafe void Transpose<T>(T* source, int rows, int columns, T* target) where T : unmanaged
    {
        int block = !Avx.IsSupported ? 1 : typeof(T) == typeof(float) ? 8 : typeof(T) == typeof(double) ? 4 : 1;
        int blockRows = rows - rows % block, blockColumns = columns - columns % block;
        if (block > 1)
            for (int r = 0; r < blockRows; r += block)
            for (int c = 0; c < blockColumns; c += block)
            {
                if (block == 8) Transpose8((float*)source + (long)r * columns + c, columns, (float*)target + (long)c * rows + r, rows);
                else Transpose4((double*)source + (long)r * columns + c, columns, (double*)target + (long)c * rows + r, rows);
            }
        TransposeTiles(source, rows, columns, target, 0, blockRows, blockColumns, columns);
        TransposeTiles(source, rows, columns, target, blockRows, rows, 0, columns);
    }

    /// <summary>The element-by-element transpose of source rows r0 .. r1 - 1, columns c0 .. c1 - 1, in 16 x 16 tiles.</summary>
    private static unsafe void TransposeTiles<T>(T* source, int rows, int columns, T* target, int r0, int r1, int c0, int c1) where T : unmanaged
    {
        const int Tile = 16;
        for (int tr = r0; tr < r1; tr += Tile)
        for (int tc = c0; tc < c1; tc += Tile)
            for (int c = tc; c < Math.Min(tc + Tile, c1); c++)
            for (int r = tr; r < Math.Min(tr + Tile, r1); r++)
                target[(long)c * rows + r] = source[(long)r * columns + c];
    }

    /// <summary>One 8 x 8 float32 block: rows <paramref name="sourceStride"/> apart in, columns <paramref name="targetStride"/> apart out.</summary>
    private static unsafe void Transpose8(float* source, int sourceStride, float* target, int targetStride)
    {
        var (r0, r1, r2, r3) = (Avx.LoadVector256(source), Avx.LoadVector256(source + sourceStride), Avx.LoadVector256(source + 2 * sourceStride), Avx.LoadVector256(source + 3 * sourceStride));
        var (r4, r5, r6, r7) = (Avx.LoadVector256(source + 4 * sourceStride), Avx.LoadVector256(source + 5 * sourceStride), Avx.LoadVector256(source + 6 * sourceStride), Avx.LoadVector256(source + 7 * sourceStride));
        // Pairs of rows interleaved, then pairs of pairs: each 128-bit half holds four consecutive rows of one column.
        var (t0, t1, t2, t3) = (Avx.UnpackLow(r0, r1), Avx.UnpackHigh(r0, r1), Avx.UnpackLow(r2, r3), Avx.UnpackHigh(r2, r3));
        var (t4, t5, t6, t7) = (Avx.UnpackLow(r4, r5), Avx.UnpackHigh(r4, r5), Avx.UnpackLow(r6, r7), Avx.UnpackHigh(r6, r7));
        var (u0, u1, u2, u3) = (Avx.Shuffle(t0, t2, 0x44), Avx.Shuffle(t0, t2, 0xEE), Avx.Shuffle(t1, t3, 0x44), Avx.Shuffle(t1, t3, 0xEE));
        var (u4, u5, u6, u7) = (Avx.Shuffle(t4, t6, 0x44), Avx.Shuffle(t4, t6, 0xEE), Avx.Shuffle(t5, t7, 0x44), Avx.Shuffle(t5, t7, 0xEE));
        Avx.Store(target, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(target + targetStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(target + 2 * targetStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(target + 3 * targetStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(target + 4 * targetStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(target + 5 * targetStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(target + 6 * targetStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(target + 7 * targetStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>One 4 x 4 float64 block (see <see cref="Transpose8"/>).</summary>
    private static unsafe void Transpose4(double* source, int sourceStride, double* target, int targetStride)
    {
        var (r0, r1, r2, r3) = (Avx.LoadVector256(source), Avx.LoadVector256(source + sourceStride), Avx.LoadVector256(source + 2 * sourceStride), Avx.LoadVector256(source + 3 * sourceStride));
        var (t0, t1, t2, t3) = (Avx.UnpackLow(r0, r1), Avx.UnpackHigh(r0, r1), Avx.UnpackLow(r2, r3), Avx.UnpackHigh(r2, r3));
        Avx.Store(target, Avx.Permute2x128(t0, t2, 0x20));
        Avx.Store(target + targetStride, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(target + 2 * targetStride, Avx.Permute2x128(t0, t2, 0x31));
        Avx.Store(target + 3 * targetStride, Avx.Permute2x128(t1, t3, 0x31));
    }

    /// <summary>
    /// target[i] = (byte)source[i] for whole numbers 0 .. 255 held as float32 or float64 (pooling routes): converted
    /// and narrowed a register at a time, other types element by element.
    /// </summary>
    public static unsafe void NarrowToBytes<T>(T* source, byte* target, int length) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && typeof(T) == typeof(float))
            for (; i + 2 * Vector256<float>.Count <= length; i += 2 * Vector256<float>.Count)
            {
                var words = Vector256.Narrow(Vector256.ConvertToInt32(Vector256.Load((float*)source + i)), Vector256.ConvertToInt32(Vector256.Load((float*)source + i + Vector256<float>.Count)));
                Vector128.Narrow(words.GetLower().AsUInt16(), words.GetUpper().AsUInt16()).Store(target + i);
            }
        for (; i < length; i++) target[i] = byte.CreateTruncating(source[i]);
    }

    /// <summary>What to do with the position of one nonzero found by <see cref="ForEachNonzero"/>.</summary>
    public interface INonzeroVisitor
    {
        void Visit(int position);
    }

    /// <summary>
    /// Calls <paramref name="visitor"/> with each i in [0, length) where data[i] is nonzero, in order: one comparison
    /// per register gives its nonzeros as a bit mask, so registers of zeros cost nothing more.
    /// </summary>
    public static unsafe void ForEachNonzero<T, TV>(T* data, int length, ref TV visitor) where T : unmanaged, INumber<T> where TV : struct, INonzeroVisitor
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<T>.Count <= length; i += Vector512<T>.Count)
                for (ulong mask = NonzeroMask(Vector512.Load(data + i)); mask != 0; mask &= mask - 1)
                    visitor.Visit(i + BitOperations.TrailingZeroCount(mask));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<T>.Count <= length; i += Vector256<T>.Count)
                for (ulong mask = NonzeroMask(Vector256.Load(data + i)); mask != 0; mask &= mask - 1)
                    visitor.Visit(i + BitOperations.TrailingZeroCount(mask));
        }
        for (; i < length; i++)
            if (data[i] != T.Zero) visitor.Visit(i);
    }

    /// <summary>
    /// Max pooling's rule, lane by lane: a later value replaces the running maximum when greater or NaN (the first
    /// maximum stays, a NaN wins, as in PyTorch).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> TakesMax<T>(Vector256<T> value, Vector256<T> max) => Vector256.GreaterThan(value, max) | ~Vector256.Equals(value, value);

    /// <inheritdoc cref="TakesMax{T}(Vector256{T}, Vector256{T})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> TakesMax<T>(Vector<T> value, Vector<T> max) => Vector.GreaterThan(value, max) | ~Vector.Equals(value, value);

    /// <inheritdoc cref="TakesMax{T}(Vector256{T}, Vector256{T})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TakesMax<T>(T value, T max) where T : INumber<T> => value > max || T.IsNaN(value);

    /// <summary>Rows read by <see cref="SampledDensity"/>: one in this many at the most.</summary>
    public const int DensityStride = 8;

    /// <summary>Rows read by <see cref="SampledDensity"/> from a large matrix: about this many, evenly spaced.</summary>
    public const int DensityRows = 64;

    /// <summary>
    /// The fraction of nonzeros in every s-th row of a [<paramref name="rows"/>, <paramref name="columns"/>] matrix,
    /// s = max(<see cref="DensityStride"/>, rows / <see cref="DensityRows"/>): an estimate, for choosing between sparse
    /// and dense kernels (it only picks the faster path). Spaced rows miss the prefetcher, so reading one in 8 of the
    /// tutorial workload's 5 MB input batch cost 0.04 ms; 64 rows cost next to nothing.
    /// </summary>
    public static unsafe double SampledDensity<T>(T* data, int rows, int columns) where T : unmanaged, INumber<T>
    {
        long nonzero = 0, counted = 0;
        int stride = Math.Max(DensityStride, rows / DensityRows);
        for (int r = 0; r < rows; r += stride, counted += columns)
            nonzero += CountNonzeros(data + (long)r * columns, columns);
        return counted == 0 ? 0 : (double)nonzero / counted;
    }

    /// <summary>Whether data[0 .. length) holds no NaN or infinity: x · 0 is ±0 for finite x and NaN otherwise, summed per lane.</summary>
    public static unsafe bool AllFinite<T>(T* data, long length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        var sum = Vector<T>.Zero;
        for (; i + Vector<T>.Count <= length; i += Vector<T>.Count) sum += Vector.Load(data + i) * Vector<T>.Zero;
        var tail = T.Zero;
        for (; i < length; i++) tail += data[i] * T.Zero;
        return Vector.EqualsAll(sum, Vector<T>.Zero) && tail == T.Zero;
    }

    /// <summary>difference[i] = a[i] - b[i] for i in [0, length); returns how many are nonzero.</summary>
    public static unsafe int Difference<T>(T* a, T* b, T* difference, int length) where T : unmanaged, INumber<T>
    {
        int i = 0;
        for (; i + Vector<T>.Count <= length; i += Vector<T>.Count)
            (Vector.Load(a + i) - Vector.Load(b + i)).Store(difference + i);
        for (; i < length; i++) difference[i] = a[i] - b[i];
        return CountNonzeros(difference, length);
    }

    /// <summary>The number of i in [0, length) where a[i] != b[i], a population count per register.</summary>
    public static unsafe int CountDifferences<T>(T* a, T* b, int length) where T : unmanaged, INumber<T>
    {
        int i = 0, count = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<T>.Count <= length; i += Vector512<T>.Count)
                count += BitOperations.PopCount(DifferenceMask(Vector512.Load(a + i), Vector512.Load(b + i)));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<T>.Count <= length; i += Vector256<T>.Count)
                count += BitOperations.PopCount(DifferenceMask(Vector256.Load(a + i), Vector256.Load(b + i)));
        }
        for (; i < length; i++)
            if (a[i] != b[i]) count++;
        return count;
    }

    /// <summary>The number of nonzeros in data[0 .. length), a population count per register.</summary>
    public static unsafe int CountNonzeros<T>(T* data, int length) where T : unmanaged, INumber<T>
    {
        int i = 0, count = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<T>.Count <= length; i += Vector512<T>.Count)
                count += BitOperations.PopCount(NonzeroMask(Vector512.Load(data + i)));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<T>.Count <= length; i += Vector256<T>.Count)
                count += BitOperations.PopCount(NonzeroMask(Vector256.Load(data + i)));
        }
        for (; i < length; i++)
            if (data[i] != T.Zero) count++;
        return count;
    }

    private static ulong NonzeroMask<T>(Vector512<T> v) => DifferenceMask(v, Vector512<T>.Zero);

    private static ulong NonzeroMask<T>(Vector256<T> v) => DifferenceMask(v, Vector256<T>.Zero);

    /// <summary>Bit i set where lane i of a and b differ.</summary>
    private static ulong DifferenceMask<T>(Vector512<T> a, Vector512<T> b) => ~Vector512.Equals(a, b).ExtractMostSignificantBits() & LaneMask(Vector512<T>.Count);

    private static ulong DifferenceMask<T>(Vector256<T> a, Vector256<T> b) => ~(ulong)Vector256.Equals(a, b).ExtractMostSignificantBits() & LaneMask(Vector256<T>.Count);

    private static ulong LaneMask(int lanes) => lanes == 64 ? ulong.MaxValue : (1UL << lanes) - 1;
}
