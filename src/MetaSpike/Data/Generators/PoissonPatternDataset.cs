using System.Globalization;
using MetaSpike.Data.Cache;
using MetaSpike.Data.Transforms;

namespace MetaSpike.Data.Generators;

/// <summary>
/// Spike patterns over input channels: each class is a fixed rate pattern (a random subset of
/// <c>activeFraction</c> of the channels fires at <c>rateHz</c>, the others at the background rate), each sample
/// an independent Poisson draw from it. Events: x = channel, y = 0, polarity 0 (a channels x 1 sensor).
/// Every sample is a function of (seed, class, instance); index = class * samplesPerClass + instance.
/// </summary>
public sealed class PoissonPatternDataset : IEventDataset
{
    private const int GeneratorVersion = 1;

    /// <summary>Creates the dataset (nothing is generated until read).</summary>
    /// <param name="classes">Number of patterns.</param>
    /// <param name="samplesPerClass">Draws of each pattern.</param>
    /// <param name="channels">Input channels (1 .. 65536).</param>
    /// <param name="rateHz">Rate of a pattern's active channels.</param>
    /// <param name="durationMs">Length of a sample.</param>
    /// <param name="seed">Seed of the patterns and the draws.</param>
    /// <param name="backgroundRateHz">Rate of the other channels (default rateHz / 10).</param>
    /// <param name="activeFraction">Fraction of channels active in a pattern (default 0.25; at least one channel).</param>
    /// <exception cref="ArgumentException">A count or rate out of range.</exception>
    public PoissonPatternDataset(int classes, int samplesPerClass, int channels, double rateHz, int durationMs, int seed,
        double? backgroundRateHz = null, double activeFraction = 0.25)
    {
        if (classes < 1) throw new ArgumentException($"the class count must be at least 1, got {classes}.", nameof(classes));
        if (samplesPerClass < 1) throw new ArgumentException($"the samples per class must be at least 1, got {samplesPerClass}.", nameof(samplesPerClass));
        if ((long)classes * samplesPerClass > int.MaxValue)
            throw new ArgumentException($"{classes} x {samplesPerClass} samples are more than an index can count.", nameof(samplesPerClass));
        if (channels is < 1 or > ushort.MaxValue + 1) throw new ArgumentException($"the channel count must be in 1 .. 65536, got {channels}.", nameof(channels));
        if (!(rateHz >= 0) || !double.IsFinite(rateHz)) throw new ArgumentException($"the rate must be a non-negative number, got {rateHz}.", nameof(rateHz));
        if (durationMs < 1) throw new ArgumentException($"the duration must be at least 1 ms, got {durationMs}.", nameof(durationMs));
        double background = backgroundRateHz ?? rateHz / 10;
        if (!(background >= 0) || !double.IsFinite(background))
            throw new ArgumentException($"the background rate must be a non-negative number, got {background}.", nameof(backgroundRateHz));
        if (!(activeFraction >= 0 && activeFraction <= 1))
            throw new ArgumentException($"the active fraction must be in [0, 1], got {activeFraction}.", nameof(activeFraction));
        (SamplesPerClass, Width, RateHz, BackgroundRateHz, DurationMs, Seed) = (samplesPerClass, channels, rateHz, background, durationMs, seed);
        ActiveChannels = Math.Max(1, (int)Math.Round(activeFraction * channels));
        ClassNames = Enumerable.Range(0, classes).Select(c => $"pattern {c}").ToArray();
        CacheIdentity = string.Create(CultureInfo.InvariantCulture,
            $"poisson-patterns/v{GeneratorVersion}({classes}x{samplesPerClass},{channels}ch,{rateHz:R}Hz,{background:R}Hz,{ActiveChannels}active,{durationMs}ms)");
    }

    /// <inheritdoc />
    public string Name => "poisson patterns";

    /// <summary>The number of channels.</summary>
    public int Width { get; }

    /// <summary>1.</summary>
    public int Height => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public int Count => ClassNames.Count * SamplesPerClass;

    /// <summary>Draws of each pattern.</summary>
    public int SamplesPerClass { get; }

    /// <summary>Rate of the active channels.</summary>
    public double RateHz { get; }

    /// <summary>Rate of the other channels.</summary>
    public double BackgroundRateHz { get; }

    /// <summary>Channels active in each pattern.</summary>
    public int ActiveChannels { get; }

    /// <summary>Sample length in ms.</summary>
    public int DurationMs { get; }

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>Names the generator and its settings (seed excepted), for <see cref="CacheKey.ForGenerated"/>.</summary>
    public string CacheIdentity { get; }

    /// <inheritdoc />
    public int LabelOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return index / SamplesPerClass;
    }

    /// <summary>The rate of every channel in the pattern of class <paramref name="label"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The label is not a class.</exception>
    public double[] RatesOf(int label)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(label);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(label, ClassNames.Count);
        var rng = new Random(SeedMix.Derive(Seed, Purpose.Class, label));
        var order = new int[Width];
        for (int c = 0; c < Width; c++) order[c] = c;
        var rates = new double[Width];
        Array.Fill(rates, BackgroundRateHz);
        // Partial Fisher-Yates: the first ActiveChannels entries become a uniform random subset.
        for (int k = 0; k < ActiveChannels; k++)
        {
            int j = rng.Next(k, Width);
            (order[k], order[j]) = (order[j], order[k]);
            rates[order[k]] = RateHz;
        }
        return rates;
    }

    /// <inheritdoc />
    public EventSample Read(int index)
    {
        int label = LabelOf(index), instance = index % SamplesPerClass;
        return new EventSample(Generate(label, instance), label,
            string.Create(CultureInfo.InvariantCulture, $"{Name} (seed {Seed}): class {label}, instance {instance}"));
    }

    /// <summary>Draws instance <paramref name="instance"/> of class <paramref name="label"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The label is not a class, or the instance is negative.</exception>
    public EventStream Generate(int label, int instance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(instance);
        var rates = RatesOf(label);
        var rng = new Random(SeedMix.Derive(Seed, Purpose.Instance, label, instance));
        double durationUs = DurationMs * 1000.0;
        var events = new EventStreamBuilder();
        for (int c = 0; c < Width; c++)
        {
            if (rates[c] == 0) continue;
            double meanGapUs = 1e6 / rates[c];
            // Exponential gaps: a Poisson process of the channel's rate.
            for (double t = -Math.Log(1 - rng.NextDouble()) * meanGapUs; t < durationUs; t -= Math.Log(1 - rng.NextDouble()) * meanGapUs)
                events.Add((long)t, c, 0, 0);
        }
        events.SortFrom(0);
        return events.Build(Width, 1);
    }

    /// <summary>The cache key of sample <paramref name="index"/> under a pipeline's <paramref name="parameters"/>.</summary>
    public CacheKey CacheKeyOf(int index, string parameters)
    {
        LabelOf(index);
        return CacheKey.ForGenerated(CacheIdentity, Seed, index, parameters);
    }

    /// <summary>The classes of a meta split, relabelled from 0.</summary>
    public ClassSubsetDataset Split(MetaSplit split) => ClassSplits.Subset(this, split);
}
