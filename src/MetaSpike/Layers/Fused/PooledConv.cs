using System.Numerics;
using System.Runtime.Intrinsics;
using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>
/// A stride-1 convolution followed by a max pooling, with the pooling's argmax held fixed: channel co of pooled output
/// q reads one K x K input window, the one under its maximum (its route). With the routes fixed the pooled output is
/// bilinear in the input and the weight, and so are all its derivatives: each is one of three sums over (sample,
/// output channel, pooled position), the same window each time. libtorch computes the full-size convolution for
/// each and lets the pooling's backward discard three quarters of it (2 x 2 windows); these kernels visit only the
/// pooled positions. Inputs are laid out channel-last inside a zero border of the padding, so one kernel row of a
/// window is K · Cin contiguous values, and so is the matching row of a weight laid out [Cout, K, K, Cin].
/// </summary>
/// <param name="Conv">The convolution (stride 1).</param>
/// <param name="Pool">The pooling window (no padding).</param>
/// <param name="SequenceBatch">B when the forward's input is a sequence's steps [T · B, ...] (see <see cref="GatherConv.TryConv"/>).</param>
internal sealed record PooledConvShape(ConvGeometry Conv, PoolWindow Pool, int? SequenceBatch = null)
{
    /// <summary>Pooled height.</summary>
    public int OutHeight => Pool.Out(Conv.OutHeight);

    /// <summary>Pooled width.</summary>
    public int OutWidth => Pool.Out(Conv.OutWidth);

    /// <summary>Pooled positions per channel.</summary>
    public int OutPlane => OutHeight * OutWidth;

    /// <summary>Width of the padded channel-last input, in pixels.</summary>
    public int PaddedWidth => Conv.Width + 2 * Conv.Padding;

    /// <summary>Values in one sample's channel-last input without its border.</summary>
    public int Interior => Conv.Height * Conv.Width * Conv.InChannels;

    /// <summary>Values in one sample's padded channel-last input.</summary>
    public int PaddedSample => (Conv.Height + 2 * Conv.Padding) * PaddedWidth * Conv.InChannels;

    /// <summary>Values in one kernel row of a window (K pixels x Cin channels).</summary>
    public int Row => Conv.Kernel * Conv.InChannels;

    /// <summary>Distance between two image rows of the padded input.</summary>
    public int RowStride => PaddedWidth * Conv.InChannels;

    /// <summary>Values in one output channel's weights [K, K, Cin].</summary>
    public int Filter => Conv.Kernel * Row;

    /// <summary>The pooling of <paramref name="samples"/> samples' full-size convolution output, whose routes the node holds.</summary>
    public PoolGeometry Routing(int samples) => new(samples * Conv.OutChannels, Conv.OutHeight, Conv.OutWidth, Pool.Kernel, Pool.Stride);

    /// <summary>The window rows' layout.</summary>
    public WindowRows Windows => new(Conv.Kernel, Row, RowStride);

    /// <summary>
    /// Where in a padded sample each window starts, by pooled position q and route r (the argmax offset in its pooling
    /// window, row-major): Corners[q · k² + r], k the pooling window's side.
    /// </summary>
    public int[] Corners { get; } = CornerTable(Conv, Pool);

    private static int[] CornerTable(ConvGeometry conv, PoolWindow pool)
    {
        int outWidth = pool.Out(conv.OutWidth), plane = pool.Out(conv.OutHeight) * outWidth, routes = pool.Kernel * pool.Kernel;
        var table = new int[plane * routes];
        for (int q = 0; q < plane; q++)
        for (int r = 0; r < routes; r++)
        {
            var (row, column) = pool.At(q, r, outWidth);
            table[q * routes + r] = (row * (conv.Width + 2 * conv.Padding) + column) * conv.InChannels;
        }
        return table;
    }
}

