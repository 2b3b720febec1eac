using System.Numerics;
using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>A max pooling (square window, stride, no padding) that a convolution kernel applies to its output.</summary>
/// <param name="Kernel">Window side.</param>
/// <param name="Stride">Step between windows.</param>
internal sealed record PoolWindow(int Kernel, int Stride)
{
    /// <summary>Pooled size of a side of <paramref name="size"/> (windows that fit, as PyTorch's floor mode).</summary>
    public int Out(int size) => (size - Kernel) / Stride + 1;
}

/// <summary>
/// How a convolution kernel writes each sample's channel-last sums [OH · OW, Cout] into its channel-first output
/// [N, Cout, ., .]: transposed as they are, or first max-pooled in place by a <see cref="PoolWindow"/> (gradient-free
/// runs: a convolution followed by max pooling then never writes, nor reads back, its full-size output, four times
/// the pooled one for 2 x 2 windows).
/// </summary>
internal sealed class SampleOutput
{
    private readonly ConvGeometry _g;
    private readonly PoolWindow? _pool;

    /// <summary>The output of convolutions of geometry <paramref name="g"/>, pooled by <paramref name="pool"/> when given.</summary>
    /// <exception cref="ArgumentException">The window does not fit in the convolution's output.</exception>
    public SampleOutput(ConvGeometry g, PoolWindow? pool)
    {
        if (pool is not null && (pool.Kernel < 1 || pool.Stride < 1 || pool.Kernel > g.OutHeight || pool.Kernel > g.OutWidth))
            throw new ArgumentException($"A {pool.Kernel} x {pool.Kernel} pooling window does not fit in {g.OutHeight} x {g.OutWidth} outputs.", nameof(pool));
        (_g, _pool) = (g, pool);
        (Height, Width) = pool is null ? (g.OutHeight, g.OutWidth) : (pool.Out(g.OutHeight), pool.Out(g.OutWidth));
    }

    /// <summary>Written height.</summary>
    public int Height { get; }

    /// <summary>Written width.</summary>
    public int Width { get; }

    /// <summary>A new [samples, Cout, <see cref="Height"/>, <see cref="Width"/>] for the kernel to fill.</summary>
    public Tensor Allocate(long samples, ScalarType dtype) => empty([samples, _g.OutChannels, Height, Width], dtype);

    /// <summary>Writes sample <paramref name="n"/>'s channel-last sums into <paramref name="output"/> (pooling overwrites the sums).</summary>
    public unsafe void Write<T>(T* sums, T* output, int n) where T : unmanaged, INumber<T>
    {
        int channels = _g.OutChannels, plane = Height * Width;
        if (_pool is { } pool)
        {
            // In place, in output order: output q's window starts at or after row q, past every row written before it.
            for (int py = 0; py < Height; py++)
            for (int px = 0; px < Width; px++)
            {
                T* target = sums + (long)(py * Width + px) * channels;
                T* corner = sums + ((long)py * pool.Stride * _g.OutWidth + px * pool.Stride) * channels;
                if (target != corner) new ReadOnlySpan<T>(corner, channels).CopyTo(new Span<T>(target, channels));
                for (int dy = 0; dy < pool.Kernel; dy++)
                for (int dx = dy == 0 ? 1 : 0; dx < pool.Kernel; dx++)
                    VectorOps.MaxInto(new Span<T>(target, channels), new ReadOnlySpan<T>(corner + ((long)dy * _g.OutWidth + dx) * channels, channels));
            }
        }
        VectorOps.Transpose(sums, plane, channels, output + (long)n * channels * plane);
    }
}
