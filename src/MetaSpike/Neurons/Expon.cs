using MetaSpike.Runtime;
using MetaSpike.Units;
using static TorchSharp.torch;

namespace MetaSpike.Neurons;

/// <summary>
/// Exponential synapse (brainpy's Expon): a conductance or current trace g that jumps by the input and decays
/// with tau: g ← exp(-dt/tau) g + x. Returns g. Used as the input filter of a LIF layer and as a readout.
/// </summary>
public sealed class Expon : NeuronLayer
{
    private readonly double _tau;

    /// <summary>Creates the synapse population.</summary>
    /// <param name="shape">Feature shape.</param>
    /// <param name="tau">Decay time constant (default 10 ms).</param>
    public Expon(FeatureShape shape, Time? tau = null) : base(nameof(Expon), shape, "g")
    {
        _tau = (tau ?? 10.0).RequirePositive(nameof(tau)).Milliseconds;
    }

    /// <summary>The decay time constant in ms.</summary>
    public double Tau => _tau;

    /// <inheritdoc />
    protected override Tensor[] Coefficients() => [tensor(Decay(_tau), float64)];

    /// <inheritdoc />
    protected override Tensor InitialState(int slot, Tensor like) => zeros_like(like);

    /// <inheritdoc />
    protected override Tensor Advance(Tensor input, Tensor[] c)
    {
        var g = c[0] * Get(0, input) + input;
        Set(0, g);
        return g;
    }

    /// <inheritdoc />
    public override string ToString() => $"Expon({TensorText.Shape(Shape)}, tau={_tau:G4} ms)";
}
