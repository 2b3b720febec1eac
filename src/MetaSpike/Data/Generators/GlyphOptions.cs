namespace MetaSpike.Data.Generators;

/// <summary>
/// Settings of <see cref="GlyphStrokesDataset"/>: how a sample is written (timing, writer variation) and rendered.
/// Lengths in character units are relative to half the character's height; the character spans
/// <see cref="CharacterScale"/> of the sensor's smaller side.
/// </summary>
public sealed record GlyphOptions
{
    /// <summary>Mean time from pen down to the last pen up, pauses included, in ms (default 100).</summary>
    public double DrawMs { get; init; } = 100;

    /// <summary>Writer speed variation: the drawing time is scaled by a factor uniform in 1 ± this (default 0.15).</summary>
    public double SpeedVariation { get; init; } = 0.15;

    /// <summary>Mean pen-up pause between strokes in ms (default 8; each uniform in 0.5 .. 1.5 times it).</summary>
    public double PauseMs { get; init; } = 8;

    /// <summary>Blank time before the pen lands, in ms (default 3).</summary>
    public double LeadMs { get; init; } = 3;

    /// <summary>Time recorded after the pen lifts, in ms (default 5).</summary>
    public double TailMs { get; init; } = 5;

    /// <summary>Frame step of the rendering in µs (default 1000: 1 ms).</summary>
    public long StepUs { get; init; } = 1000;

    /// <summary>Fraction of the sensor's smaller side that the character box spans (default 0.8).</summary>
    public double CharacterScale { get; init; } = 0.8;

    /// <summary>Radius of the ink trace in pixels (default 0.8; anti-aliased).</summary>
    public double PenRadius { get; init; } = 0.8;

    /// <summary>Radius of the pen tip in pixels (default 1.2).</summary>
    public double TipRadius { get; init; } = 1.2;

    /// <summary>Intensity of the blank page (default 1).</summary>
    public double Background { get; init; } = 1.0;

    /// <summary>Intensity of the drawn trace (default 0.35).</summary>
    public double TraceIntensity { get; init; } = 0.35;

    /// <summary>Intensity under the pen tip (default 0.12: darker than the trace, so a leaving tip gives ON events).</summary>
    public double TipIntensity { get; init; } = 0.12;

    /// <summary>Writer noise on each control point, standard deviation in character units (default 0.06).</summary>
    public double PointNoise { get; init; } = 0.06;

    /// <summary>Largest writer rotation in radians (default 0.12).</summary>
    public double MaxRotation { get; init; } = 0.12;

    /// <summary>Largest writer shear (default 0.12).</summary>
    public double MaxShear { get; init; } = 0.12;

    /// <summary>Largest relative change of the writer's x and y scale (default 0.08).</summary>
    public double MaxScaleChange { get; init; } = 0.08;

    /// <summary>Largest writer offset in pixels (default 1).</summary>
    public double MaxShiftPixels { get; init; } = 1.0;

    /// <summary>
    /// These settings with every writer variation (point noise, rotation, shear, scale change, offset, speed
    /// variation) multiplied by <paramref name="factor"/>: 0 writes every instance of a class alike, 1 keeps the
    /// defaults' neat writers, 2-3 come nearer the spread between Omniglot's drawers.
    /// </summary>
    /// <exception cref="ArgumentException">The factor is negative or not finite, or it takes the speed or scale variation to 1 or beyond.</exception>
    public GlyphOptions WithWriterVariation(double factor)
    {
        if (!(factor >= 0) || !double.IsFinite(factor))
            throw new ArgumentException($"the writer variation factor must be a non-negative number, got {factor}.", nameof(factor));
        var scaled = this with
        {
            PointNoise = PointNoise * factor,
            MaxRotation = MaxRotation * factor,
            MaxShear = MaxShear * factor,
            MaxScaleChange = MaxScaleChange * factor,
            MaxShiftPixels = MaxShiftPixels * factor,
            SpeedVariation = SpeedVariation * factor,
        };
        scaled.Validate(nameof(factor));
        return scaled;
    }

    /// <summary>The sensor (default <see cref="DvsOptions"/>).</summary>
    public DvsOptions Dvs { get; init; } = new();

    /// <summary>Throws when a setting is out of range.</summary>
    internal void Validate(string argument)
    {
        Positive(DrawMs, nameof(DrawMs));
        Positive(CharacterScale, nameof(CharacterScale));
        Positive(PenRadius, nameof(PenRadius));
        Positive(TipRadius, nameof(TipRadius));
        Positive(Background, nameof(Background));
        Positive(TraceIntensity, nameof(TraceIntensity));
        Positive(TipIntensity, nameof(TipIntensity));
        NonNegative(PauseMs, nameof(PauseMs));
        NonNegative(LeadMs, nameof(LeadMs));
        NonNegative(TailMs, nameof(TailMs));
        NonNegative(PointNoise, nameof(PointNoise));
        NonNegative(MaxRotation, nameof(MaxRotation));
        NonNegative(MaxShear, nameof(MaxShear));
        NonNegative(MaxShiftPixels, nameof(MaxShiftPixels));
        if (!(SpeedVariation >= 0 && SpeedVariation < 1)) throw new ArgumentException($"SpeedVariation must be in [0, 1), got {SpeedVariation}.", argument);
        if (!(MaxScaleChange >= 0 && MaxScaleChange < 1)) throw new ArgumentException($"MaxScaleChange must be in [0, 1), got {MaxScaleChange}.", argument);
        if (StepUs < 1) throw new ArgumentException($"StepUs must be at least 1, got {StepUs}.", argument);
        ArgumentNullException.ThrowIfNull(Dvs, argument);
        Dvs.Validate(argument);

        void Positive(double value, string name)
        {
            if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentException($"{name} must be a positive number, got {value}.", argument);
        }

        void NonNegative(double value, string name)
        {
            if (!(value >= 0) || !double.IsFinite(value)) throw new ArgumentException($"{name} must be a non-negative number, got {value}.", argument);
        }
    }
}
