using MetaSpike.Runtime;
using MetaSpike.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Layers;

/// <summary>
/// A layer without state in time. In multi-step mode it runs once on all T steps folded into the batch
/// ([T, batch, ...] → [T*batch, ...]), which is where multi-step mode gets its speed.
/// </summary>
public abstract class FeedForwardLayer : SpikingModule
{
    /// <summary>Creates the layer.</summary>
    protected FeedForwardLayer(string name) : base(name)
    {
    }

    /// <summary>Applies the layer to a batch [N, ...].</summary>
    protected abstract Tensor Apply(Tensor input);

    /// <inheritdoc />
    public override Tensor Step(Tensor input) => Apply(input);

    /// <inheritdoc />
    public override Tensor Sequence(Tensor input)
    {
        RequireSequence(input);
        var (steps, batch) = (input.shape[0], input.shape[1]);
        var output = Apply(input.flatten(0, 1));
        return output.unflatten(0, [steps, batch]);
    }

    /// <summary>Formats a shape for error messages.</summary>
    protected static string ShapeOf(Tensor t) => t.ShapeText();
}
