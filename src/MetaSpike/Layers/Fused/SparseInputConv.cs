using System.Numerics;
using System.Runtime.InteropServices;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>The shape of a stride-1 square convolution with zero padding of [N, Cin, H, W] into [N, Cout, OH, OW].</summary>
internal sealed record ConvGeometry(int InChannels, int Height, int Width, int OutChannels, int Kernel, int Padding)
{
    /// <summary>Output height.</summary>
    public int OutHeight => Height + 2 * Padding - Kernel + 1;

    /// <summary>Output width.</summary>
    public int OutWidth => Width + 2 * Padding - Kernel + 1;

    /// <summary>Output positions per channel.</summary>
    public int OutPlane => OutHeight * OutWidth;

    /// <summary>
    /// The geometry of conv2d(x, weight) for MetaSpike's CPU kernels, or null where they do not apply: a stride other
    /// than 1, x not a nonempty CPU float32/float64 [N, Cin, H, W] of weight's dtype, a non-square kernel, no output,
    /// or sizes past int indexing.
    /// </summary>
    public static ConvGeometry? Of(Tensor x, Tensor weight, long stride, long padding)
    {
        if (stride != 1 || x.dim() != 4 || weight.dim() != 4 || weight.shape[2] != weight.shape[3] || weight.shape[1] != x.shape[1]
            || x.device_type != DeviceType.CPU || weight.device_type != DeviceType.CPU || x.dtype != weight.dtype
            || x.dtype is not (ScalarType.Float32 or ScalarType.Float64) || x.numel() >= int.MaxValue || x.shape[0] == 0)
            return null;
        var g = new ConvGeometry((int)x.shape[1], (int)x.shape[2], (int)x.shape[3], (int)weight.shape[0], (int)weight.shape[2], (int)padding);
        return g.OutHeight < 1 || g.OutWidth < 1 || (long)g.OutPlane * g.OutChannels >= int.MaxValue ? null : g;
    }
}

/// <summary>A convolution of a constant sparse input with a dense argument, in the two directions its autograd node needs.</summary>
internal interface ISparseConvInput
{
    /// <summary>
    /// The convolution of the input with weights W [Cout, Cin, K, K]: a new [N, Cout, OH, OW], or with a
    /// <paramref name="pool"/> window each sample's output max-pooled by it (not differentiable: gradient-free runs).
    /// </summary>
    Tensor Convolve(Tensor weight, PoolWindow? pool);

    /// <summary>
    /// max_pool2d(conv2d(x, W), pool) [N, Cout, PH, PW], pooled as each sample is written, and the input that
    /// differentiates it: the pooled convolution at the routes found (<see cref="SampleRoutes"/>), linear in W.
    /// </summary>
    (Tensor Values, ISparseConvInput AtRoutes) Pool(Tensor weight, PoolWindow pool);

    /// <summary>The adjoint in W: the weight gradient [Cout, Cin, K, K] for an output gradient G [N, Cout, OH, OW].</summary>
    Tensor WeightGrad(Tensor grad);
}

