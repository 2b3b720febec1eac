using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    /// target = source where source &gt; target or source is NaN, element by element: a running maximum with
    /// max pooling's rule (the first maximum stays, a NaN wins), in registers of <see cref="Vector{T}"/> with a scalar tail.
    /// </summary>
    public static void MaxInto<T>(Span<T> target, ReadOnlySpan<T> source) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var tv = MemoryMarshal.Cast<T, Vector<T>>(target);
            var sv = MemoryMarshal.Cast<T, Vector<T>>(source);
            for (int v = 0; v < tv.Length; v++) tv[v] = Vector.ConditionalSelect(Takes(sv[v], tv[v]), sv[v], tv[v]);
            i = tv.Length * Vector<T>.Count;
        }
        for (; i < target.Length; i++)
            if (Takes(source[i], target[i])) target[i] = source[i];
    }

    /// <summary>
    /// <see cref="MaxInto{T}(Span{T}, ReadOnlySpan{T})"/> that also sets <paramref name="routes"/> to
    /// <paramref name="route"/> where source is taken (routes are kept as T so that a mask selects them lane for lane).
    /// </summary>
    public static void MaxInto<T>(Span<T> target, ReadOnlySpan<T> source, Span<T> routes, T route) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var tv = MemoryMarshal.Cast<T, Vector<T>>(target);
            var sv = MemoryMarshal.Cast<T, Vector<T>>(source);
            var rv = MemoryMarshal.Cast<T, Vector<T>>(routes);
            var r = new Vector<T>(route);
            for (int v = 0; v < tv.Length; v++)
            {
                var take = Takes(sv[v], tv[v]);
                tv[v] = Vector.ConditionalSelect(take, sv[v], tv[v]);
                rv[v] = Vector.ConditionalSelect(take, r, rv[v]);
            }
            i = tv.Length * Vector<T>.Count;
        }
        for (; i < target.Length; i++)
            if (Takes(source[i], target[i])) (target[i], routes[i]) = (source[i], route);
    }

    /// <summary>Max pooling's rule: a later value replaces the running maximum when greater or NaN.</summary>
    private static Vector<T> Takes<T>(Vector<T> source, Vector<T> target) where T : unmanaged, INumber<T> =>
        Vector.GreaterThan(source, target) | ~Vector.Equals(source, source);

    private static bool Takes<T>(T source, T target) where T : INumber<T> => source > target || T.IsNaN(source);

    /// <summary>
    /// target [columns, rows] = source [rows, columns]ᵀ in 16 x 16 tiles, so that reads and writes both stay within a
    /// few cache lines (an element-by-element transpose of a sample's 64 KB measured several times slower).
    /// </summary>
    public static unsafe void Transpose<T>(T* source, int rows, int columns, T* target) where T : unmanaged
    {
        const int Tile = 16;
        for (int r0 = 0; r0 < rows; r0 += Tile)
        for (int c0 = 0; c0 < columns; c0 += Tile)
        {
            int r1 = Math.Min(r0 + Tile, rows), c1 = Math.Min(c0 + Tile, columns);
            for (int c = c0; c < c1; c++)
            for (int r = r0; r < r1; r++)
                target[(long)c * rows + r] = source[(long)r * columns + c];
        }
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
    /// The fraction of nonzeros in rows 0, <paramref name="stride"/>, 2 · <paramref name="stride"/>, ... of a
    /// [<paramref name="rows"/>, <paramref name="columns"/>] matrix: an estimate, for choosing between sparse and dense
    /// kernels, that reads one row in <paramref name="stride"/>.
    /// </summary>
    public static unsafe double SampledDensity<T>(T* data, int rows, int columns, int stride) where T : unmanaged, INumber<T>
    {
        long nonzero = 0, counted = 0;
        for (int r = 0; r < rows; r += stride, counted += columns)
            nonzero += CountNonzeros(data + (long)r * columns, columns);
        return counted == 0 ? 0 : (double)nonzero / counted;
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

    private static ulong NonzeroMask<T>(Vector512<T> v) => ~Vector512.Equals(v, Vector512<T>.Zero).ExtractMostSignificantBits() & LaneMask(Vector512<T>.Count);

    private static ulong NonzeroMask<T>(Vector256<T> v) => ~(ulong)Vector256.Equals(v, Vector256<T>.Zero).ExtractMostSignificantBits() & LaneMask(Vector256<T>.Count);

    private static ulong LaneMask(int lanes) => lanes == 64 ? ulong.MaxValue : (1UL << lanes) - 1;
}
