namespace MetaSpike.Bench.Common;

/// <summary>
/// Times several variants of a step (e.g. unfused and fused) in turn, warm-up first, so that all of them see the same
/// machine load and their ratio stays fair on a shared machine.
/// </summary>
internal static class InterleavedTimer
{
    /// <summary>
    /// Calls every step in turn (argument: the repetition index, for cycling pre-generated data), first untimed for at
    /// least <paramref name="warmup"/> rounds and <paramref name="warmupSeconds"/> seconds — .NET compiles a method
    /// again, optimised with the profile it gathered, only after some thirty calls and a background delay, so a short
    /// warm-up times code that a longer run never uses — then <paramref name="reps"/> timed rounds; each step returns
    /// its own milliseconds. Returns the spread of the timed repetitions per step and the warm-up rounds run.
    /// </summary>
    public static (Spread[] Spreads, int WarmupRounds) Run(IReadOnlyList<Func<int, double>> steps, int warmup, int reps, double warmupSeconds = 0)
    {
        if (reps < 1) throw new ArgumentException($"at least one timed repetition is needed, got {reps}.", nameof(reps));
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        int round = 0;
        for (; round < warmup || System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds < warmupSeconds; round++)
            foreach (var step in steps) step(round);
        var times = steps.Select(_ => new List<double>(reps)).ToArray();
        for (int i = 0; i < reps; i++, round++)
            for (int p = 0; p < steps.Count; p++)
                times[p].Add(steps[p](round));
        return (times.Select(Spread.Of).ToArray(), round - reps);
    }
}
