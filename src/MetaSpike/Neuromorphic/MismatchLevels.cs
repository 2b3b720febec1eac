namespace MetaSpike.Neuromorphic;

/// <summary>
/// Spread of the fixed-pattern (per neuron, fixed per chip) deviations from the nominal parameters that remain
/// after a chip's calibration. Relative spreads are standard deviations of log-normal factors; absolute spreads
/// are standard deviations in LSB.
/// </summary>
public sealed record MismatchLevels
{
    /// <summary>Relative spread of tau_mem. Default 0.05.</summary>
    public double TauMemRelative { get; init; } = 0.05;

    /// <summary>Relative spread of the two synaptic time constants (drawn separately). Default 0.05.</summary>
    public double TauSynRelative { get; init; } = 0.05;

    /// <summary>Spread of the leak potential in LSB. Default 8.</summary>
    public double LeakLsb { get; init; } = 8.0;

    /// <summary>Spread of the reset potential in LSB. Default 8.</summary>
    public double ResetLsb { get; init; } = 8.0;

    /// <summary>Spread of the threshold in LSB. Default 15.</summary>
    public double ThresholdLsb { get; init; } = 15.0;

    /// <summary>Relative spread of the excitatory and inhibitory synaptic gains (drawn separately). Default 0.1.</summary>
    public double SynapticGainRelative { get; init; } = 0.1;

    /// <summary>No mismatch: every neuron is exactly nominal (an ideal chip).</summary>
    public static MismatchLevels None { get; } = new()
    {
        TauMemRelative = 0, TauSynRelative = 0, LeakLsb = 0, ResetLsb = 0, ThresholdLsb = 0, SynapticGainRelative = 0,
    };

    /// <summary>The defaults: a calibrated chip with a few per cent residual mismatch.</summary>
    public static MismatchLevels Typical { get; } = new();

    internal void Validate()
    {
        foreach (var (value, name) in new[]
        {
            (TauMemRelative, nameof(TauMemRelative)), (TauSynRelative, nameof(TauSynRelative)), (LeakLsb, nameof(LeakLsb)),
            (ResetLsb, nameof(ResetLsb)), (ThresholdLsb, nameof(ThresholdLsb)), (SynapticGainRelative, nameof(SynapticGainRelative)),
        })
        {
            if (!double.IsFinite(value) || value < 0) throw new ArgumentException($"mismatch level {name} must be finite and >= 0, got {value}.");
        }
    }
}
