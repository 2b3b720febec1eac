using MetaSpike.Surrogates;
using MetaSpike.Units;
using static TorchSharp.torch;

namespace MetaSpike.Neurons;

/// <summary>
/// Adaptive LIF (Bellec et al. 2018): each spike raises the threshold, which relaxes back with tau_adapt.
/// a ← ρ a + s[t-1] (ρ = exp(-dt/tau_adapt)); threshold = V_th + β_adapt · a. Otherwise as <see cref="Lif"/>;
/// a soft reset subtracts the adapted threshold. The adaptation carries gradient.
/// </summary>
public sealed class Alif : Lif
{
    private const int AdaptationSlot = 3;
    private readonly double _tauAdapt;

    /// <summary>Creates the population; the LIF arguments are those of <see cref="Lif"/>.</summary>
    /// <param name="shape">Feature shape.</param>
    /// <param name="tauAdapt">Adaptation time constant (default 200 ms).</param>
    /// <param name="adaptation">Threshold increase per spike β_adapt (default 0.2 mV).</param>
    /// <param name="tau">Membrane time constant (default 20 ms).</param>
    /// <param name="vRest">Resting potential (default 0 mV).</param>
    /// <param name="vReset">Reset potential (default 0 mV).</param>
    /// <param name="vThreshold">Baseline threshold (default 1 mV).</param>
    /// <param name="surrogate">Spike function (default fast sigmoid, slope 25).</param>
    /// <param name="reset">Reset mode.</param>
    /// <param name="input">How the input enters the potential.</param>
    /// <param name="resistance">Membrane resistance (default 1).</param>
    /// <param name="detachReset">Cut the gradient through the reset (default true).</param>
    public Alif(FeatureShape shape, Time? tauAdapt = null, Voltage? adaptation = null, Time? tau = null, Voltage? vRest = null,
        Voltage? vReset = null, Voltage? vThreshold = null, SurrogateFunction? surrogate = null, ResetMode reset = ResetMode.Subtract,
        InputKind input = InputKind.Current, Resistance? resistance = null, bool detachReset = true)
        : base(nameof(Alif), shape, tau, vRest, vReset, vThreshold, surrogate, reset, null, input, resistance, false, false, detachReset, "adaptation")
    {
        _tauAdapt = (tauAdapt ?? 200.0).RequirePositive(nameof(tauAdapt)).Milliseconds;
        Adaptation = (adaptation ?? 0.2).RequireFinite(nameof(adaptation)).Millivolts;
        if (Adaptation < 0) throw new ArgumentException($"Alif: the adaptation must be >= 0 mV, got {Adaptation} mV.", nameof(adaptation));
    }

    /// <summary>Threshold increase per spike, in mV.</summary>
    public double Adaptation { get; }

    /// <summary>Adaptation time constant in ms.</summary>
    public double TauAdapt => _tauAdapt;

    /// <inheritdoc />
    protected override Tensor Threshold(Tensor threshold, Tensor input)
    {
        var a = Decay(_tauAdapt) * Get(AdaptationSlot, input) + Get(SpikeSlot, input);
        Set(AdaptationSlot, a);
        return threshold + Adaptation * a;
    }
}
