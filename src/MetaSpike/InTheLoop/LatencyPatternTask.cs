using MetaSpike.Neuromorphic;
using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.InTheLoop;

/// <summary>
/// A generated classification task of latency-coded spike patterns: each class has a prototype in which every input
/// fires once, at a latency drawn uniformly from [<see cref="FirstLatencyUs"/>, FirstLatencyUs +
/// <see cref="WindowUs"/>]; a sample of the class jitters each latency by N(0, <see cref="JitterUs"/>) and drops each
/// spike with probability <see cref="DropProbability"/>. Every class has the same spike count, so only timing tells
/// them apart. Draws come from <see cref="Random"/> seeded with <see cref="Seeds.Mix32"/> (the same on every machine).
/// </summary>
public sealed record LatencyPatternTask
{
    /// <summary>Classes (default 3).</summary>
    public int Classes { get; init; } = 3;

    /// <summary>Inputs (default 16).</summary>
    public int Inputs { get; init; } = 16;

    /// <summary>Duration of a sample in µs (default 40).</summary>
    public double DurationUs { get; init; } = 40;

    /// <summary>The earliest prototype latency in µs (default 1).</summary>
    public double FirstLatencyUs { get; init; } = 1;

    /// <summary>The spread of prototype latencies in µs (default 15).</summary>
    public double WindowUs { get; init; } = 15;

    /// <summary>Standard deviation of a sample's latency around the prototype in µs (default 1).</summary>
    public double JitterUs { get; init; } = 1;

    /// <summary>Probability that a sample drops an input's spike (default 0.1).</summary>
    public double DropProbability { get; init; } = 0.1;

    /// <summary>Throws unless the task is usable.</summary>
    /// <exception cref="ArgumentException">A value out of range; the message names it.</exception>
    public void Validate()
    {
        const string fn = nameof(LatencyPatternTask);
        if (Classes < 2) throw new ArgumentException($"{fn}: {nameof(Classes)} must be >= 2, got {Classes}.", nameof(Classes));
        if (Inputs < 1) throw new ArgumentException($"{fn}: {nameof(Inputs)} must be >= 1, got {Inputs}.", nameof(Inputs));
        if (!(FirstLatencyUs >= 0) || !(WindowUs >= 0) || !(JitterUs >= 0) || !double.IsFinite(FirstLatencyUs + WindowUs + JitterUs))
            throw new ArgumentException($"{fn}: latencies, window and jitter must be finite and >= 0, got {FirstLatencyUs}, {WindowUs}, {JitterUs}.");
        if (!(DurationUs > FirstLatencyUs + WindowUs + 1) || !double.IsFinite(DurationUs))
            throw new ArgumentException($"{fn}: {nameof(DurationUs)} ({DurationUs}) must exceed the latest prototype latency ({FirstLatencyUs + WindowUs}) by more than 1 µs.", nameof(DurationUs));
        if (!(DropProbability >= 0 && DropProbability < 1))
            throw new ArgumentException($"{fn}: {nameof(DropProbability)} must be in [0, 1), got {DropProbability}.", nameof(DropProbability));
    }

    /// <summary>
    /// <paramref name="samples"/> samples (sample i has class i mod Classes) of the prototypes of <paramref name="seed"/>;
    /// <paramref name="stream"/> picks the draw, so a training and a test set of one task use different streams.
    /// </summary>
    /// <exception cref="ArgumentException">samples &lt; 1 or an invalid task.</exception>
    public LatencyPatternSet Generate(int samples, long seed, long stream)
    {
        Validate();
        if (samples < 1) throw new ArgumentException($"{nameof(LatencyPatternTask)}: samples must be >= 1, got {samples}.", nameof(samples));
        var prototypes = new Random(Seeds.Mix32(seed, 0x50524F54L)); // "PROT"
        var latency = new double[Classes, Inputs];
        for (int c = 0; c < Classes; c++)
            for (int i = 0; i < Inputs; i++) latency[c, i] = FirstLatencyUs + WindowUs * prototypes.NextDouble();
        var random = new Random(Seeds.Mix32(seed, Seeds.Mix(0x53414D50L, stream))); // "SAMP"
        var times = new double[samples][][];
        var labels = new int[samples];
        double latest = DurationUs - 1;
        for (int s = 0; s < samples; s++)
        {
            int c = labels[s] = s % Classes;
            times[s] = new double[Inputs][];
            for (int i = 0; i < Inputs; i++)
            {
                double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
                double t = latency[c, i] + JitterUs * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                bool drop = random.NextDouble() < DropProbability;
                times[s][i] = drop ? [] : [Math.Round(Math.Clamp(t, 0, latest), 3)];
            }
        }
        return new LatencyPatternSet(times, labels, Classes, DurationUs);
    }
}

/// <summary>Samples of a <see cref="LatencyPatternTask"/>: spike times [sample][input][spike] in µs and labels.</summary>
public sealed class LatencyPatternSet
{
    private readonly double[][][] _times;
    private readonly int[] _labels;

    internal LatencyPatternSet(double[][][] times, int[] labels, int classes, double durationUs)
    {
        (_times, _labels, Classes, DurationUs) = (times, labels, classes, durationUs);
    }

    /// <summary>Samples.</summary>
    public int Count => _labels.Length;

    /// <summary>Classes.</summary>
    public int Classes { get; }

    /// <summary>Inputs per sample.</summary>
    public int Inputs => _times[0].Length;

    /// <summary>Duration of a sample in µs.</summary>
    public double DurationUs { get; }

    /// <summary>The labels.</summary>
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>The samples <paramref name="indices"/> as spike trains, one trial each (for a spike source array).</summary>
    public SpikeTrains Trains(IReadOnlyList<int> indices) => SpikeTrains.FromTrials([.. Checked(indices).Select(i => (IReadOnlyList<IReadOnlyList<double>>)_times[i])]);

    /// <summary>The labels of <paramref name="indices"/> as an int64 tensor.</summary>
    public Tensor LabelTensor(IReadOnlyList<int> indices) => tensor(Checked(indices).Select(i => (long)_labels[i]).ToArray());

    /// <summary>0, 1, ..., Count - 1.</summary>
    public int[] All => [.. Enumerable.Range(0, Count)];

    private IReadOnlyList<int> Checked(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0) throw new ArgumentException("LatencyPatternSet: no samples selected.", nameof(indices));
        foreach (int i in indices)
            if ((uint)i >= (uint)Count) throw new ArgumentException($"LatencyPatternSet: sample {i} is outside 0 .. {Count - 1}.", nameof(indices));
        return indices;
    }
}
