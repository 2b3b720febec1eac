using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
}
