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
internal sealed record PooledConvShape(ConvGeometry Conv, PoolWindow Pool)
{
    /// <summary>Pooled height.</summary>
    public int OutHeight => Pool.Out(Conv.OutHeight);

    /// <summary>Pooled width.</summary>
    public int OutWidth => Pool.Out(Conv.OutWidth);

    /// <summary>Pooled positions per channel.</summary>
    public int OutPlane => OutHeight * OutWidth;

    /// <summary>Width of the padded channel-last input, in pixels.</summary>
    public int PaddedWidth => Conv.Width + 2 * Conv.Padding;

    /// <summary>Values in one sample's padded channel-last input.</summary>
    public int PaddedSample => (Conv.Height + 2 * Conv.Padding) * PaddedWidth * Conv.InChannels;

    /// <summary>Values in one kernel row of a window (K pixels x Cin channels).</summary>
    public int Row => Conv.Kernel * Conv.InChannels;

    /// <summary>Distance between two image rows of the padded input.</summary>
    public int RowStride => PaddedWidth * Conv.InChannels;

    /// <summary>Values in one output channel's weights [K, K, Cin].</summary>
    public int Filter => Conv.Kernel * Row;

    /// <summary>Where in a padded sample the window of pooled position <paramref name="q"/> starts, for pooling route <paramref name="route"/>.</summary>
    public int Corner(int q, int route)
    {
        int oy = q / OutWidth * Pool.Stride + route / Pool.Kernel, ox = q % OutWidth * Pool.Stride + route % Pool.Kernel;
        return (oy * PaddedWidth + ox) * Conv.InChannels;
    }
}