/// <summary>
/// max_pool2d(conv2d(x, W)) as an autograd node for gradient windows (see <see cref="PooledConvShape"/>): the gathered
/// convolution pooling each sample as it writes it (sparse inputs; it never writes the full-size output), or libtorch's
/// convolution and the pooling kernel, find the values and routes, and every derivative after that visits the pooled
/// positions only.
/// </summary>
internal static class PooledConv
{
    /// <summary>
    /// Narrower inputs (an event camera's 2 polarity channels) keep the event-driven convolution: a window row of
    /// K · Cin values is then too short for vector registers, and those layers' inputs need no gradient.
    /// </summary>
    public const int MinInChannels = 8;

    /// <summary>
    /// max_pool2d(conv2d(x, weight), pool) without bias as a recorded node, or null where it does not apply: no
    /// gradient is recorded, <see cref="ConvGeometry.Of"/> refuses the shapes, x has fewer than
    /// <see cref="MinInChannels"/> channels, or the window does not fit in the convolution's output.
    /// </summary>
    public static Tensor? TryConv(Tensor x, Tensor weight, long stride, long padding, PoolWindow pool, int? sequenceBatch = null)
    {
        if (!Autograd.Records(x, weight) || ConvGeometry.Of(x, weight, stride, padding) is not { } g || g.InChannels < MinInChannels
            || pool.Kernel < 1 || pool.Stride < 1 || pool.Kernel > g.OutHeight || pool.Kernel > g.OutWidth || pool.Kernel * pool.Kernel > byte.MaxValue + 1)
            return null;
        return PooledConvFunction.apply(PooledConvMode.Pool, x, weight, null!, new PooledConvShape(g, pool, sequenceBatch));
    }

    /// <summary>Pooled values [N, Cout, PH, PW] and each one's route (argmax offset in its window) of conv2d(x, weight).</summary>
    internal static (Tensor Values, Tensor Routes) Pool(Tensor x, Tensor weight, PooledConvShape s)
    {
        var g = s.Conv;
        if (GatherConv.TryPool(x, weight, g.Padding, s.Pool, s.SequenceBatch) is { } pooled) return pooled;
        var full = nn.functional.conv2d(x, weight, padding: [g.Padding, g.Padding]);
        var (values, routes) = MaxPoolKernels.Forward(full, s.Routing((int)x.shape[0]), withRoutes: true);
        return (values, routes!);
    }

    /// <summary>The pooled convolution at fixed routes: [N, Cout, PH, PW], each value the weights of its channel against its window.</summary>
    internal static Tensor Convolve(Tensor x, Tensor weight, Tensor routes, PooledConvShape s)
    {
        return OverSamples(x, weight, [x.shape[0], s.Conv.OutChannels, s.OutHeight, s.OutWidth], s, (input, wt, output) => x.dtype == ScalarType.Float32
            ? new ConvolveKernel<float>(s, input, wt, routes, output)
            : new ConvolveKernel<double>(s, input, wt, routes, output));
    }

    /// <summary>The adjoint in x: [N, Cin, H, W], each pooled gradient value times its channel's weights added over its window.</summary>
    internal static Tensor InputGrad(Tensor grad, Tensor weight, Tensor routes, PooledConvShape s)
    {
        var g = s.Conv;
        if (GatherConv.Takes(g.InChannels, grad.dtype))
        {
            // The transposed convolution of the gradient routed to the maxima (a quarter nonzero for 2 x 2 windows), as
            // the gathered convolution with the flipped kernel: each input pixel's channels accumulate in registers.
            // Without overlapping windows its lists come from the pooled gradient and routes directly.
            var transposed = new ConvGeometry(g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels, g.Kernel, g.Kernel - 1 - g.Padding);
            var (flipped, routing) = (weight.flip(2, 3).transpose(0, 1), s.Routing((int)grad.shape[0]));
            if (s.Pool.Stride >= s.Pool.Kernel) return GatherConv.ConvolveRouted(grad, routes, routing, flipped, transposed);
            var routed = MaxPoolKernels.Route(grad, routes, routing, [grad.shape[0], g.OutChannels, g.OutHeight, g.OutWidth], scatter: true);
            return GatherConv.Convolve(routed, flipped, transposed);
        }
        return OverSamples(grad, weight, [grad.shape[0], g.InChannels, g.Height, g.Width], s, (source, wt, output) => grad.dtype == ScalarType.Float32
            ? new InputGradKernel<float>(s, source, wt, routes, output)
            : new InputGradKernel<double>(s, source, wt, routes, output));
    }

