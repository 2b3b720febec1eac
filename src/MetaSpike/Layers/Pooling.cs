using MetaSpike.Layers.Fused;
using MetaSpike.Neurons;
using static TorchSharp.torch;

namespace MetaSpike.Layers;

/// <summary>Base of the 2-D pooling layers: square window, stride = window unless given, over [N, C, H, W].</summary>
public abstract class Pool2d : FeedForwardLayer
{
    /// <summary>Creates the layer.</summary>
    protected Pool2d(string name, long kernelSize, long? stride) : base(name)
    {
        if (kernelSize < 1 || stride is < 1)
            throw new ArgumentException($"{name} needs kernel >= 1 and stride >= 1, got kernel={kernelSize}, stride={stride}.");
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
    }

    /// <summary>Square window size.</summary>
    public long KernelSize { get; }

    /// <summary>Stride.</summary>
    public long Stride { get; }

    /// <summary>Pools a checked [N, C, H, W] input.</summary>
    protected abstract Tensor Pool(Tensor input);

    /// <inheritdoc />
    protected sealed override Tensor Apply(Tensor input)
    {
        if (input.dim() != 4 || input.shape[2] < KernelSize || input.shape[3] < KernelSize)
            throw new ArgumentException($"{GetType().Name}({KernelSize}) expects input [N, C, H, W] with H, W >= {KernelSize}, got {ShapeOf(input)}.", nameof(input));
        return Pool(input);
    }

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name}({KernelSize}, stride={Stride})";
}

/// <summary>2-D max pooling. On spikes it passes a spike if any input in the window spiked.</summary>
public sealed class MaxPool2d(long kernelSize, long? stride = null) : Pool2d(nameof(MaxPool2d), kernelSize, stride), IFusable
{
    /// <summary>
    /// Whether pooling runs MetaSpike's own CPU kernel (default false): the same maxima, the same first-maximum
    /// gradient routing and derivatives of any order as libtorch's, in a fraction of the time. Other devices and
    /// dtypes, and windows over 16 x 16, use libtorch's pooling.
    /// </summary>
    public bool Fused { get; set; }

    /// <summary>Always null: inputs the kernel cannot take fall back to libtorch's pooling.</summary>
    public string? FusedUnsupportedReason => null;

    /// <inheritdoc />
    protected override Tensor Pool(Tensor input) =>
        Fused && MaxPoolKernels.GeometryOf(input, KernelSize, Stride) is { } geometry
            ? MaxPoolFunction.Pool(input, geometry)
            : nn.functional.max_pool2d(input, [KernelSize, KernelSize], [Stride, Stride]);
}

/// <summary>2-D average pooling.</summary>
public sealed class AvgPool2d(long kernelSize, long? stride = null) : Pool2d(nameof(AvgPool2d), kernelSize, stride)
{
    /// <inheritdoc />
    protected override Tensor Pool(Tensor input) =>
        nn.functional.avg_pool2d(input, [KernelSize, KernelSize], [Stride, Stride]);
}

/// <summary>Flattens every dimension after the batch: [N, C, H, W] → [N, C*H*W] (in multi-step mode [T, B, ...] → [T, B, C*H*W]).</summary>
public sealed class Flatten() : FeedForwardLayer(nameof(Flatten))
{
    /// <inheritdoc />
    protected override Tensor Apply(Tensor input) =>
        input.dim() >= 2 ? input.flatten(1)
            : throw new ArgumentException($"Flatten expects [N, ...] with at least one feature dimension, got {ShapeOf(input)}.", nameof(input));
}
