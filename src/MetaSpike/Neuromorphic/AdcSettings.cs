namespace MetaSpike.Neuromorphic;

/// <summary>The membrane ADC: resolution, sample period and read-out noise.</summary>
public sealed record AdcSettings
{
    /// <summary>Resolution in bits; samples are integers in [0, 2^Bits - 1]. Default 10.</summary>
    public int Bits { get; init; } = 10;

    /// <summary>Sample period in µs; must be a whole number of integration steps. Default 0.1 (every step).</summary>
    public double SamplePeriodUs { get; init; } = 0.1;

    /// <summary>Standard deviation of the Gaussian read-out noise in LSB, added before rounding. Default 1.</summary>
    public double NoiseLsb { get; init; } = 1.0;

    /// <summary>The largest sample value, 2^Bits - 1.</summary>
    public int MaxLsb => (1 << Bits) - 1;

    internal void Validate(double dtUs)
    {
        if (Bits is < 1 or > 24) throw new ArgumentException($"ADC bits must be 1 to 24, got {Bits}.");
        if (!double.IsFinite(NoiseLsb) || NoiseLsb < 0) throw new ArgumentException($"ADC noise must be finite and >= 0 LSB, got {NoiseLsb}.");
        if (!double.IsFinite(SamplePeriodUs) || SamplePeriodUs <= 0)
            throw new ArgumentException($"ADC sample period must be finite and > 0 µs, got {SamplePeriodUs}.");
        double ratio = SamplePeriodUs / dtUs;
        if (Math.Abs(ratio - Math.Round(ratio)) > 1e-6 || Math.Round(ratio) < 1)
            throw new ArgumentException($"ADC sample period {SamplePeriodUs} µs must be a whole multiple of the integration step {dtUs} µs.");
    }

    internal int StrideSteps(double dtUs) => (int)Math.Round(SamplePeriodUs / dtUs);
}