    /// <summary>The adjoint in W: [Cout, Cin, K, K], each pooled gradient value times its window added into its channel's weights.</summary>
    internal static Tensor WeightGrad(Tensor grad, Tensor x, Tensor routes, PooledConvShape s)
    {
        var g = s.Conv;
        int n = (int)x.shape[0];
        var (source, input) = (grad.contiguous(), x.contiguous());
        var output = KernelThreads.SumOverShared(KernelThreads.Splits(n, Work(n, s), MinimumWork), n, [g.OutChannels, g.Kernel, g.Kernel, g.InChannels], x.dtype,
            part => x.dtype == ScalarType.Float32
                ? new WeightGradKernel<float>(s, input, source, routes, part).Run
                : new WeightGradKernel<double>(s, input, source, routes, part).Run);
        GC.KeepAlive(source);
        GC.KeepAlive(input);
        return output.permute(0, 3, 1, 2).contiguous();
    }

    private const long MinimumWork = 1 << 18;

    /// <summary>Multiply-adds of one pass over the pooled positions.</summary>
    private static long Work(int samples, PooledConvShape s) => (long)samples * s.Conv.OutChannels * s.OutPlane * s.Filter;

    /// <summary>[Cout, Cin, K, K] → [Cout, K, K, Cin]: a window row's weights are contiguous, as the padded input's.</summary>
    private static Tensor ChannelLastWeight(Tensor weight) => weight.permute(0, 2, 3, 1).contiguous();

    /// <summary>
    /// A new output of <paramref name="shape"/> filled by the kernels that <paramref name="kernel"/> makes of (the
    /// contiguous per-sample argument, the channel-last weight, the output), samples shared by the threads, one kernel
    /// (with its scratch buffers) per thread.
    /// </summary>
    private static Tensor OverSamples(Tensor perSample, Tensor weight, long[] shape, PooledConvShape s, Func<Tensor, Tensor, Tensor, IRangeKernel> kernel)
    {
        var (source, wt, output) = (perSample.contiguous(), ChannelLastWeight(weight), empty(shape, perSample.dtype));
        int samples = (int)perSample.shape[0];
        KernelThreads.Shared(KernelThreads.Splits(samples, Work(samples, s), MinimumWork), samples, () => kernel(source, wt, output).Run);
        GC.KeepAlive(source);
        GC.KeepAlive(wt);
        return output;
    }

    /// <summary>A kernel over a range of samples, run with the widest vector registers the machine has.</summary>
    private interface IRangeKernel
    {
        void Run(int i0, int i1);
    }

    /// <summary>Dispatch of <see cref="Run{TL, TV}"/> to 512-bit, 256-bit or scalar lanes, over the node's routes.</summary>
    private abstract unsafe class RangeKernel<T>(PooledConvShape shape, Tensor routes) : IRangeKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly nint _routes = (nint)TensorMemory.Pointer<byte>(routes);

        protected PooledConvShape Shape => shape;

        public void Run(int i0, int i1)
        {
            if (Vector512.IsHardwareAccelerated) Run<Lanes512<T>, Vector512<T>>(i0, i1);
            else if (Vector256.IsHardwareAccelerated) Run<Lanes256<T>, Vector256<T>>(i0, i1);
            else Run<ScalarLanes<T>, T>(i0, i1);
        }

        protected abstract void Run<TL, TV>(int i0, int i1) where TL : ILanes<TV, T>;

