namespace MetaSpike.Data.Generators;

/// <summary>Settings of the simulated DVS sensor (<see cref="DvsSimulator"/>).</summary>
public sealed record DvsOptions
{
    /// <summary>Nominal ON contrast threshold, in log intensity (default 0.2).</summary>
    public double OnThreshold { get; init; } = 0.2;

    /// <summary>Nominal OFF contrast threshold, in log intensity (default 0.2).</summary>
    public double OffThreshold { get; init; } = 0.2;

    /// <summary>Standard deviation of the per-pixel threshold mismatch, drawn once per sensor (default 0.03).</summary>
    public double ThresholdSigma { get; init; } = 0.03;

    /// <summary>Lower bound of a pixel's drawn threshold (default 0.05), so that no pixel fires on every flicker.</summary>
    public double MinThreshold { get; init; } = 0.05;

    /// <summary>
    /// Refractory period in µs (default 200): a pixel fires at most once per period; a crossing inside it fires when
    /// the period ends, if the intensity is still past the level then.
    /// </summary>
    public long RefractoryUs { get; init; } = 200;

    /// <summary>The sensor sees log(I + LogEpsilon) (default 0.01), so that black pixels stay finite.</summary>
    public double LogEpsilon { get; init; } = 0.01;

    /// <summary>Background activity per pixel in Hz (default 0): random events that leave the pixel's state alone.</summary>
    public double NoiseRateHz { get; init; }

    /// <summary>Throws when a setting is out of range.</summary>
    internal void Validate(string argument)
    {
        if (!(OnThreshold > 0) || !(OffThreshold > 0) || !double.IsFinite(OnThreshold) || !double.IsFinite(OffThreshold))
            throw new ArgumentException($"the contrast thresholds must be positive, got ON {OnThreshold}, OFF {OffThreshold}.", argument);
        if (!(ThresholdSigma >= 0) || !double.IsFinite(ThresholdSigma))
            throw new ArgumentException($"ThresholdSigma must be a non-negative number, got {ThresholdSigma}.", argument);
        if (!(MinThreshold > 0) || !double.IsFinite(MinThreshold))
            throw new ArgumentException($"MinThreshold must be positive, got {MinThreshold}.", argument);
        if (RefractoryUs < 0) throw new ArgumentException($"RefractoryUs must not be negative, got {RefractoryUs}.", argument);
        if (!(LogEpsilon >= 0) || !double.IsFinite(LogEpsilon))
            throw new ArgumentException($"LogEpsilon must be a non-negative number, got {LogEpsilon}.", argument);
        if (!(NoiseRateHz >= 0) || !double.IsFinite(NoiseRateHz))
            throw new ArgumentException($"NoiseRateHz must be a non-negative number, got {NoiseRateHz}.", argument);
    }
}
