namespace MetaSpike.Neuromorphic;

/// <summary>
/// The nominal (calibration target) parameters of a hardware neuron: a leaky integrate-and-fire circuit with
/// current-based exponential excitatory and inhibitory synapses, a refractory period, and optional AdEx terms
/// (exponential onset and spike-triggered/subthreshold adaptation). Times are in µs of hardware time (the substrate
/// runs 1000x faster than biology: 10 µs here is 10 ms biological); potentials are in LSB of the 10-bit membrane ADC.
/// </summary>
/// <remarks>
/// Dynamics (V membrane, I_e/I_i synaptic currents in LSB, w adaptation in LSB):
/// <c>tau_mem dV/dt = -(V - Leak) + I_e - I_i + OffsetCurrent - w + DeltaT exp((V - V_T) / DeltaT)</c>,
/// <c>tau_syn dI/dt = -I</c> with a jump of <c>weight x SynapticGain</c> per input spike,
/// <c>tau_w dw/dt = a (V - Leak) - w</c> with a jump of <c>b</c> per output spike. A spike is emitted when
/// V reaches <see cref="ThresholdLsb"/>; V is then held at <see cref="ResetLsb"/> for the refractory period.
/// The chip's fixed-pattern mismatch is applied on top of these values (see <see cref="MismatchLevels"/>).
/// </remarks>
public sealed record NeuronParameters
{
    /// <summary>Membrane time constant in µs. Default 10.</summary>
    public double TauMemUs { get; init; } = 10.0;

    /// <summary>Excitatory synaptic time constant in µs. Default 5.</summary>
    public double TauSynExcUs { get; init; } = 5.0;

    /// <summary>Inhibitory synaptic time constant in µs. Default 5.</summary>
    public double TauSynInhUs { get; init; } = 5.0;

    /// <summary>Refractory period in µs (rounded to the integration step). Default 2.</summary>
    public double RefractoryUs { get; init; } = 2.0;

    /// <summary>Leak (resting) potential in LSB. Default 300.</summary>
    public double LeakLsb { get; init; } = 300.0;

    /// <summary>Reset potential in LSB. Default 280 (a little below the leak, as on calibrated chips).</summary>
    public double ResetLsb { get; init; } = 280.0;

    /// <summary>Spike threshold in LSB. Default 600, so the nominal dynamic range is Threshold - Leak = 300 LSB.</summary>
    public double ThresholdLsb { get; init; } = 600.0;

    /// <summary>
    /// Synaptic current jump per unit of integer weight, in LSB (the membrane-voltage equivalent of the current).
    /// A single spike through weight w peaks at <c>w x gain x 0.25</c> LSB for tau_mem = 2 tau_syn. Default 7.5, chosen so that the SuperSpike
    /// tutorial's input (25 sources at 10 kHz, weights ~N(27, 1)) makes the ideal neuron fire about 3.5 times in 200 µs.
    /// </summary>
    public double SynapticGainLsb { get; init; } = 7.5;

    /// <summary>Constant input current in LSB (the membrane settles at Leak + OffsetCurrent without spiking). Default 0.</summary>
    public double OffsetCurrentLsb { get; init; }

    /// <summary>AdEx slope factor Delta_T in LSB; 0 (the default) turns the exponential term off.</summary>
    public double ExponentialSlopeLsb { get; init; }

    /// <summary>AdEx exponential threshold V_T in LSB (used only when <see cref="ExponentialSlopeLsb"/> &gt; 0). Default 550.</summary>
    public double ExponentialThresholdLsb { get; init; } = 550.0;

    /// <summary>Subthreshold adaptation coupling a (dimensionless, LSB of w per LSB of V - Leak). Default 0 (off).</summary>
    public double AdaptationCoupling { get; init; }

    /// <summary>Spike-triggered adaptation jump b in LSB. Default 0 (off).</summary>
    public double AdaptationJumpLsb { get; init; }

    /// <summary>Adaptation time constant in µs. Default 100.</summary>
    public double TauAdaptationUs { get; init; } = 100.0;

    /// <summary>The calibration targets of BrainScaleS-2's SuperSpike tutorial (tau_mem 10 µs, tau_syn 5 µs).</summary>
    public static NeuronParameters Default { get; } = new();

    /// <summary>Whether adaptation is on (a or b non-zero).</summary>
    public bool HasAdaptation => AdaptationCoupling != 0 || AdaptationJumpLsb != 0;

    /// <summary>Throws if a value is not finite or outside its domain.</summary>
    /// <exception cref="ArgumentException">A NaN or infinite value, a non-positive time constant, a negative refractory period or gain, or a threshold not above the reset.</exception>
    public void Validate()
    {
        Finite(TauMemUs, nameof(TauMemUs)); Finite(TauSynExcUs, nameof(TauSynExcUs)); Finite(TauSynInhUs, nameof(TauSynInhUs));
        Finite(RefractoryUs, nameof(RefractoryUs)); Finite(LeakLsb, nameof(LeakLsb)); Finite(ResetLsb, nameof(ResetLsb));
        Finite(ThresholdLsb, nameof(ThresholdLsb)); Finite(SynapticGainLsb, nameof(SynapticGainLsb));
        Finite(OffsetCurrentLsb, nameof(OffsetCurrentLsb)); Finite(ExponentialSlopeLsb, nameof(ExponentialSlopeLsb));
        Finite(ExponentialThresholdLsb, nameof(ExponentialThresholdLsb)); Finite(AdaptationCoupling, nameof(AdaptationCoupling));
        Finite(AdaptationJumpLsb, nameof(AdaptationJumpLsb)); Finite(TauAdaptationUs, nameof(TauAdaptationUs));
        Positive(TauMemUs, nameof(TauMemUs)); Positive(TauSynExcUs, nameof(TauSynExcUs)); Positive(TauSynInhUs, nameof(TauSynInhUs));
        Positive(TauAdaptationUs, nameof(TauAdaptationUs));
        if (RefractoryUs < 0) throw new ArgumentException($"neuron parameter {nameof(RefractoryUs)} must be >= 0, got {RefractoryUs}.");
        if (SynapticGainLsb < 0) throw new ArgumentException($"neuron parameter {nameof(SynapticGainLsb)} must be >= 0, got {SynapticGainLsb}.");
        if (ExponentialSlopeLsb < 0) throw new ArgumentException($"neuron parameter {nameof(ExponentialSlopeLsb)} must be >= 0, got {ExponentialSlopeLsb}.");
        if (ThresholdLsb <= ResetLsb)
            throw new ArgumentException($"neuron parameter {nameof(ThresholdLsb)} ({ThresholdLsb}) must lie above {nameof(ResetLsb)} ({ResetLsb}).");
    }

    private static void Finite(double value, string name)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"neuron parameter {name} must be finite, got {value}.");
    }

    private static void Positive(double value, string name)
    {
        if (value <= 0) throw new ArgumentException($"neuron parameter {name} must be > 0 µs, got {value}.");
    }
}
