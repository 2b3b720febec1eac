using MetaSpike.Runtime;
using MetaSpike.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Layers;

/// <summary>
/// Dropout for spiking networks: one mask per sample, drawn at the first step after <see cref="ResetOwnState"/>
/// and kept for every time step (a dropped neuron stays silent for the whole sequence, as in SpikingJelly).
/// Kept values are scaled by 1/(1-p). Identity in eval mode.
/// </summary>
public sealed class Dropout : SpikingModule
{
    private Tensor? _mask;

    /// <summary>Creates the layer.</summary>
    /// <param name="p">Drop probability in [0, 1).</param>
    public Dropout(double p = 0.5) : base(nameof(Dropout))
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentException($"Dropout probability must be in [0, 1), got {p}.", nameof(p));
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <inheritdoc />
    public override Tensor Step(Tensor input) => training && P > 0 ? input * MaskFor(input) : input;

    /// <inheritdoc />
    public override Tensor Sequence(Tensor input)
    {
        RequireSequence(input);
        return training && P > 0 ? input * MaskFor(input[0]) : input;
    }

    /// <inheritdoc />
    public override void ResetOwnState(long batch)
    {
        _mask?.Dispose();
        _mask = null;
    }

    private Tensor MaskFor(Tensor step)
    {
        if (_mask is not null && _mask.shape.SequenceEqual(step.shape) && _mask.dtype == step.dtype && !_mask.IsInvalid)
            return _mask;
        if (_mask is not null && !_mask.IsInvalid)
            throw new InvalidOperationException(
                $"Dropout: input shape changed from {_mask.ShapeText()} to {step.ShapeText()} without ResetState.");
        _mask = (empty_like(step).bernoulli_(1 - P) / (1 - P)).DetachFromDisposeScope();
        return _mask;
    }

    /// <inheritdoc />
    public override string ToString() => $"Dropout(p={P})";
}
