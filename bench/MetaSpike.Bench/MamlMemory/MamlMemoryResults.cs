using MetaSpike.Bench.Common;

namespace MetaSpike.Bench.MamlMemory;

/// <summary>One meta-step: wall time, resident memory just before it and the highest during it (MiB).</summary>
internal sealed record StepSample(int Iteration, double Seconds, double BaselineMiB, double PeakMiB)
{
    /// <summary>Memory the step needed beyond what was resident when it started.</summary>
    public double ExtraPeakMiB => PeakMiB - BaselineMiB;
}

/// <summary>Resident memory (allocator trimmed where enabled) and live TorchSharp tensors after a meta-step.</summary>
internal sealed record LeakCheckpoint(int Iteration, double RssMiB, long LiveTensors);

/// <summary>One algorithm on one workload.</summary>
internal sealed record AlgorithmResult(string Algorithm, int Iterations, int Warmup, Spread StepSeconds, Spread PeakMiB,
    Spread ExtraPeakMiB, IReadOnlyList<LeakCheckpoint> Checkpoints, IReadOnlyList<StepSample> Steps)
{
    /// <summary>The checkpoint RSS growth is counted from: step 10 where N &gt; 10 (past the allocator's warm-up), else step 1.</summary>
    public LeakCheckpoint GrowthReference => Checkpoints[Checkpoints.Count > 2 ? 1 : 0];

    /// <summary>RSS after the last step minus RSS at <see cref="GrowthReference"/>, MiB.</summary>
    public double RssGrowthMiB => Checkpoints[^1].RssMiB - GrowthReference.RssMiB;

    /// <summary>Live tensors after the last step minus after the first.</summary>
    public long LiveTensorGrowth => Checkpoints[^1].LiveTensors - Checkpoints[0].LiveTensors;

    /// <summary>Summarises the steps after the warm-up.</summary>
    public static AlgorithmResult From(string algorithm, int warmup, IReadOnlyList<StepSample> steps, IReadOnlyList<LeakCheckpoint> checkpoints)
    {
        var measured = steps.Skip(warmup).ToArray();
        return new AlgorithmResult(algorithm, steps.Count, warmup, Spread.Of(measured.Select(s => s.Seconds)),
            Spread.Of(measured.Select(s => s.PeakMiB)), Spread.Of(measured.Select(s => s.ExtraPeakMiB)), checkpoints, steps);
    }
}

/// <summary>Second- and first-order MAML on one workload, and their ratios (second / first, medians).</summary>
internal sealed record WorkloadResult(string Name, string Description, AlgorithmResult SecondOrder, AlgorithmResult FirstOrder)
{
    /// <summary>Median step time, second order / first order.</summary>
    public double TimeRatio => SecondOrder.StepSeconds.Median / FirstOrder.StepSeconds.Median;

    /// <summary>Median extra peak over the baseline, second order / first order.</summary>
    public double ExtraPeakRatio => SecondOrder.ExtraPeakMiB.Median / FirstOrder.ExtraPeakMiB.Median;
}

/// <summary>Everything the <c>maml-memory</c> mode measured, as written to JSON.</summary>
internal sealed record MamlMemoryReport(DateTimeOffset Date, string Machine, int TorchThreads, string PeakMethod, bool AllocatorTrimmed,
    IReadOnlyList<WorkloadResult> Workloads);
