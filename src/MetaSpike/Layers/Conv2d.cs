using MetaSpike.Layers.Fused;
using MetaSpike.Neurons;
using MetaSpike.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Layers;

/// <summary>2-D convolution over [N, C, H, W] (weight [out, in, k, k], bias [out]).</summary>
public sealed class Conv2d : FeedForwardLayer, IFusable
{
    private readonly long _stride;
    private readonly long _padding;

    /// <summary>Creates the layer.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Square kernel size.</param>
    /// <param name="stride">Stride.</param>
    /// <param name="padding">Zero padding on each side.</param>
    /// <param name="bias">Whether to add a bias.</param>
    /// <param name="weightInit">Weight initialiser (default <see cref="Init.LeCunUniform"/> on fan-in = in * k * k).</param>
    /// <param name="biasInit">Bias initialiser (default <see cref="Init.LeCunUniform"/>).</param>
    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true,
        Init? weightInit = null, Init? biasInit = null)
        : base(nameof(Conv2d))
    {
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1 || stride < 1 || padding < 0)
            throw new ArgumentException(
                $"Conv2d needs channels >= 1, kernel >= 1, stride >= 1 and padding >= 0, got in={inChannels}, out={outChannels}, kernel={kernelSize}, stride={stride}, padding={padding}.");
        (InChannels, OutChannels, KernelSize, _stride, _padding, HasBias) = (inChannels, outChannels, kernelSize, stride, padding, bias);
        long fanIn = inChannels * kernelSize * kernelSize, fanOut = outChannels * kernelSize * kernelSize;
        using (no_grad())
        {
            register_parameter("weight", new Parameter((weightInit ?? Init.LeCunUniform).Create([outChannels, inChannels, kernelSize, kernelSize], fanIn, fanOut)));
            if (bias) register_parameter("bias", new Parameter((biasInit ?? Init.LeCunUniform).Create([outChannels], fanIn, fanOut)));
        }
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Square kernel size.</summary>
    public long KernelSize { get; }

    /// <summary>Whether the layer adds a bias.</summary>
    public bool HasBias { get; }

    /// <summary>Stride (both directions).</summary>
    public long Stride => _stride;

    /// <summary>Zero padding on each side.</summary>
    public long Padding => _padding;

    /// <summary>The output height or width for an input of size <paramref name="size"/>.</summary>
    public long OutputSize(long size) => (size + 2 * _padding - KernelSize) / _stride + 1;

    /// <inheritdoc />
    protected override Tensor Apply(Tensor input)
    {
        RequireInput(input);
        return Fused && EventConvolution(input, null) is { } events ? WithBias(events) : Dense(input);
    }

    /// <summary>
    /// This layer followed by <paramref name="pool"/> over a sequence [T, batch, C, H, W], or null (run them one after
    /// the other) unless both are <see cref="Fused"/>. With no gradient recorded the event-driven and gathered
    /// convolutions max-pool each sample's output before writing it (burn-in and evaluation never write the
    /// convolution's full-size output), and other inputs take libtorch's convolution and the pooling kernel. With a
    /// recorded gradient, inputs of <see cref="PooledConv.MinInChannels"/> channels or more take
    /// <see cref="PooledConv"/>, and event frames the event-driven convolution pooled as it writes
    /// (<see cref="SparsePoolFunction"/>): the derivatives of both visit only the pooled positions. Others return null.
    /// The gathered convolutions (burn-in, and the pooled node's forward) take a step as the step one or two before plus
    /// the convolution of the change wherever the change is sparser (<see cref="DeltaChains"/>).
    /// </summary>
    internal Tensor? SequencePooled(Tensor input, MaxPool2d pool)
    {
        if (!Fused || !pool.Fused) return null;
        RequireSequence(input);
        var (steps, batch) = (input.shape[0], input.shape[1]);
        var flat = input.flatten(0, 1);
        RequireInput(flat);
        if (OutputSize(flat.shape[2]) < pool.KernelSize || OutputSize(flat.shape[3]) < pool.KernelSize) return null;
        var window = new PoolWindow((int)pool.KernelSize, (int)pool.Stride);
        var bias = HasBias ? Param("bias") : null;
        // max(v + b) = max(v) + b exactly (rounding is monotonic), so the bias is added to the pooled output.
        Tensor? output;
        if (Autograd.Records(input, Param("weight"), bias))
        {
            var recorded = PooledConv.TryConv(flat, Param("weight"), _stride, _padding, window, (int)batch)
                ?? SparseInputConv.TryConv(flat, Param("weight"), _stride, _padding, window);
            output = recorded is null || bias is null ? recorded : recorded + bias.view(-1, 1, 1);
        }
        else
            output = EventConvolution(flat, window, (int)batch) is { } pooled ? WithBias(pooled) : pool.Step(Dense(flat));
        return output?.unflatten(0, [steps, batch]);
    }

    private void RequireInput(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != InChannels || OutputSize(input.shape[2]) < 1 || OutputSize(input.shape[3]) < 1)
            throw new ArgumentException(
                $"Conv2d({InChannels}, {OutChannels}, kernel {KernelSize}) expects input [N, {InChannels}, H, W] with H, W >= {KernelSize - 2 * _padding}, got {ShapeOf(input)}.",
                nameof(input));
    }

    /// <summary>
    /// The event-driven or gathered convolution without bias (pooled by <paramref name="pool"/> when given), or null
    /// where neither applies; <paramref name="sequenceBatch"/> is B when the input is a sequence's steps [T · B, ...].
    /// </summary>
    private Tensor? EventConvolution(Tensor input, PoolWindow? pool, int? sequenceBatch = null) =>
        SparseInputConv.TryConv(input, Param("weight"), _stride, _padding, pool)
        ?? GatherConv.TryConv(input, Param("weight"), _stride, _padding, pool, sequenceBatch);

    /// <summary>Adds the bias in place: no second output-sized buffer.</summary>
    private Tensor WithBias(Tensor output) => HasBias ? output.add_(Param("bias").view(-1, 1, 1)) : output;

    /// <summary>libtorch's convolution, in chunks of <see cref="ChunkSamples"/> when <see cref="Fused"/>.</summary>
    private Tensor Dense(Tensor input)
    {
        var bias = HasBias ? Param("bias") : null;
        if (!Fused || input.shape[0] <= ChunkSamples) return Convolve(input, bias);
        return cat(input.split(ChunkSamples).Select(chunk => Convolve(chunk, bias)).ToArray());
    }

    private Tensor Convolve(Tensor input, Tensor? bias) =>
        nn.functional.conv2d(input, Param("weight"), bias, strides: [_stride, _stride], padding: [_padding, _padding]);

    /// <summary>
    /// With <see cref="Fused"/> on, larger batches (time steps x samples in multi-step mode) are convolved this many
    /// samples at a time: libtorch's CPU convolution measured 30-40 % slower per sample above about 1,000.
    /// </summary>
    public const int ChunkSamples = 512;

    /// <summary>
    /// Whether the layer runs MetaSpike's CPU paths (default false): an event-driven convolution for stride-1 inputs
    /// that carry no gradient (event frames) and are at most 10 % nonzero — each event adds a weight column to the
    /// outputs it reaches, nonzeros x K² x OutChannels multiply-adds; a gathered convolution for inputs up to half
    /// nonzero (hidden spikes: each output sums the weight rows of the channels that fired under its taps) when no
    /// gradient is recorded, or with one where the output planes are small (at most 32 positions,
    /// where libtorch's convolution is least efficient) — and, for other inputs, libtorch's convolution in chunks of
    /// <see cref="ChunkSamples"/>. Same values (up to summation order) and gradients of any order. In a
    /// <see cref="Sequential"/>, followed by a fused <see cref="MaxPool2d"/>: with no gradient recorded the
    /// event-driven and gathered convolutions pool each sample's output before writing it, and in a gradient window
    /// the pair is one node whose gradients of any order visit only the pooled positions (inputs of 8 channels or more,
    /// and event frames).
    /// </summary>
    public bool Fused { get; set; }

    /// <summary>Always null: inputs the event-driven convolution cannot take use libtorch's.</summary>
    public string? FusedUnsupportedReason => null;

    /// <inheritdoc />
    public override string ToString() => $"Conv2d({InChannels}, {OutChannels}, kernel={KernelSize}, stride={_stride}, padding={_padding}, bias={HasBias})";
}