/// <summary>
/// max_pool2d(conv2d(x, W)) as an autograd node for gradient windows (see <see cref="PooledConvShape"/>): libtorch's
/// convolution (or the gathered one for sparse inputs) and the pooling kernel find the values and routes, and every
/// derivative after that visits the pooled positions only.
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
    public static Tensor? TryConv(Tensor x, Tensor weight, long stride, long padding, PoolWindow pool)
    {
        if (!Autograd.Records(x, weight) || ConvGeometry.Of(x, weight, stride, padding) is not { } g || g.InChannels < MinInChannels
            || pool.Kernel < 1 || pool.Stride < 1 || pool.Kernel > g.OutHeight || pool.Kernel > g.OutWidth || pool.Kernel * pool.Kernel > byte.MaxValue + 1)
            return null;
        return PooledConvFunction.apply(PooledConvMode.Pool, x, weight, null!, new PooledConvShape(g, pool));
    }

    /// <summary>Pooled values [N, Cout, PH, PW] and each one's route (argmax offset in its window) of conv2d(x, weight).</summary>
    internal static (Tensor Values, Tensor Routes) Pool(Tensor x, Tensor weight, PooledConvShape s)
    {
        var g = s.Conv;
        var full = GatherConv.TryConv(x, weight, 1, g.Padding) ?? nn.functional.conv2d(x, weight, padding: [g.Padding, g.Padding]);
        var (values, routes) = MaxPoolKernels.Forward(full, new PoolGeometry((int)x.shape[0] * g.OutChannels, g.OutHeight, g.OutWidth, s.Pool.Kernel, s.Pool.Stride), withRoutes: true);
        return (values, routes!);
    }

    /// <summary>The pooled convolution at fixed routes: [N, Cout, PH, PW], each value the weights of its channel against its window.</summary>
    internal static Tensor Convolve(Tensor x, Tensor weight, Tensor routes, PooledConvShape s)
    {
        var output = empty([x.shape[0], s.Conv.OutChannels, s.OutHeight, s.OutWidth], x.dtype);
        var (wt, input) = (ChannelLastWeight(weight), x.contiguous());
        RunOverSamples(input, output, (int)x.shape[0], x.dtype == ScalarType.Float32
            ? new ConvolveKernel<float>(s, input, wt, routes, output)
            : new ConvolveKernel<double>(s, input, wt, routes, output));
        return output;
    }

    /// <summary>The adjoint in x: [N, Cin, H, W], each pooled gradient value times its channel's weights added over its window.</summary>
    internal static Tensor InputGrad(Tensor grad, Tensor weight, Tensor routes, PooledConvShape s)
    {
        var g = s.Conv;
        var output = empty([grad.shape[0], g.InChannels, g.Height, g.Width], grad.dtype);
        var (wt, source) = (ChannelLastWeight(weight), grad.contiguous());
        RunOverSamples(source, output, (int)grad.shape[0], grad.dtype == ScalarType.Float32
            ? new InputGradKernel<float>(s, source, wt, routes, output)
            : new InputGradKernel<double>(s, source, wt, routes, output));
        return output;
    }

    /// <summary>The adjoint in W: [Cout, Cin, K, K], each pooled gradient value times its window added into its channel's weights.</summary>
    internal static Tensor WeightGrad(Tensor grad, Tensor x, Tensor routes, PooledConvShape s)
    {
        var g = s.Conv;
        int n = (int)x.shape[0];
        var (source, input) = (grad.contiguous(), x.contiguous());
        var padded = zeros([n, s.PaddedSample], x.dtype);
        var output = zeros([g.OutChannels, g.Kernel, g.Kernel, g.InChannels], x.dtype);
        IRangeKernel kernel = x.dtype == ScalarType.Float32
            ? new WeightGradKernel<float>(s, input, padded, source, routes, output)
            : new WeightGradKernel<double>(s, input, padded, source, routes, output);
        kernel.Prepare(n);
        KernelThreads.OneOrTwoParts(KernelThreads.Splits(g.OutChannels, Work(n, s), MinimumWork), g.OutChannels / 2, g.OutChannels, kernel.Run);
        return output.permute(0, 3, 1, 2).contiguous();
    }

    private const long MinimumWork = 1 << 18;

    /// <summary>Multiply-adds of one pass over the pooled positions.</summary>
    private static long Work(int samples, PooledConvShape s) => (long)samples * s.Conv.OutChannels * s.OutPlane * s.Filter;

    /// <summary>[Cout, Cin, K, K] → [Cout, K, K, Cin]: a window row's weights are contiguous, as the padded input's.</summary>
    private static Tensor ChannelLastWeight(Tensor weight) => weight.permute(0, 2, 3, 1).contiguous();

    private static void RunOverSamples(Tensor source, Tensor output, int samples, IRangeKernel kernel)
    {
        KernelThreads.OneOrTwoParts(KernelThreads.Splits(samples, Work(samples, kernel.Shape), MinimumWork), samples / 2, samples, kernel.Run);
        GC.KeepAlive(source);
        GC.KeepAlive(output);
    }

    /// <summary>A kernel over a range of items (samples or output channels), run with the widest vector registers the machine has.</summary>
    private interface IRangeKernel
    {
        PooledConvShape Shape { get; }

        /// <summary>Single-threaded set-up before <see cref="Run"/>.</summary>
        void Prepare(int samples) { }

        void Run(int i0, int i1);
    }

    /// <summary>Dispatch of <see cref="Run{TL, TV}"/> to 512-bit, 256-bit or scalar lanes.</summary>
    private abstract unsafe class RangeKernel<T>(PooledConvShape shape) : IRangeKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        public PooledConvShape Shape => shape;

        public virtual void Prepare(int samples) { }

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
    }

    private sealed unsafe class ConvolveKernel<T>(PooledConvShape shape, Tensor x, Tensor wt, Tensor routes, Tensor output) : RangeKernel<T>(shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly nint _x = (nint)TensorMemory.Pointer<T>(x), _w = (nint)TensorMemory.Pointer<T>(wt);
        private readonly nint _routes = (nint)TensorMemory.Pointer<byte>(routes), _out = (nint)TensorMemory.Pointer<T>(output);

        protected override void Run<TL, TV>(int n0, int n1)
        {
            var (cout, plane) = (Shape.Conv.OutChannels, Shape.OutPlane);
            var (padded, pixels) = (new T[Shape.PaddedSample], new T[Shape.Conv.Height * Shape.Conv.Width * Shape.Conv.InChannels]);
            fixed (T* p = padded, buffer = pixels)
                for (int n = n0; n < n1; n++)
                {
                    Pad((T*)_x, n, p, buffer, Shape);
                    for (int co = 0; co < cout; co++)
                    {
                        long at = ((long)n * cout + co) * plane;
                        T* filter = (T*)_w + (long)co * Shape.Filter, target = (T*)_out + at;
                        byte* route = (byte*)_routes + at;
                        for (int q = 0; q < plane; q++)
                            target[q] = WindowRows.Dot<T, TL, TV>(filter, p + Shape.Corner(q, route[q]), Shape);
                    }
                }
        }
    }

    private sealed unsafe class InputGradKernel<T>(PooledConvShape shape, Tensor grad, Tensor wt, Tensor routes, Tensor output) : RangeKernel<T>(shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly nint _grad = (nint)TensorMemory.Pointer<T>(grad), _w = (nint)TensorMemory.Pointer<T>(wt);
        private readonly nint _routes = (nint)TensorMemory.Pointer<byte>(routes), _out = (nint)TensorMemory.Pointer<T>(output);

        protected override void Run<TL, TV>(int n0, int n1)
        {
            var g = Shape.Conv;
            var (cout, plane, pixels) = (g.OutChannels, Shape.OutPlane, g.Height * g.Width);
            int rowValues = g.Width * g.InChannels;
            var (sums, interior) = (new T[Shape.PaddedSample], new T[pixels * g.InChannels]);
            fixed (T* p = sums, buffer = interior)
                for (int n = n0; n < n1; n++)
                {
                    Array.Clear(sums);
                    for (int co = 0; co < cout; co++)
                    {
                        long at = ((long)n * cout + co) * plane;
                        T* filter = (T*)_w + (long)co * Shape.Filter, source = (T*)_grad + at;
                        byte* route = (byte*)_routes + at;
                        for (int q = 0; q < plane; q++)
                            if (source[q] != T.Zero) WindowRows.AddScaled<T, TL, TV>(p + Shape.Corner(q, route[q]), filter, source[q], Shape);
                    }
                    for (int y = 0; y < g.Height; y++)
                        new ReadOnlySpan<T>(p + ((long)(y + g.Padding) * Shape.PaddedWidth + g.Padding) * g.InChannels, rowValues)
                            .CopyTo(new Span<T>(buffer + (long)y * rowValues, rowValues));
                    VectorOps.Transpose(buffer, pixels, g.InChannels, (T*)_out + (long)n * g.InChannels * pixels);
                }
        }
    }

    /// <summary>
    /// Output channels split over the threads; samples in chunks whose padded inputs stay in the cache, each channel's
    /// windows of a chunk gathered into registers a few at a time.
    /// </summary>
    private sealed unsafe class WeightGradKernel<T>(PooledConvShape shape, Tensor x, Tensor padded, Tensor grad, Tensor routes, Tensor output) : RangeKernel<T>(shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Padded inputs per chunk: about this many bytes (half a 1 MB L2).</summary>
        private const int ChunkBytes = 1 << 19;

        private readonly nint _x = (nint)TensorMemory.Pointer<T>(x), _padded = (nint)TensorMemory.Pointer<T>(padded);
        private readonly nint _grad = (nint)TensorMemory.Pointer<T>(grad), _routes = (nint)TensorMemory.Pointer<byte>(routes);
        private readonly nint _out = (nint)TensorMemory.Pointer<T>(output);
        private int _samples;

        public override void Prepare(int samples)
        {
            _samples = samples;
            var pixels = Shape.Conv.Height * Shape.Conv.Width * Shape.Conv.InChannels;
            KernelThreads.OneOrTwoParts(KernelThreads.Splits(samples, (long)samples * Shape.PaddedSample, MinimumWork), samples / 2, samples, (n0, n1) =>
            {
                var buffer = new T[pixels];
                fixed (T* b = buffer)
                    for (int n = n0; n < n1; n++) Pad((T*)_x, n, (T*)_padded + (long)n * Shape.PaddedSample, b, Shape);
            });
        }

        protected override void Run<TL, TV>(int c0, int c1)
        {
            var (cout, plane) = (Shape.Conv.OutChannels, Shape.OutPlane);
            int chunk = Math.Max(1, ChunkBytes / (Shape.PaddedSample * sizeof(T)));
            var (offsets, values) = (new int[chunk * plane], new T[chunk * plane]);
            fixed (int* offset = offsets)
            fixed (T* value = values)
                for (int n0 = 0; n0 < _samples; n0 += chunk)
                {
                    int n1 = Math.Min(_samples, n0 + chunk);
                    T* windows = (T*)_padded + (long)n0 * Shape.PaddedSample;
                    for (int co = c0; co < c1; co++)
                    {
                        int count = 0;
                        for (int n = n0; n < n1; n++)
                        {
                            long at = ((long)n * cout + co) * plane;
                            T* source = (T*)_grad + at;
                            byte* route = (byte*)_routes + at;
                            for (int q = 0; q < plane; q++)
                                if (source[q] != T.Zero)
                                {
                                    offset[count] = (n - n0) * Shape.PaddedSample + Shape.Corner(q, route[q]);
                                    value[count++] = source[q];
                                }
                        }
                        if (count > 0) WindowRows.Gather<T, TL, TV>((T*)_out + (long)co * Shape.Filter, windows, offset, value, count, Shape);
                    }
                }
        }
    }
}