/// <summary>
/// A convolution whose input events are mostly zeros (the first layer of an event-camera network: 5 % of pixels
/// per frame): each nonzero input adds its value times a weight column to the K x K outputs it reaches, so the
/// cost is nonzeros x K² x Cout instead of outputs x Cin x K² x Cout. libtorch's convolution ran such a first layer
/// (Cin = 2) at about 50 GFLOP/s against 400+ for the later layers. Each sample is accumulated channel-last in a
/// small buffer (the output channels of one position are contiguous, so a weight column is a few vector
/// multiply-adds) and written out channel-first.
/// </summary>
internal sealed class SparseConvInput<T> : ISparseConvInput where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SparseRows<T> _rows;
    private readonly ConvGeometry _g;
    private readonly SampleRoutes? _at;

    /// <summary>The convolution of <paramref name="rows"/> (samples' nonzeros) of geometry <paramref name="geometry"/>, pooled at the routes <paramref name="at"/> when given.</summary>
    public SparseConvInput(SparseRows<T> rows, ConvGeometry geometry, SampleRoutes? at = null) => (_rows, _g, _at) = (rows, geometry, at);

    public Tensor Convolve(Tensor weight, PoolWindow? pool) => Convolve(weight, _at is null ? new SampleOutput(_g, pool) : new SampleOutput(_g, _at));

    public (Tensor Values, ISparseConvInput AtRoutes) Pool(Tensor weight, PoolWindow pool)
    {
        var writer = new SampleOutput(_g, pool, routed: true);
        var values = Convolve(weight, writer);
        return (values, new SparseConvInput<T>(_rows, _g, new SampleRoutes(writer.Routes!, _g, pool)));
    }

    private unsafe Tensor Convolve(Tensor weight, SampleOutput writer)
    {
        var wt = weight.permute(1, 2, 3, 0).contiguous();
        var output = writer.Allocate(_rows.Rows, weight.dtype);
        var (wp, op) = ((nint)TensorMemory.Pointer<T>(wt), (nint)TensorMemory.Pointer<T>(output));
        KernelThreads.Shared(Halves, _rows.Rows, () =>
        {
            var scratch = Scratch();
            return (n0, n1) => EachSample(new ScatterWeights { Weights = (T*)wp, Output = (T*)op, Channels = _g.OutChannels, Plane = _g.OutPlane, Writer = writer }, n0, n1, scratch);
        });
        return output;
    }

    public unsafe Tensor WeightGrad(Tensor grad)
    {
        var source = grad.contiguous();
        var gp = (nint)TensorMemory.Pointer<T>(source);
        var sum = KernelThreads.SumOverShared(Halves, _rows.Rows, [_g.InChannels, _g.Kernel, _g.Kernel, _g.OutChannels], grad.dtype, part =>
        {
            var scratch = Scratch();
            return (n0, n1) => EachSample(new GatherGradients { Weights = (T*)part, Grad = (T*)gp, Channels = _g.OutChannels, Plane = _g.OutPlane, At = _at }, n0, n1, scratch);
        });
        return sum.permute(3, 0, 1, 2).contiguous();
    }

    private bool Halves => KernelThreads.Splits(_rows.Rows, (long)_rows.Index.Length * _g.Kernel * _g.Kernel * _g.OutChannels, 1 << 16);

    /// <summary>One thread's channel-last scratch of a sample's outputs.</summary>
    private AlignedScratch<T> Scratch() => new(_g.OutPlane * _g.OutChannels);

    /// <summary>Samples n0..n1 in turn, with the thread's <paramref name="scratch"/>: Begin, every tap, End.</summary>
    private unsafe void EachSample<TV>(TV visitor, int n0, int n1, AlignedScratch<T> scratch) where TV : struct, ITapVisitor
    {
        using var pin = scratch.Pinned();
        for (int n = n0; n < n1; n++)
        {
            visitor.Begin(n, pin.Pointer);
            ForEachTap(n, ref visitor);
            visitor.End(n);
        }
    }

    /// <summary>What to do for one sample: before its taps, for each (output position, kernel tap, input value) of a nonzero input, and after.</summary>
    private unsafe interface ITapVisitor
    {
        void Begin(int n, T* scratch);
        void Visit(int position, int tap, T value);
        void End(int n);
    }

    /// <summary>Forward: the position's output channels += value · the tap's weight column; the sample's scratch starts at zero and is written out by the <see cref="SampleOutput"/>.</summary>
    private unsafe struct ScatterWeights : ITapVisitor
    {
        public T* Weights, Output;
        public int Channels, Plane;
        public SampleOutput Writer;
        private T* _scratch;

        public void Begin(int n, T* scratch)
        {
            _scratch = scratch;
            new Span<T>(scratch, Plane * Channels).Clear();
        }

        public readonly void Visit(int position, int tap, T value) =>
            VectorOps.AddScaled(new Span<T>(_scratch + (long)position * Channels, Channels), new ReadOnlySpan<T>(Weights + (long)tap * Channels, Channels), value);

        public readonly void End(int n) => Writer.Write(_scratch, Output, n);
    }

    /// <summary>
    /// Weight gradient: the tap's weight column += value · the position's output gradients, read channel-last from the
    /// scratch (the sample's gradient transposed, or its pooled gradient added at the routes <see cref="At"/>).
    /// </summary>
    private unsafe struct GatherGradients : ITapVisitor
    {
        public T* Weights, Grad;
        public int Channels, Plane;
        public SampleRoutes? At;
        private T* _scratch;

        public void Begin(int n, T* scratch)
        {
            _scratch = scratch;
            if (At is null) VectorOps.Transpose(Grad + (long)n * Channels * Plane, Channels, Plane, scratch);
            else At.Scatter(Grad, scratch, n);
        }

        public readonly void Visit(int position, int tap, T value) =>
            VectorOps.AddScaled(new Span<T>(Weights + (long)tap * Channels, Channels), new ReadOnlySpan<T>(_scratch + (long)position * Channels, Channels), value);

        public readonly void End(int n)
        {
        }
    }

    /// <summary>Visits, for each nonzero input of sample n, each kernel tap that reaches an output: (output position, tap index ci·K² + ky·K + kx, input value).</summary>
    private void ForEachTap<TV>(int n, ref TV visitor) where TV : struct, ITapVisitor
    {
        var (k, pad, h, w, oh, ow) = (_g.Kernel, _g.Padding, _g.Height, _g.Width, _g.OutHeight, _g.OutWidth);
        for (int e = _rows.Start[n]; e < _rows.Start[n + 1]; e++)
        {
            int index = _rows.Index[e];
            int ci = index / (h * w), y = index / w % h, x = index % w;
            var value = _rows.Values[e];
            for (int ky = 0; ky < k; ky++)
            {
                int oy = y + pad - ky;
                if (oy < 0 || oy >= oh) continue;
                for (int kx = 0; kx < k; kx++)
                {
                    int ox = x + pad - kx;
                    if (ox >= 0 && ox < ow) visitor.Visit(oy * ow + ox, (ci * k + ky) * k + kx, value);
                }
            }
        }
    }
}

