using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using MetaSpike.Units;
using static TorchSharp.torch;

namespace MetaSpike.Neurons;

/// <summary>
/// Exponential synapse (brainpy's Expon): a conductance or current trace g that jumps by the input and decays
/// with tau: g ← exp(-dt/tau) g + x. Returns g. Used as the input filter of a LIF layer and as a readout.
/// With <see cref="Fused"/> on, a sequence runs as one fused operation; an <see cref="Expon"/> followed by a fused
/// <see cref="Lif"/> in a <see cref="Layers.Sequential"/> runs as one fused synapse + LIF operation.
/// </summary>
public sealed class Expon : NeuronLayer, IFusable
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
    public bool Fused { get; set; }

    /// <inheritdoc />
    public string? FusedUnsupportedReason => null;

    /// <summary>exp(-dt/tau) at the current dt.</summary>
    internal double DecayFactor => Decay(_tau);

    /// <inheritdoc />
    public override Tensor Sequence(Tensor input) =>
        Fused && FusedScan.Supports(input) ? FusedIntegrate(input, ScanSpec.Integrator(DecayFactor)) : base.Sequence(input);

    /// <summary>The trace before a sequence whose first step is <paramref name="step"/> (created at a batch's start).</summary>
    internal Tensor TraceBefore(Tensor step) => Get(0, step);

    /// <summary>Stores the trace after a sequence run by the fused synapse + LIF kernel.</summary>
    internal void SetTrace(Tensor trace) => Set(0, trace);

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