/// <summary>The three loops over one window (K rows of <see cref="PooledConvShape.Row"/> contiguous values, <see cref="PooledConvShape.RowStride"/> apart) and a filter.</summary>
internal static unsafe class WindowRows
{
    /// <summary>Σ filter · window over the K rows.</summary>
    public static T Dot<T, TL, TV>(T* filter, T* window, PooledConvShape s) where T : unmanaged, INumber<T> where TL : ILanes<TV, T>
    {
        int lanes = TL.Count, row = s.Row, vectorEnd = row - row % lanes;
        TV a0 = TL.Broadcast(T.Zero), a1 = a0, a2 = a0, a3 = a0;
        T tail = T.Zero;
        for (int ky = 0; ky < s.Conv.Kernel; ky++)
        {
            T* w = filter + ky * row, x = window + (long)ky * s.RowStride;
            int i = 0;
            for (; i + 4 * lanes <= vectorEnd; i += 4 * lanes)
            {
                a0 = TL.MultiplyAdd(TL.Load(w + i), TL.Load(x + i), a0);
                a1 = TL.MultiplyAdd(TL.Load(w + i + lanes), TL.Load(x + i + lanes), a1);
                a2 = TL.MultiplyAdd(TL.Load(w + i + 2 * lanes), TL.Load(x + i + 2 * lanes), a2);
                a3 = TL.MultiplyAdd(TL.Load(w + i + 3 * lanes), TL.Load(x + i + 3 * lanes), a3);
            }
            for (; i < vectorEnd; i += lanes) a0 = TL.MultiplyAdd(TL.Load(w + i), TL.Load(x + i), a0);
            for (; i < row; i++) tail += w[i] * x[i];
        }
        return TL.Sum(TL.Add(TL.Add(a0, a1), TL.Add(a2, a3))) + tail;
    }

