using MetaSpike.Encoders;
using MetaSpike.Maml;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Bench.Workloads;

/// <summary>
/// A MAML benchmark workload of spec/workloads.md: the network, the meta-batch and how one task's tensors are drawn.
/// Five ways; support labels 0..4, query labels 0..4 repeated.
/// </summary>
/// <param name="Name">Short name (conv, dense).</param>
/// <param name="Description">What runs, for the report.</param>
/// <param name="CreateNetwork">A freshly initialised network (torch's generator seeded by the caller).</param>
/// <param name="MetaBatch">Tasks per meta-step.</param>
/// <param name="Frames">Input frames [T, batch, ...] for a batch size (torch's generator seeded by the caller).</param>
/// <param name="Counts">Meta-steps and warm-up.</param>
internal sealed record MamlWorkload(string Name, string Description, Func<FewShotNetwork> CreateNetwork, int MetaBatch,
    Func<int, Tensor> Frames, StepCounts Counts)
{
    /// <summary>Classes per task.</summary>
    public const int Ways = 5;

    /// <summary>Support samples per task (1 shot).</summary>
    public const int Support = 5;

    /// <summary>Query samples per task (15 per class).</summary>
    public const int Query = 75;

    /// <summary>Pre-generated tasks, cycled.</summary>
    public const int TaskCount = 4;

    /// <summary>Simulation steps.</summary>
    public const int Steps = 100;

    /// <summary>Inner SGD step size (one step).</summary>
    public const double InnerLearningRate = 0.1;

    /// <summary>Outer Adam learning rate (constant).</summary>
    public const double OuterLearningRate = 3e-3;

    /// <summary>
    /// The paper's version of workload (c): the conv SNN of Stewart and Neftci (32c5-64c5-128c5, their neuron, input gain 10) on Bernoulli
    /// (p = 0.05) frames [100, B, 2, 16, 32]; burn-in 70 steps, gradient through the last 30; one task per meta-step.
    /// </summary>
    public static MamlWorkload Conv(StepCounts counts) => new("conv",
        "conv SNN 32c5-64c5-128c5 + Linear(1024, 5), frames [100, B, 2, 16, 32] Bernoulli p=0.05, window 30 (burn-in 70), 1 task/step",
        () => FewShotNetworks.StewartNeftciConv(2, 16, 32, Ways, gradientWindow: 30),
        MetaBatch: 1,
        batch => rand([Steps, batch, 2, 16, 32]).lt(0.05).to_type(ScalarType.Float32),
        counts);

    /// <summary>
    /// Workload (c) as spec/workloads.md writes it: <see cref="ConvWorkload"/>'s network (the spec's Expon + LIF neuron)
    /// on Bernoulli frames [100, B, 2, 32, 16]; one task per meta-step.
    /// </summary>
    public static MamlWorkload ConvSpec(StepCounts counts) => new("conv-spec",
        "conv SNN 32c5-64c5-128c5 + Linear(1024, 5), Expon+LIF neuron, frames [100, B, 2, 32, 16] Bernoulli p=0.05, window 30 (burn-in 70), 1 task/step",
        ConvWorkload.CreateNetwork,
        MetaBatch: 1,
        ConvWorkload.Frames,
        counts);

    /// <summary>
    /// Workload (b): Linear(100, 64) → exponential synapse → LIF → Linear(64, 5) → readout, logits = mean over all
    /// 100 steps, on Poisson input (5 Hz at 1 ms: p = 0.005) [100, B, 100]; four tasks per meta-step.
    /// </summary>
    public static MamlWorkload Dense(StepCounts counts) => new("dense",
        "dense SNN Linear(100, 64) -> LIF -> Linear(64, 5) -> readout, Poisson p=0.005 [100, B, 100], window 100, 4 tasks/step",
        () => FewShotNetworks.Dense(100, Ways, hidden: 64, gradientWindow: Steps),
        MetaBatch: 4,
        batch => PoissonEncoder.Constant(Steps, [batch, 100], rate: 5.0, dt: 1.0),
        counts);

    /// <summary>The meta-training settings for one algorithm: one inner SGD step, outer Adam at a constant rate.</summary>
    public MetaTrainingSettings Settings(MetaAlgorithm algorithm) => new()
    {
        Algorithm = algorithm,
        Inner = new InnerLoopSettings { Steps = 1, LearningRate = InnerLearningRate },
        MetaBatch = MetaBatch,
        OuterLearningRate = OuterLearningRate,
        FinalLearningRateFactor = 1.0,
        Iterations = Counts.Iterations,
    };

    /// <summary>The <see cref="TaskCount"/> tasks, drawn from torch's generator seeded from <paramref name="seed"/>.</summary>
    public TaskData[] CreateTasks(long seed) => Enumerable.Range(0, TaskCount).Select(i =>
    {
        manual_seed(Seeds.Mix(seed, i));
        return new TaskData(Frames(Support), Labels(Support), Frames(Query), Labels(Query));
    }).ToArray();

    /// <summary>The tasks of meta-step <paramref name="iteration"/> (0-based): the next <see cref="MetaBatch"/> of the cycle.</summary>
    public IReadOnlyList<TaskData> TasksOf(IReadOnlyList<TaskData> tasks, int iteration) =>
        Enumerable.Range(0, MetaBatch).Select(j => tasks[(iteration * MetaBatch + j) % tasks.Count]).ToArray();

    private static Tensor Labels(int batch) => arange(batch, ScalarType.Int64).remainder(Ways);
}

/// <summary>Iteration counts per workload: all meta-steps run, and how many of the first are warm-up (not in the statistics).</summary>
/// <param name="Iterations">Meta-steps per algorithm (N).</param>
/// <param name="Warmup">Leading steps left out of the time and peak statistics.</param>
internal readonly record struct StepCounts(int Iterations, int Warmup)
{
    /// <summary>Steps in the statistics.</summary>
    public int Measured => Iterations - Warmup;
}