        /// <summary>Sample <paramref name="n"/> of [N, Cin, H, W] into the interior of a zero-bordered channel-last buffer (its border is never written).</summary>
        protected static void Pad(T* x, int n, T* padded, T* plane, PooledConvShape s)
        {
            var g = s.Conv;
            int pixels = g.Height * g.Width, rowValues = g.Width * g.InChannels;
            VectorOps.Transpose(x + (long)n * g.InChannels * pixels, g.InChannels, pixels, plane);
            for (int y = 0; y < g.Height; y++)
                new ReadOnlySpan<T>(plane + (long)y * rowValues, rowValues)
                    .CopyTo(new Span<T>(padded + ((long)(y + g.Padding) * s.PaddedWidth + g.Padding) * g.InChannels, rowValues));
        }

        /// <summary>
        /// The windows of the channel whose pooled positions start at <paramref name="at"/>, by its routes: every
        /// pooled position's when <paramref name="source"/> is null, else only those whose gradient (source + at) is
        /// nonzero, with the gradient copied to <paramref name="value"/>. Returns how many.
        /// </summary>
        protected int Offsets(long at, int* offset, T* source, T* value)
        {
            int plane = Shape.OutPlane, routes = Shape.Pool.Kernel * Shape.Pool.Kernel, count = 0;
            byte* route = (byte*)_routes + at;
            if (source != null) source += at;
            fixed (int* corners = Shape.Corners)
                for (int q = 0; q < plane; q++)
                {
                    if (source != null)
                    {
                        if (source[q] == T.Zero) continue;
                        value[count] = source[q];
                    }
                    offset[count++] = corners[q * routes + route[q]];
                }
            return count;
        }
    }

    private sealed unsafe class ConvolveKernel<T>(PooledConvShape shape, Tensor x, Tensor wt, Tensor routes, Tensor output) : RangeKernel<T>(shape, routes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly nint _x = (nint)TensorMemory.Pointer<T>(x), _w = (nint)TensorMemory.Pointer<T>(wt), _out = (nint)TensorMemory.Pointer<T>(output);

        // The padded sample's border stays zero: Pad writes only its interior.
        private readonly AlignedScratch<T> _padded = new(shape.PaddedSample), _pixels = new(shape.Interior);
        private readonly int[] _offsets = new int[shape.OutPlane];

        protected override void Run<TL, TV>(int n0, int n1)
        {
            var (cout, plane, windows) = (Shape.Conv.OutChannels, Shape.OutPlane, Shape.Windows);
            using AlignedScratch<T>.Pin paddedPin = _padded.Pinned(), pixelsPin = _pixels.Pinned();
            T* p = paddedPin.Pointer, buffer = pixelsPin.Pointer;
            fixed (int* offset = _offsets)
                for (int n = n0; n < n1; n++)
                {
                    Pad((T*)_x, n, p, buffer, Shape);
                    for (int co = 0; co < cout; co++)
                    {
                        long at = ((long)n * cout + co) * plane;
                        Offsets(at, offset, null, null);
                        windows.Dots<T, TL, TV>((T*)_w + (long)co * Shape.Filter, p, offset, plane, (T*)_out + at);
                    }
                }
        }
    }

    private sealed unsafe class InputGradKernel<T>(PooledConvShape shape, Tensor grad, Tensor wt, Tensor routes, Tensor output) : RangeKernel<T>(shape, routes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly nint _grad = (nint)TensorMemory.Pointer<T>(grad), _w = (nint)TensorMemory.Pointer<T>(wt), _out = (nint)TensorMemory.Pointer<T>(output);

        private readonly AlignedScratch<T> _sums = new(shape.PaddedSample), _interior = new(shape.Interior);
        private readonly T[] _values = new T[shape.OutPlane];
        private readonly int[] _offsets = new int[shape.OutPlane];

        protected override void Run<TL, TV>(int n0, int n1)
        {
            var g = Shape.Conv;
            var (cout, plane, pixels, windows) = (g.OutChannels, Shape.OutPlane, g.Height * g.Width, Shape.Windows);
            int rowValues = g.Width * g.InChannels;
            using AlignedScratch<T>.Pin sumsPin = _sums.Pinned(), interiorPin = _interior.Pinned();
            T* p = sumsPin.Pointer, buffer = interiorPin.Pointer;
            fixed (T* value = _values)
            fixed (int* offset = _offsets)
                for (int n = n0; n < n1; n++)
                {
                    sumsPin.Clear();
                    for (int co = 0; co < cout; co++)
                    {
                        long at = ((long)n * cout + co) * plane;
                        int count = Offsets(at, offset, (T*)_grad, value);
                        windows.AddScaled<T, TL, TV>(p, offset, value, count, (T*)_w + (long)co * Shape.Filter);
                    }
                    for (int y = 0; y < g.Height; y++)
                        new ReadOnlySpan<T>(p + ((long)(y + g.Padding) * Shape.PaddedWidth + g.Padding) * g.InChannels, rowValues)
                            .CopyTo(new Span<T>(buffer + (long)y * rowValues, rowValues));
                    VectorOps.Transpose(buffer, pixels, g.InChannels, (T*)_out + (long)n * g.InChannels * pixels);
                }
        }
    }

    /// <summary>
    /// One thread's samples into its own sum of the weight gradient, in chunks whose padded inputs stay in the L1 cache:
    /// each output channel's windows of a chunk gathered into registers.
    /// </summary>
    private sealed unsafe class WeightGradKernel<T>(PooledConvShape shape, Tensor x, Tensor grad, Tensor routes, nint output) : RangeKernel<T>(shape, routes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>
        /// Padded inputs per chunk (at least one sample): about an L1 cache (48 KB), so that a chunk's windows, re-read
        /// for every output channel, come from L1. On (c)'s window (150 samples, 2 threads) 2.2-2.3 ms per weight
        /// gradient on the second layer and 2.5-2.6 on the third, against 2.6-2.8 with 96 KB chunks and 3.0-3.1 with
        /// 192 KB.
        /// </summary>
        private const int ChunkBytes = 48 << 10;

        private readonly nint _x = (nint)TensorMemory.Pointer<T>(x), _grad = (nint)TensorMemory.Pointer<T>(grad);
        private readonly int _chunk = Chunk(shape);

        // The padded samples' borders stay zero: Pad writes only their interiors.
        private readonly AlignedScratch<T> _padded = new(Chunk(shape) * shape.PaddedSample), _pixels = new(shape.Interior);
        private readonly T[] _values = new T[Chunk(shape) * shape.OutPlane];
        private readonly int[] _offsets = new int[Chunk(shape) * shape.OutPlane];

        private static int Chunk(PooledConvShape s) => Math.Max(1, ChunkBytes / (s.PaddedSample * sizeof(T)));

        protected override void Run<TL, TV>(int n0, int n1)
        {
            var (cout, plane, windows) = (Shape.Conv.OutChannels, Shape.OutPlane, Shape.Windows);
            using AlignedScratch<T>.Pin paddedPin = _padded.Pinned(), pixelsPin = _pixels.Pinned();
            T* padded = paddedPin.Pointer;
            fixed (int* offset = _offsets)
            fixed (T* value = _values)
                for (int c0 = n0; c0 < n1; c0 += _chunk)
                {
                    int c1 = Math.Min(n1, c0 + _chunk);
                    for (int n = c0; n < c1; n++) Pad((T*)_x, n, padded + (long)(n - c0) * Shape.PaddedSample, pixelsPin.Pointer, Shape);
                    for (int co = 0; co < cout; co++)
                    {
                        int count = 0;
                        for (int n = c0; n < c1; n++)
                        {
                            long at = ((long)n * cout + co) * plane;
                            int added = Offsets(at, offset + count, (T*)_grad, value + count);
                            for (int e = count; e < count + added; e++) offset[e] += (n - c0) * Shape.PaddedSample;
                            count += added;
                        }
                        if (count > 0) windows.Gather<T, TL, TV>((T*)output + (long)co * Shape.Filter, padded, offset, value, count);
                    }
                }
        }
    }
}

