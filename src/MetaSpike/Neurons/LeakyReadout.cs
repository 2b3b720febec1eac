using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using MetaSpike.Units;
using static TorchSharp.torch;

namespace MetaSpike.Neurons;

/// <summary>
/// Non-spiking leaky integrator, the usual readout of a classifier SNN: V ← V_rest + β (V - V_rest) + c·I with
/// β = exp(-dt/tau) and c as in <see cref="Lif"/>. Returns V (read it at the last step, or average or max it over time).
/// With <see cref="Fused"/> on, a sequence runs as one fused operation.
/// </summary>
public sealed class LeakyReadout : NeuronLayer, IFusable
{
    private readonly double _tau;
    private readonly double _vRest;
    private readonly double _resistance;

    /// <summary>Creates the readout.</summary>
    /// <param name="shape">Feature shape (number of classes).</param>
    /// <param name="tau">Membrane time constant (default 20 ms).</param>
    /// <param name="vRest">Resting potential (default 0 mV).</param>
    /// <param name="input">How the input enters (default <see cref="InputKind.Current"/>).</param>
    /// <param name="resistance">Membrane resistance for <see cref="InputKind.Current"/> (default 1).</param>
    public LeakyReadout(FeatureShape shape, Time? tau = null, Voltage? vRest = null, InputKind input = InputKind.Current, Resistance? resistance = null)
        : base(nameof(LeakyReadout), shape, "V")
    {
        _tau = (tau ?? 20.0).RequirePositive(nameof(tau)).Milliseconds;
        _vRest = (vRest ?? 0.0).RequireFinite(nameof(vRest)).Millivolts;
        _resistance = (resistance ?? 1.0).RequirePositive(nameof(resistance)).Ohms;
        Input = input;
    }

    /// <summary>How the input enters the potential.</summary>
    public InputKind Input { get; }

    /// <summary>The membrane time constant in ms.</summary>
    public double Tau => _tau;

    /// <summary>The resting potential in mV.</summary>
    public double VRest => _vRest;

    /// <summary>The membrane resistance in ohms (used with <see cref="InputKind.Current"/>).</summary>
    public double Resistance => _resistance;

    /// <inheritdoc />
    public bool Fused { get; set; }

    /// <inheritdoc />
    public string? FusedUnsupportedReason => null;

    /// <inheritdoc />
    public override Tensor Sequence(Tensor input)
    {
        if (!Fused || !FusedScan.Supports(input)) return base.Sequence(input);
        var (beta, gain) = Factors();
        return FusedIntegrate(input, ScanSpec.Integrator(beta, gain, _vRest));
    }

    private (double Beta, double Gain) Factors()
    {
        var beta = Decay(_tau);
        return (beta, Input == InputKind.Current ? (1 - beta) * _resistance : 1.0);
    }

    /// <inheritdoc />
    protected override Tensor[] Coefficients()
    {
        var (beta, gain) = Factors();
        return [tensor(beta, float64), tensor(gain, float64)];
    }

    /// <inheritdoc />
    protected override Tensor InitialState(int slot, Tensor like) => _vRest != 0 ? full_like(like, _vRest) : zeros_like(like);

    /// <inheritdoc />
    protected override Tensor Advance(Tensor input, Tensor[] c)
    {
        var v = Get(0, input);
        v = _vRest == 0 ? c[0] * v + c[1] * input : _vRest + c[0] * (v - _vRest) + c[1] * input;
        Set(0, v);
        return v;
    }

    /// <inheritdoc />
    public override string ToString() => $"LeakyReadout({TensorText.Shape(Shape)}, tau={_tau:G4} ms, input={Input})";
}