    /// <summary>window += scale · filter over the K rows.</summary>
    public static void AddScaled<T, TL, TV>(T* window, T* filter, T scale, PooledConvShape s) where T : unmanaged, INumber<T> where TL : ILanes<TV, T>
    {
        int lanes = TL.Count, row = s.Row, vectorEnd = row - row % lanes;
        var v = TL.Broadcast(scale);
        for (int ky = 0; ky < s.Conv.Kernel; ky++)
        {
            T* w = filter + ky * row, x = window + (long)ky * s.RowStride;
            int i = 0;
            for (; i < vectorEnd; i += lanes) TL.Store(TL.MultiplyAdd(TL.Load(w + i), v, TL.Load(x + i)), x + i);
            for (; i < row; i++) x[i] += scale * w[i];
        }
    }

    /// <summary>
    /// filter += Σₑ value[e] · window at windows + offset[e], over the K rows: four registers of a row at a time
    /// stay in registers across the whole list.
    /// </summary>
    public static void Gather<T, TL, TV>(T* filter, T* windows, int* offset, T* value, int count, PooledConvShape s)
        where T : unmanaged, INumber<T> where TL : ILanes<TV, T>
    {
        int lanes = TL.Count, row = s.Row, vectorEnd = row - row % lanes;
        for (int ky = 0; ky < s.Conv.Kernel; ky++)
        {
            T* w = filter + ky * row, rows = windows + (long)ky * s.RowStride;
            int i = 0;
            for (; i + 4 * lanes <= vectorEnd; i += 4 * lanes)
            {
                TV a0 = TL.Load(w + i), a1 = TL.Load(w + i + lanes), a2 = TL.Load(w + i + 2 * lanes), a3 = TL.Load(w + i + 3 * lanes);
                for (int e = 0; e < count; e++)
                {
                    T* x = rows + offset[e] + i;
                    var v = TL.Broadcast(value[e]);
                    a0 = TL.MultiplyAdd(TL.Load(x), v, a0);
                    a1 = TL.MultiplyAdd(TL.Load(x + lanes), v, a1);
                    a2 = TL.MultiplyAdd(TL.Load(x + 2 * lanes), v, a2);
                    a3 = TL.MultiplyAdd(TL.Load(x + 3 * lanes), v, a3);
                }
                TL.Store(a0, w + i);
                TL.Store(a1, w + i + lanes);
                TL.Store(a2, w + i + 2 * lanes);
                TL.Store(a3, w + i + 3 * lanes);
            }
            for (; i < vectorEnd; i += lanes)
            {
                TV a = TL.Load(w + i);
                for (int e = 0; e < count; e++) a = TL.MultiplyAdd(TL.Load(rows + offset[e] + i), TL.Broadcast(value[e]), a);
                TL.Store(a, w + i);
            }
            for (; i < row; i++)
            {
                T a = w[i];
                for (int e = 0; e < count; e++) a += value[e] * rows[offset[e] + i];
                w[i] = a;
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
