using System.Buffers;
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

    /// <summary>
    /// The full-size (row, column) that route <paramref name="route"/> (offset in the window, row-major) of pooled
    /// position <paramref name="q"/> names, for pooled rows of <paramref name="pooledWidth"/>.
    /// </summary>
    public (int Row, int Column) At(int q, int route, int pooledWidth) =>
        (q / pooledWidth * Stride + route / Kernel, q % pooledWidth * Stride + route % Kernel);
}

/// <summary>
/// How a convolution kernel writes each sample's channel-last sums [OH · OW, Cout] into its channel-first output
/// [N, Cout, ., .]: transposed as they are, or first max-pooled in place by a <see cref="PoolWindow"/> (gradient-free
/// runs: a convolution followed by max pooling then never writes, nor reads back, its full-size output, four times
/// the pooled one for 2 x 2 windows). A routed writer also keeps each pooled value's route, the offset of its
/// maximum in its window (row-major, the first maximum, a NaN wins: <see cref="MaxPoolKernels"/>'s rule), so that a
/// gradient window's forward pools in the kernel too.
/// </summary>
internal sealed unsafe class SampleOutput
{
    private readonly ConvGeometry _g;
    private readonly PoolWindow? _pool;
    private readonly bool _routed;
    private readonly SampleRoutes? _at;
    private byte* _routes;

    /// <summary>The output of convolutions of geometry <paramref name="g"/> read at fixed routes: each pooled value is the full-size sum its route names.</summary>
    public SampleOutput(ConvGeometry g, SampleRoutes at) : this(g, at.Pool) => _at = at;

    /// <summary>The output of convolutions of geometry <paramref name="g"/>, pooled by <paramref name="pool"/> when given, keeping the routes when <paramref name="routed"/>.</summary>
    /// <exception cref="ArgumentException">The window does not fit in the convolution's output, or routes are asked for without a window or for more than 256 window positions.</exception>
    public SampleOutput(ConvGeometry g, PoolWindow? pool, bool routed = false)
    {
        if (pool is not null && (pool.Kernel < 1 || pool.Stride < 1 || pool.Kernel > g.OutHeight || pool.Kernel > g.OutWidth))
            throw new ArgumentException($"A {pool.Kernel} x {pool.Kernel} pooling window does not fit in {g.OutHeight} x {g.OutWidth} outputs.", nameof(pool));
        if (routed && (pool is null || pool.Kernel * pool.Kernel > byte.MaxValue + 1))
            throw new ArgumentException("Routes need a pooling window of at most 256 positions.", nameof(routed));
        (_g, _pool, _routed) = (g, pool, routed);
        (Height, Width) = pool is null ? (g.OutHeight, g.OutWidth) : (pool.Out(g.OutHeight), pool.Out(g.OutWidth));
    }

    /// <summary>The routes [samples, Cout, <see cref="Height"/>, <see cref="Width"/>] of the last <see cref="Allocate"/> of a routed writer (else null).</summary>
    public Tensor? Routes { get; private set; }

    /// <summary>Written height.</summary>
    public int Height { get; }

    /// <summary>Written width.</summary>
    public int Width { get; }

    /// <summary>A new [samples, Cout, <see cref="Height"/>, <see cref="Width"/>] for the kernel to fill (and, routed, <see cref="Routes"/> of that shape).</summary>
    public Tensor Allocate(long samples, ScalarType dtype)
    {
        long[] shape = [samples, _g.OutChannels, Height, Width];
        if (_routed)
        {
            Routes = empty(shape, ScalarType.Byte);
            _routes = TensorMemory.Pointer<byte>(Routes);
        }
        return empty(shape, dtype);
    }

    /// <summary>Writes sample <paramref name="n"/>'s channel-last sums into <paramref name="output"/> (pooling overwrites the sums).</summary>
    public void Write<T>(T* sums, T* output, int n) where T : unmanaged, INumber<T>
    {
        if (_at is not null)
        {
            _at.Gather(sums, output, n);
            return;
        }
        WriteVia(sums, sums, output, n);
    }

    /// <summary>
    /// <see cref="Write"/> leaving the sums as they are: pooling goes to <paramref name="pooled"/> ([Height · Width,
    /// Cout]). For kernels that keep a sample's sums for the next (<see cref="GatherConv"/>'s delta chains); not for
    /// writers at fixed routes.
    /// </summary>
    public void WriteKeeping<T>(T* sums, T* pooled, T* output, int n) where T : unmanaged, INumber<T>
    {
        if (_at is not null) throw new InvalidOperationException("A writer at fixed routes reads the full-size sums; it has nothing to keep.");
        WriteVia(sums, pooled, output, n);
    }

    /// <summary>How many values of T <see cref="WriteKeeping"/> pools into.</summary>
    public int Written => Height * Width * _g.OutChannels;

    private void WriteVia<T>(T* sums, T* pooled, T* output, int n) where T : unmanaged, INumber<T>
    {
        int channels = _g.OutChannels, plane = Height * Width;
        if (_pool is { } pool) Pool(sums, pooled, pool, n);
        else pooled = sums;
        VectorOps.Transpose(pooled, plane, channels, output + (long)n * channels * plane);
    }

