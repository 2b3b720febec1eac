using static TorchSharp.torch;

namespace MetaSpike.Layers;

/// <summary>max(0, x), element by element: the non-linearity of non-spiking baselines built from MetaSpike layers.</summary>
public sealed class Relu() : FeedForwardLayer(nameof(Relu))
{
    /// <inheritdoc />
    protected override Tensor Apply(Tensor input) => nn.functional.relu(input);

    /// <inheritdoc />
    public override string ToString() => "Relu()";
}
