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
}
