using MetaSpike.Modules;
using MetaSpike.Neurons;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Layers;

/// <summary>
/// Runs layers in order. In multi-step mode each layer processes the whole sequence before the next one starts
/// (layer by layer), in single-step mode each step goes through all layers (step by step); for feed-forward
/// stacks both give the same numbers. Plain TorchSharp modules without state may be mixed in. In multi-step mode an
/// <see cref="Expon"/> directly followed by a <see cref="Lif"/>, both with <see cref="IFusable.Fused"/> on, runs as one
/// fused synapse + LIF operation.
/// </summary>
public sealed class Sequential : SpikingModule
{
    private readonly nn.Module<Tensor, Tensor>[] _layers;

    /// <summary>Creates the container; children are registered as "0", "1", ...</summary>
    public Sequential(params nn.Module<Tensor, Tensor>[] layers) : base(nameof(Sequential))
    {
        if (layers.Length == 0) throw new ArgumentException("Sequential needs at least one layer.", nameof(layers));
        _layers = layers;
        for (int i = 0; i < layers.Length; i++) register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Layers => _layers;

    /// <inheritdoc />
    public override Tensor Step(Tensor input)
    {
        var x = input;
        foreach (var layer in _layers) x = layer is SpikingModule s ? s.Step(x) : layer.forward(x);
        return x;
    }

    /// <inheritdoc />
    public override Tensor Sequence(Tensor input)
    {
        RequireSequence(input);
        var x = input;
        for (int i = 0; i < _layers.Length; i++)
        {
            var layer = _layers[i];
            if (layer is Expon synapse && i + 1 < _layers.Length && _layers[i + 1] is Lif neuron && neuron.FusesWith(synapse, x))
            {
                x = neuron.FusedSequence(x, synapse);
                i++;
                continue;
            }
            if (layer is Conv2d conv && i + 1 < _layers.Length && _layers[i + 1] is MaxPool2d pool && conv.SequencePooled(x, pool) is { } pooled)
            {
                x = pooled;
                i++;
                continue;
            }
            x = layer is SpikingModule s ? s.Sequence(x) : layer.forward(x.flatten(0, 1)).unflatten(0, [x.shape[0], x.shape[1]]);
        }
        return x;
    }
}