/// <summary>Where a window's K rows of <see cref="Row"/> contiguous values lie: <see cref="Stride"/> apart.</summary>
/// <param name="Rows">Rows per window (K).</param>
/// <param name="Row">Values per row (K · Cin), also a filter row.</param>
/// <param name="Stride">Distance between rows of a window.</param>
internal readonly record struct WindowRows(int Rows, int Row, int Stride)
{
    /// <summary>
    /// results[e] = Σ filter · window at sample + offset[e], for <paramref name="count"/> windows: four at a time,
    /// each filter register loaded once for the four (two loads per multiply-add would be the limit otherwise).
    /// </summary>
    public unsafe void Dots<T, TL, TV>(T* filter, T* sample, int* offset, int count, T* results) where T : unmanaged, INumber<T> where TL : ILanes<TV, T>
    {
        int e = 0;
        for (; e + 4 <= count; e += 4)
        {
            int lanes = TL.Count, vectorEnd = Row - Row % lanes;
            // Two accumulators per window: eight independent multiply-add chains.
            TV a = TL.Broadcast(T.Zero), b = a, c = a, d = a, a2 = a, b2 = a, c2 = a, d2 = a;
            T ta = T.Zero, tb = T.Zero, tc = T.Zero, td = T.Zero;
            for (int ky = 0; ky < Rows; ky++)
            {
                T* w = filter + ky * Row;
                long shift = (long)ky * Stride;
                T* x0 = sample + offset[e] + shift, x1 = sample + offset[e + 1] + shift, x2 = sample + offset[e + 2] + shift, x3 = sample + offset[e + 3] + shift;
                int i = 0;
                for (; i + 2 * lanes <= vectorEnd; i += 2 * lanes)
                {
                    var v = TL.Load(w + i);
                    var u = TL.Load(w + i + lanes);
                    a = TL.MultiplyAdd(v, TL.Load(x0 + i), a);
                    b = TL.MultiplyAdd(v, TL.Load(x1 + i), b);
                    c = TL.MultiplyAdd(v, TL.Load(x2 + i), c);
                    d = TL.MultiplyAdd(v, TL.Load(x3 + i), d);
                    a2 = TL.MultiplyAdd(u, TL.Load(x0 + i + lanes), a2);
                    b2 = TL.MultiplyAdd(u, TL.Load(x1 + i + lanes), b2);
                    c2 = TL.MultiplyAdd(u, TL.Load(x2 + i + lanes), c2);
                    d2 = TL.MultiplyAdd(u, TL.Load(x3 + i + lanes), d2);
                }
                for (; i < vectorEnd; i += lanes)
                {
                    var v = TL.Load(w + i);
                    a = TL.MultiplyAdd(v, TL.Load(x0 + i), a);
                    b = TL.MultiplyAdd(v, TL.Load(x1 + i), b);
                    c = TL.MultiplyAdd(v, TL.Load(x2 + i), c);
                    d = TL.MultiplyAdd(v, TL.Load(x3 + i), d);
                }
                for (; i < Row; i++)
                {
                    ta += w[i] * x0[i];
                    tb += w[i] * x1[i];
                    tc += w[i] * x2[i];
                    td += w[i] * x3[i];
                }
            }
            results[e] = TL.Sum(TL.Add(a, a2)) + ta;
            results[e + 1] = TL.Sum(TL.Add(b, b2)) + tb;
            results[e + 2] = TL.Sum(TL.Add(c, c2)) + tc;
            results[e + 3] = TL.Sum(TL.Add(d, d2)) + td;
        }
        for (; e < count; e++)
        {
            T sum = T.Zero;
            for (int ky = 0; ky < Rows; ky++)
            {
                T* w = filter + ky * Row, x = sample + offset[e] + (long)ky * Stride;
                for (int i = 0; i < Row; i++) sum += w[i] * x[i];
            }
            results[e] = sum;
        }
    }

    /// <summary>
    /// window at sample + offset[e] += value[e] · filter, for <paramref name="count"/> windows: four at a time sharing
    /// the filter's loads, each window's read-modify-write finished before the next one's (windows may overlap).
    /// </summary>
    public unsafe void AddScaled<T, TL, TV>(T* sample, int* offset, T* value, int count, T* filter) where T : unmanaged, INumber<T> where TL : ILanes<TV, T>
    {
        int lanes = TL.Count, vectorEnd = Row - Row % lanes, e = 0;
        for (; e + 4 <= count; e += 4)
        {
            TV a = TL.Broadcast(value[e]), b = TL.Broadcast(value[e + 1]), c = TL.Broadcast(value[e + 2]), d = TL.Broadcast(value[e + 3]);
            for (int ky = 0; ky < Rows; ky++)
            {
                T* w = filter + ky * Row;
                long shift = (long)ky * Stride;
                T* x0 = sample + offset[e] + shift, x1 = sample + offset[e + 1] + shift, x2 = sample + offset[e + 2] + shift, x3 = sample + offset[e + 3] + shift;
                int i = 0;
                for (; i < vectorEnd; i += lanes)
                {
                    var v = TL.Load(w + i);
                    TL.Store(TL.MultiplyAdd(v, a, TL.Load(x0 + i)), x0 + i);
                    TL.Store(TL.MultiplyAdd(v, b, TL.Load(x1 + i)), x1 + i);
                    TL.Store(TL.MultiplyAdd(v, c, TL.Load(x2 + i)), x2 + i);
                    TL.Store(TL.MultiplyAdd(v, d, TL.Load(x3 + i)), x3 + i);
                }
                for (; i < Row; i++)
                {
                    x0[i] += value[e] * w[i];
                    x1[i] += value[e + 1] * w[i];
                    x2[i] += value[e + 2] * w[i];
                    x3[i] += value[e + 3] * w[i];
                }
            }
        }
        for (; e < count; e++)
            for (int ky = 0; ky < Rows; ky++)
            {
                T* w = filter + ky * Row, x = sample + offset[e] + (long)ky * Stride;
                for (int i = 0; i < Row; i++) x[i] += value[e] * w[i];
            }
    }

    /// <summary>
    /// filter += Σₑ value[e] · window at windows + offset[e]: per filter row, eight registers at a time stay in
    /// registers across the whole list (eight independent multiply-add chains), then four, two, one.
    /// </summary>
    public unsafe void Gather<T, TL, TV>(T* filter, T* windows, int* offset, T* value, int count) where T : unmanaged, INumber<T> where TL : ILanes<TV, T>
    {
        int lanes = TL.Count, vectorEnd = Row - Row % lanes;
        for (int ky = 0; ky < Rows; ky++)
        {
            T* w = filter + ky * Row, rows = windows + (long)ky * Stride;
            int i = 0;
            for (; i + 8 * lanes <= vectorEnd; i += 8 * lanes)
            {
                T* f = w + i;
                Four<T, TL, TV> a = SumRegisters.From<T, TV, Four<T, TL, TV>>(f), b = SumRegisters.From<T, TV, Four<T, TL, TV>>(f + 4 * lanes);
                for (int e = 0; e < count; e++)
                {
                    T* x = rows + offset[e] + i;
                    var v = TL.Broadcast(value[e]);
                    a.MultiplyAdd(x, v);
                    b.MultiplyAdd(x + 4 * lanes, v);
                }
                a.Store(f);
                b.Store(f + 4 * lanes);
            }
            for (; i + 4 * lanes <= vectorEnd; i += 4 * lanes)
            {
                T* f = w + i;
                var a = SumRegisters.From<T, TV, Four<T, TL, TV>>(f);
                for (int e = 0; e < count; e++) a.MultiplyAdd(rows + offset[e] + i, TL.Broadcast(value[e]));
                a.Store(f);
            }
            for (; i + 2 * lanes <= vectorEnd; i += 2 * lanes)
            {
                // Two registers (what a 5 x 32 row leaves after eight): one walk of the list instead of two.
                SumRegisters.AddDealt<T, TL, TV, Two<T, TL, TV>>(w + i, rows + i, offset, value, count);
            }
            for (; i < vectorEnd; i += lanes) SumRegisters.AddDealt<T, TL, TV, One<T, TL, TV>>(w + i, rows + i, offset, value, count);
            for (; i < Row; i++)
            {
                T sum = w[i];
                for (int e = 0; e < count; e++) sum += value[e] * rows[offset[e] + i];
                w[i] = sum;
            }
        }
    }
}