/// <summary>Event-driven convolutions of gradient-free sparse inputs (see <see cref="SparseConvInput{T}"/>).</summary>
internal static class SparseInputConv
{
    /// <summary>
    /// conv2d(x, weight) without bias skipping x's zeros, or null when the event-driven convolution does not apply:
    /// x carries a gradient, is not a CPU float32/float64 [N, Cin, H, W] of weight's dtype, the stride is not 1, or x is
    /// denser than <see cref="SparseInputMatmul.MaxDensity"/>. With a <paramref name="pool"/> window each sample's output
    /// is max-pooled before it is written; where the weight records a gradient the result is a
    /// <see cref="SparsePoolFunction"/> node, whose derivatives visit the pooled positions only (null for windows of
    /// more than 256 positions).
    /// </summary>
    public static Tensor? TryConv(Tensor x, Tensor weight, long stride, long padding, PoolWindow? pool = null)
    {
        if (x.requires_grad || ConvGeometry.Of(x, weight, stride, padding) is not { } g || pool?.Kernel * pool?.Kernel > byte.MaxValue + 1) return null;
        var flat = x.reshape(x.shape[0], -1).contiguous();
        ISparseConvInput? input = x.dtype == ScalarType.Float32
            ? SparseRows<float>.From(flat, SparseInputMatmul.MaxDensity) is { } r32 ? new SparseConvInput<float>(r32, g) : null
            : SparseRows<double>.From(flat, SparseInputMatmul.MaxDensity) is { } r64 ? new SparseConvInput<double>(r64, g) : null;
        if (input is null) return null;
        if (pool is null) return SparseConvFunction.apply(weight, input, false);
        return Autograd.Records(weight) ? SparsePoolFunction.apply(weight, input, pool) : input.Convolve(weight, pool);
    }
}

/// <summary>
/// max_pool2d(conv2d(x, W), pool) for a constant sparse x as an autograd node in W: the forward pools each sample as it
/// is written and keeps the routes; the backward is the <see cref="SparseConvFunction"/> of the pooled convolution
/// at those routes (transposed), so derivatives of any order exist and none materialises the full-size output.
/// </summary>
internal sealed class SparsePoolFunction : torch.autograd.SingleTensorFunction<SparsePoolFunction>
{
    private const string RoutedKey = "routed";

    public override string Name => "MetaSpikeSparseInputPooledConv";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (weight, input, pool) = ((Tensor)vars[0], (ISparseConvInput)vars[1], (PoolWindow)vars[2]);
        var (values, routed) = input.Pool(weight, pool);
        ctx.save_data(RoutedKey, routed);
        return values;
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad) =>
        [SparseConvFunction.apply(grad, ctx.get_data(RoutedKey), true), null!, null!];
}

/// <summary>
/// The event-driven convolution in W (or, transposed, its weight gradient in G) as an autograd node: both are linear
/// and each is the other's adjoint, so the backward is this node again, transposed, and derivatives of any order exist.
/// </summary>
internal sealed class SparseConvFunction : torch.autograd.SingleTensorFunction<SparseConvFunction>
{
    private const string InputKey = "input", TransposedKey = "transposed";

    public override string Name => "MetaSpikeSparseInputConv";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (dense, input, transposed) = ((Tensor)vars[0], (ISparseConvInput)vars[1], (bool)vars[2]);
        ctx.save_data(InputKey, input);
        ctx.save_data(TransposedKey, transposed);
        return transposed ? input.WeightGrad(dense) : input.Convolve(dense.contiguous(), null);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad) =>
        [apply(grad, ctx.get_data(InputKey), !(bool)ctx.get_data(TransposedKey)), null!, null!];
}
