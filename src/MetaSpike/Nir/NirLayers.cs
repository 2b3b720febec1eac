using MetaSpike.Layers;
using static TorchSharp.torch;

namespace MetaSpike.Nir;

/// <summary>Element-wise gain y = x ⊙ s (NIR's <c>Scale</c>), with one factor per feature.</summary>
public sealed class Scale : FeedForwardLayer
{
    private readonly Tensor _scale;

    /// <summary>Creates the layer.</summary>
    /// <param name="scale">The factors, shaped like the features (without batch).</param>
    public Scale(Tensor scale) : base(nameof(Scale))
    {
        ArgumentNullException.ThrowIfNull(scale);
        _scale = scale.detach().clone();
        register_buffer("scale", _scale);
    }

    /// <summary>The factors.</summary>
    public Tensor Factors => _scale;

    /// <inheritdoc />
    protected override Tensor Apply(Tensor input)
    {
        if (input.dim() != _scale.dim() + 1 || !input.shape.Skip(1).SequenceEqual(_scale.shape))
            throw new ArgumentException($"Scale({TensorText(_scale)}) expects input [N, {string.Join(", ", _scale.shape)}], got {ShapeOf(input)}.", nameof(input));
        return input * _scale.to_type(input.dtype);
    }

    /// <inheritdoc />
    public override string ToString() => $"Scale({TensorText(_scale)})";

    private static string TensorText(Tensor t) => $"[{string.Join(", ", t.shape)}]";
}

/// <summary>2-D sum pooling (NIR's <c>SumPool2d</c>): the window's average times its size.</summary>
public sealed class SumPool2d(long kernelSize, long? stride = null) : Pool2d(nameof(SumPool2d), kernelSize, stride)
{
    /// <inheritdoc />
    protected override Tensor Pool(Tensor input) =>
        nn.functional.avg_pool2d(input, [KernelSize, KernelSize], [Stride, Stride]) * (double)(KernelSize * KernelSize);
}
