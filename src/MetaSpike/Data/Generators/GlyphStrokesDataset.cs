using System.Globalization;
using System.Text.Json;
using MetaSpike.Data.Cache;

namespace MetaSpike.Data.Generators;

/// <summary>
/// Procedurally generated handwritten characters seen by a simulated DVS, in the manner of N-Omniglot (whose
/// 346 x 260 sensor this matches at a tenth by default): each class is a character of 1-4 smooth pen strokes
/// (cubic Bézier chains drawn from the class's seed); each sample is one writer's instance — control-point
/// noise, a slight scale / shear / rotation / offset, its own speed and pauses — drawn by a pen tip that moves
/// along the strokes (about 100 ms at 1 ms frames) leaving an anti-aliased trace, and converted to events by
/// <see cref="DvsSimulator"/> (OFF as the dark tip arrives, ON as it leaves a lighter trace behind).
/// Every sample is a function of (seed, class, instance) only: <see cref="Read"/> gives the same events in any
/// order, on any thread. Samples are ordered by class: index = class * samplesPerClass + instance.
/// Meta splits: <see cref="Split"/> (64 / 16 / 20 % of the classes, <see cref="ClassSplits"/>).
/// </summary>
public sealed class GlyphStrokesDataset : IEventDataset
{
    /// <summary>Bumped whenever the generated events change, so that cached frames of older versions miss.</summary>
    private const int GeneratorVersion = 1;

    /// <summary>Creates the dataset (nothing is generated until read).</summary>
    /// <param name="classes">Number of characters.</param>
    /// <param name="samplesPerClass">Instances of each character.</param>
    /// <param name="seed">Seed of everything: sensor mismatch, characters, instances.</param>
    /// <param name="width">Sensor width (default 34).</param>
    /// <param name="height">Sensor height (default 26).</param>
    /// <param name="options">Writing and rendering settings (defaults: <see cref="GlyphOptions"/>).</param>
    /// <exception cref="ArgumentException">A count below 1, more than 2^31 - 1 samples, a sensor below 8 x 8, or a setting out of range.</exception>
    public GlyphStrokesDataset(int classes, int samplesPerClass, int seed, int width = 34, int height = 26, GlyphOptions? options = null)
    {
        if (classes < 1) throw new ArgumentException($"the class count must be at least 1, got {classes}.", nameof(classes));
        if (samplesPerClass < 1) throw new ArgumentException($"the samples per class must be at least 1, got {samplesPerClass}.", nameof(samplesPerClass));
        if ((long)classes * samplesPerClass > int.MaxValue)
            throw new ArgumentException($"{classes} x {samplesPerClass} samples are more than an index can count.", nameof(samplesPerClass));
        if (width is < 8 or > ushort.MaxValue + 1) throw new ArgumentException($"the sensor width must be in 8 .. 65536, got {width}.", nameof(width));
        if (height is < 8 or > ushort.MaxValue + 1) throw new ArgumentException($"the sensor height must be in 8 .. 65536, got {height}.", nameof(height));
        Options = options ?? new GlyphOptions();
        Options.Validate(nameof(options));
        (SamplesPerClass, Seed, Width, Height) = (samplesPerClass, seed, width, height);
        Sensor = new DvsSimulator(width, height, SeedMix.Derive(seed, Purpose.Sensor), Options.Dvs);
        ClassNames = Enumerable.Range(0, classes).Select(c => $"glyph {c}").ToArray();
        CacheIdentity = string.Create(CultureInfo.InvariantCulture,
            $"glyph-strokes/v{GeneratorVersion}({classes}x{samplesPerClass},{width}x{height},{JsonSerializer.Serialize(Options)})");
    }

    /// <inheritdoc />
    public string Name => "glyph strokes";

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public int Height { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Instances of each class.</summary>
    public int SamplesPerClass { get; }

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>The settings.</summary>
    public GlyphOptions Options { get; }

    /// <summary>The simulated sensor (its threshold mismatch comes from the seed).</summary>
    public DvsSimulator Sensor { get; }

    /// <summary>Names the generator and every setting that changes its output (seed excepted), for <see cref="CacheKey.ForGenerated"/>.</summary>
    public string CacheIdentity { get; }

    /// <inheritdoc />
    public int Count => ClassNames.Count * SamplesPerClass;

    /// <inheritdoc />
    public int LabelOf(int index) => CheckIndex(index) / SamplesPerClass;

    /// <inheritdoc />
    public EventSample Read(int index)
    {
        int label = LabelOf(index), instance = index % SamplesPerClass;
        return new EventSample(Generate(label, instance), label,
            string.Create(CultureInfo.InvariantCulture, $"{Name} (seed {Seed}): class {label}, instance {instance}"));
    }

    /// <summary>Generates instance <paramref name="instance"/> of class <paramref name="label"/> (any instance number is allowed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The label is not a class, or the instance is negative.</exception>
    public EventStream Generate(int label, int instance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(label);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(label, ClassNames.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(instance);
        var glyph = GlyphSkeleton.Create(new Random(SeedMix.Derive(Seed, Purpose.Class, label)));
        var writer = new Random(SeedMix.Derive(Seed, Purpose.Instance, label, instance));
        var drawing = new GlyphDrawing(glyph, writer, Options, Width, Height);
        return Sensor.Simulate(drawing.FrameCount, Options.StepUs, drawing.Render, writer);
    }

    /// <summary>The cache key of sample <paramref name="index"/> under a pipeline's <paramref name="parameters"/>.</summary>
    public CacheKey CacheKeyOf(int index, string parameters) =>
        CacheKey.ForGenerated(CacheIdentity, Seed, CheckIndex(index), parameters);

    /// <summary>The classes of a meta split, relabelled from 0.</summary>
    public ClassSubsetDataset Split(MetaSplit split) => ClassSplits.Subset(this, split);

    private int CheckIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return index;
    }
}

/// <summary>The purposes that seeds are derived for, so that no two random streams coincide.</summary>
internal static class Purpose
{
    public const int Sensor = 1, Class = 2, Instance = 3, Sample = 4;
}