    /// <summary>
    /// Max-pools sample <paramref name="n"/>'s channel-last sums into <paramref name="pooled"/>, which may be the sums
    /// themselves: in output order, output q's window starts at or after row q, past every row written before it. A
    /// register of channels at a time through the whole window.
    /// A routed writer keeps each maximum's window offset beside it, channel-last as T, and writes them out
    /// channel-first as bytes at the end.
    /// </summary>
    private void Pool<T>(T* sums, T* pooled, PoolWindow pool, int n) where T : unmanaged, INumber<T>
    {
        int channels = _g.OutChannels, plane = Height * Width, window = pool.Kernel * pool.Kernel, lanes = Vector<T>.Count;
        int* shifts = stackalloc int[window];
        for (int r = 0; r < window; r++) shifts[r] = (r / pool.Kernel * _g.OutWidth + r % pool.Kernel) * channels;
        T[]? routeBuffer = _routed ? ArrayPool<T>.Shared.Rent(2 * plane * channels) : null;
        fixed (T* routes = routeBuffer)
        {
            for (int py = 0; py < Height; py++)
            for (int px = 0; px < Width; px++)
            {
                int q = py * Width + px;
                T* target = pooled + (long)q * channels, corner = sums + ((long)py * pool.Stride * _g.OutWidth + px * pool.Stride) * channels;
                T* routeTarget = routes + (long)q * channels;
                int c = 0;
                for (; c + lanes <= channels; c += lanes)
                {
                    var max = Vector.Load(corner + c);
                    var route = Vector<T>.Zero;
                    for (int r = 1; r < window; r++)
                    {
                        var value = Vector.Load(corner + shifts[r] + c);
                        var take = VectorOps.TakesMax(value, max);
                        max = Vector.ConditionalSelect(take, value, max);
                        if (routes != null) route = Vector.ConditionalSelect(take, new Vector<T>(T.CreateTruncating(r)), route);
                    }
                    max.Store(target + c);
                    if (routes != null) route.Store(routeTarget + c);
                }
                for (; c < channels; c++)
                {
                    var (max, route) = (corner[c], 0);
                    for (int r = 1; r < window; r++)
                    {
                        T value = corner[shifts[r] + c];
                        if (VectorOps.TakesMax(value, max)) (max, route) = (value, r);
                    }
                    target[c] = max;
                    if (routes != null) routeTarget[c] = T.CreateTruncating(route);
                }
            }
            if (routes == null) return;
            T* channelFirst = routes + (long)plane * channels;
            VectorOps.Transpose(routes, plane, channels, channelFirst);
            VectorOps.NarrowToBytes(channelFirst, _routes + (long)n * channels * plane, plane * channels);
        }
        ArrayPool<T>.Shared.Return(routeBuffer!);
    }
}

/// <summary>
/// The routes [N, Cout, PH, PW] a pooled forward found (each pooled value's window offset) with, per pooled position
/// and route, the full-size position it names; per sample it reads a channel-last full-size buffer at the routes or
/// adds pooled values into one, so the derivatives of a convolution followed by max pooling never materialise the
/// full-size output or its gradient for the whole batch.
/// </summary>
internal sealed unsafe class SampleRoutes
{
    private readonly Tensor _routes;
    private readonly int[] _positions;
    private readonly int _channels, _plane, _fullPlane, _window;

    /// <summary>Routes of <paramref name="pool"/> over the output of convolutions of geometry <paramref name="g"/>; <paramref name="routes"/> is kept (not copied).</summary>
    public SampleRoutes(Tensor routes, ConvGeometry g, PoolWindow pool)
    {
        (_routes, Pool, _channels, _fullPlane, _window) = (routes.contiguous(), pool, g.OutChannels, g.OutPlane, pool.Kernel * pool.Kernel);
        int width = pool.Out(g.OutWidth);
        _plane = pool.Out(g.OutHeight) * width;
        _positions = new int[_plane * _window];
        for (int q = 0; q < _plane; q++)
        for (int r = 0; r < _window; r++)
        {
            var (row, column) = pool.At(q, r, width);
            _positions[q * _window + r] = row * g.OutWidth + column;
        }
    }

    /// <summary>The pooling window the routes belong to.</summary>
    public PoolWindow Pool { get; }

    /// <summary>output[n, c, q] = sums[position of (q, route[n, c, q]), c] for sample n's channel-last full-size sums.</summary>
    public void Gather<T>(T* sums, T* output, int n) where T : unmanaged
    {
        byte* routes = TensorMemory.Pointer<byte>(_routes) + (long)n * _channels * _plane;
        T* target = output + (long)n * _channels * _plane;
        fixed (int* positions = _positions)
        for (int c = 0; c < _channels; c++)
        for (int q = 0; q < _plane; q++, routes++, target++)
            *target = sums[(long)positions[q * _window + *routes] * _channels + c];
    }

    /// <summary>sums [full plane, Cout] = 0, then sums[position of (q, route[n, c, q]), c] += values[n, c, q] (overlapping windows can share a maximum).</summary>
    public void Scatter<T>(T* values, T* sums, int n) where T : unmanaged, INumber<T>
    {
        new Span<T>(sums, _fullPlane * _channels).Clear();
        byte* routes = TensorMemory.Pointer<byte>(_routes) + (long)n * _channels * _plane;
        T* source = values + (long)n * _channels * _plane;
        fixed (int* positions = _positions)
        for (int c = 0; c < _channels; c++)
        for (int q = 0; q < _plane; q++, routes++, source++)
            sums[(long)positions[q * _window + *routes] * _channels + c] += *source;
    }
}
