namespace MetaSpike.InTheLoop;

/// <summary>One target spike and the output spike nearest to it.</summary>
/// <param name="TargetUs">The target spike time, µs.</param>
/// <param name="OutputUs">The nearest output spike time, µs, or NaN when there is no output spike.</param>
public sealed record SpikeMatch(double TargetUs, double OutputUs)
{
    /// <summary>OutputUs - TargetUs (NaN without output spikes).</summary>
    public double ErrorUs => OutputUs - TargetUs;
}

/// <summary>
/// How well an output spike train reproduces a target: each target spike is matched to the nearest output spike.
/// Output spikes matched by no target are <see cref="Extra"/>; targets beyond the matched distinct output spikes (two
/// targets sharing one nearest output spike, or no output at all) are <see cref="Missing"/>.
/// </summary>
/// <param name="Matches">One entry per target spike, in time order.</param>
/// <param name="OutputCount">Output spikes.</param>
/// <param name="Missing">Target spikes without an output spike of their own.</param>
/// <param name="Extra">Output spikes that are no target's nearest.</param>
public sealed record SpikeTimingReport(IReadOnlyList<SpikeMatch> Matches, int OutputCount, int Missing, int Extra)
{
    /// <summary>Largest |output - target| over the target spikes, µs (NaN without targets or outputs).</summary>
    public double MaxAbsErrorUs => Matches.Count == 0 || OutputCount == 0 ? double.NaN : Matches.Max(m => Math.Abs(m.ErrorUs));

    /// <summary>Mean |output - target| over the target spikes, µs (NaN without targets or outputs).</summary>
    public double MeanAbsErrorUs => Matches.Count == 0 || OutputCount == 0 ? double.NaN : Matches.Average(m => Math.Abs(m.ErrorUs));
}

/// <summary>Compares output spike times with target spike times.</summary>
public static class SpikeTiming
{
    /// <summary>Matches every target spike to its nearest output spike (ties go to the earlier output).</summary>
    /// <param name="targetUs">Target spike times, sorted ascending.</param>
    /// <param name="outputUs">Output spike times, sorted ascending.</param>
    /// <exception cref="ArgumentException">A time that is not finite, or unsorted times.</exception>
    public static SpikeTimingReport Compare(IReadOnlyList<double> targetUs, IReadOnlyList<double> outputUs)
    {
        ArgumentNullException.ThrowIfNull(targetUs);
        ArgumentNullException.ThrowIfNull(outputUs);
        CheckSorted(targetUs, nameof(targetUs));
        CheckSorted(outputUs, nameof(outputUs));
        var matches = new List<SpikeMatch>(targetUs.Count);
        var used = new HashSet<int>();
        foreach (double t in targetUs)
        {
            int nearest = Nearest(outputUs, t);
            if (nearest >= 0) used.Add(nearest);
            matches.Add(new SpikeMatch(t, nearest < 0 ? double.NaN : outputUs[nearest]));
        }
        return new SpikeTimingReport(matches, outputUs.Count, targetUs.Count - used.Count, outputUs.Count - used.Count);
    }

    private static int Nearest(IReadOnlyList<double> sorted, double t)
    {
        int best = -1;
        for (int i = 0; i < sorted.Count; i++)
            if (best < 0 || Math.Abs(sorted[i] - t) < Math.Abs(sorted[best] - t)) best = i;
        return best;
    }

    private static void CheckSorted(IReadOnlyList<double> times, string name)
    {
        for (int i = 0; i < times.Count; i++)
        {
            if (!double.IsFinite(times[i])) throw new ArgumentException($"SpikeTiming.Compare: {name}[{i}] is {times[i]}.", name);
            if (i > 0 && times[i] < times[i - 1])
                throw new ArgumentException($"SpikeTiming.Compare: {name} is not sorted: {times[i]} µs follows {times[i - 1]} µs.", name);
        }
    }
}
