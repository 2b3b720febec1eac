namespace MetaSpike.Bench.Common;

/// <summary>
/// Times several variants of a step (e.g. unfused and fused) in turn, warm-up first, so that all of them see the same
/// machine load and their ratio stays fair on a shared machine.
/// </summary>
internal static class InterleavedTimer
{
    /// <summary>
    /// Calls every step <paramref name="warmup"/> + <paramref name="reps"/> times in turn (argument: the repetition
    /// index, for cycling pre-generated data); each returns its own milliseconds. Returns the spread of the timed
    /// repetitions per step.
    /// </summary>
    public static Spread[] Run(IReadOnlyList<Func<int, double>> steps, int warmup, int reps)
    {
        if (reps < 1) throw new ArgumentException($"at least one timed repetition is needed, got {reps}.", nameof(reps));
        var times = steps.Select(_ => new List<double>(reps)).ToArray();
        for (int i = 0; i < warmup + reps; i++)
            for (int p = 0; p < steps.Count; p++)
            {
                double ms = steps[p](i);
                if (i >= warmup) times[p].Add(ms);
            }
        return times.Select(Spread.Of).ToArray();
    }
}
