namespace MetaSpike.Bench.Workloads;

/// <summary>
/// One timed case of the <c>workloads</c> mode: a workload at one size or mode, with the PyTorch figure and
/// target beside it.
/// </summary>
/// <param name="Workload">a, b or c.</param>
/// <param name="Name">Short name for the table.</param>
/// <param name="Description">What one step does.</param>
/// <param name="Flops">Counted FLOPs per step (workload c's convolutions and linear layers), or null where not counted.</param>
/// <param name="PyTorchMs">The PyTorch 1.13 median on this kind of machine, or null.</param>
/// <param name="TargetMs">The target, or null.</param>
/// <param name="CreateStep">Builds one path (argument: fused) from seeded weights; the step takes the repetition index
/// (to cycle the pre-generated data) and returns its milliseconds.</param>
internal sealed record BenchmarkCase(string Workload, string Name, string Description, double? Flops, double? PyTorchMs, double? TargetMs,
    Func<bool, Func<int, double>> CreateStep);