/// <summary>Which of the pooled convolution's bilinear forms a <see cref="PooledConvFunction"/> node computes.</summary>
internal enum PooledConvMode
{
    /// <summary>(x, W) → pooled conv2d(x, W), finding the routes.</summary>
    Pool,

    /// <summary>(x, W) → the pooled convolution at given routes.</summary>
    Convolve,

    /// <summary>(G, W) → its adjoint in x.</summary>
    InputGrad,

    /// <summary>(G, x) → its adjoint in W.</summary>
    WeightGrad,
}

/// <summary>
/// One of the pooled convolution's bilinear forms (see <see cref="PooledConvMode"/>) as an autograd node. Each form's
/// derivative in either argument is another form at the same routes, so derivatives of any order exist:
/// conv(x, W) → (InputGrad(U, W), WeightGrad(U, x)); InputGrad(G, W) → (Convolve(U, W), WeightGrad(G, U));
/// WeightGrad(G, x) → (Convolve(x, U), InputGrad(G, U)).
/// </summary>
internal sealed class PooledConvFunction : torch.autograd.SingleTensorFunction<PooledConvFunction>
{
    private const string ModeKey = "mode", ShapeKey = "shape";

    public override string Name => "MetaSpikePooledConv";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (mode, a, b, s) = ((PooledConvMode)vars[0], (Tensor)vars[1], (Tensor)vars[2], (PooledConvShape)vars[4]);
        var (output, routes) = mode switch
        {
            PooledConvMode.Pool => PooledConv.Pool(a, b, s),
            PooledConvMode.Convolve => (PooledConv.Convolve(a, b, (Tensor)vars[3], s), (Tensor)vars[3]),
            PooledConvMode.InputGrad => (PooledConv.InputGrad(a, b, (Tensor)vars[3], s), (Tensor)vars[3]),
            _ => (PooledConv.WeightGrad(a, b, (Tensor)vars[3], s), (Tensor)vars[3]),
        };
        ctx.save_for_backward([a, b, routes]);
        ctx.save_data(ModeKey, mode);
        ctx.save_data(ShapeKey, s);
        return output;
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad)
    {
        var saved = ctx.get_saved_variables();
        var (a, b, routes) = (saved[0], saved[1], saved[2]);
        var (mode, s) = ((PooledConvMode)ctx.get_data(ModeKey), (PooledConvShape)ctx.get_data(ShapeKey));
        Tensor? Form(bool needed, PooledConvMode form, Tensor first, Tensor second) => needed ? apply(form, first, second, routes, s) : null;
        var (gradA, gradB) = mode switch
        {
            PooledConvMode.Pool or PooledConvMode.Convolve =>
                (Form(a.requires_grad, PooledConvMode.InputGrad, grad, b), Form(b.requires_grad, PooledConvMode.WeightGrad, grad, a)),
            PooledConvMode.InputGrad =>
                (Form(a.requires_grad, PooledConvMode.Convolve, grad, b), Form(b.requires_grad, PooledConvMode.WeightGrad, a, grad)),
            _ => (Form(a.requires_grad, PooledConvMode.Convolve, b, grad), Form(b.requires_grad, PooledConvMode.InputGrad, a, grad)),
        };
        return [null!, gradA!, gradB!, null!, null!];
    }
}
