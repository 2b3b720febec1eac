using MetaSpike.Losses;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using MetaSpike.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>What one meta-update measured (means over its tasks).</summary>
/// <param name="Iteration">The meta-iteration just completed (1-based).</param>
/// <param name="LearningRate">The outer learning rate used.</param>
/// <param name="SupportLoss">Support loss before adaptation.</param>
/// <param name="QueryLoss">Query loss after adaptation (Reptile: after adapting, measured without gradient).</param>
/// <param name="QueryAccuracy">Query accuracy after adaptation.</param>
public sealed record MetaStepResult(int Iteration, double LearningRate, double SupportLoss, double QueryLoss, double QueryAccuracy);

/// <summary>One task evaluated after adaptation.</summary>
/// <param name="Accuracy">Query accuracy after the inner steps.</param>
/// <param name="Loss">Query loss after the inner steps.</param>
/// <param name="AccuracyBefore">Query accuracy with the meta-parameters, before adaptation.</param>
public sealed record TaskEvaluation(double Accuracy, double Loss, double AccuracyBefore);

/// <summary>
/// Meta-trains a <see cref="FewShotNetwork"/>: the meta-parameters are the network's initial weights, learnt inner
/// step sizes and the SOEL threshold (all registered here, so <c>parameters()</c>, the outer Adam and checkpoints
/// cover them). Each <see cref="Step"/> adapts to a meta-batch of tasks and updates the meta-parameters once.
/// </summary>
public sealed class MetaLearner : nn.Module
{
    private readonly CosineSchedule _schedule;

    /// <summary>Creates the learner and its outer Adam.</summary>
    /// <exception cref="ArgumentException">Bad settings.</exception>
    public MetaLearner(FewShotNetwork network, MetaTrainingSettings settings) : base(nameof(MetaLearner))
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        (Network, Settings) = (network, settings);
        var firstParameter = network.parameters().First();
        Rates = new InnerLearningRates(network, settings.Inner.RateKind, settings.Inner.LearningRate);
        Soel = settings.Inner.Soel is { } s ? new ErrorTriggeredPlasticity(s.Threshold, s.Learn) : null;
        register_module("network", network);
        register_module("rates", Rates);
        if (Soel is not null) register_module("soel", Soel);
        Rates.to(firstParameter.device);
        Inner = new InnerLoop(network, settings.Inner, Rates, Soel);
        Optimizer = Optimizers.Create(parameters(), new OptimizerSettings
        {
            Kind = settings.OuterOptimizer == OuterOptimizer.Sgd ? OptimizerKind.Sgd : OptimizerKind.Adam,
            LearningRate = settings.OuterLearningRate,
            Fused = settings.FusedOuterAdam,
        });
        _schedule = new CosineSchedule(settings.OuterLearningRate, settings.Iterations, settings.OuterLearningRate * settings.FinalLearningRateFactor);
    }

    /// <summary>The network whose initial weights are meta-learnt.</summary>
    public FewShotNetwork Network { get; }

    /// <summary>The settings.</summary>
    public MetaTrainingSettings Settings { get; }

    /// <summary>The inner step sizes.</summary>
    public InnerLearningRates Rates { get; }

    /// <summary>The error-triggered rule (SOEL), or null.</summary>
    public ErrorTriggeredPlasticity? Soel { get; }

    /// <summary>The inner loop.</summary>
    public InnerLoop Inner { get; }

    /// <summary>The outer optimiser (Adam).</summary>
    public OptimizerHelper Optimizer { get; }

    /// <summary>Meta-updates done so far (restored from checkpoints).</summary>
    public int Iteration { get; private set; }

    /// <summary>
    /// One meta-update on <paramref name="tasks"/> (the meta-batch). Stochastic rounding draws from torch's generator,
    /// seeded from (<paramref name="seed"/>, iteration), so a resumed run repeats the same numbers.
    /// </summary>
    /// <exception cref="ArgumentException">No tasks.</exception>
    public MetaStepResult Step(IReadOnlyList<TaskData> tasks, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0) throw new ArgumentException("a meta-update needs at least one task.", nameof(tasks));
        // zero_grad leaves one tensor handle per parameter gradient behind; free them (and any others) every step.
        using var stepScope = NewDisposeScope();
        manual_seed(Seeds.Mix(seed, Iteration));
        double lr = Schedules.Apply(Optimizer, _schedule, Iteration);
        // zero_grad reads each parameter's .grad, and every read makes a tensor handle: scoped, or one leaks per parameter and step.
        using (NewDisposeScope()) Optimizer.zero_grad();
        var meta = FunctionalCall.Parameters(Network);
        double supportLoss = 0, queryLoss = 0, queryAccuracy = 0;
        foreach (var task in tasks)
        {
            using var scope = NewDisposeScope();
            var (s, q, a) = Settings.Algorithm == MetaAlgorithm.Reptile ? ReptileTask(meta, task, tasks.Count) : MamlTask(meta, task, tasks.Count);
            (supportLoss, queryLoss, queryAccuracy) = (supportLoss + s, queryLoss + q, queryAccuracy + a);
        }
        Optimizer.step();
        Iteration++;
        int n = tasks.Count;
        return new MetaStepResult(Iteration, lr, supportLoss / n, queryLoss / n, queryAccuracy / n);
    }

    /// <summary>
    /// An inner loop with other settings (e.g. more frozen layers at test time) that shares this learner's learnt
    /// step sizes and SOEL threshold.
    /// </summary>
    /// <exception cref="ArgumentException">The settings switch SOEL on or off, or change the step-size kind.</exception>
    public InnerLoop CreateInnerLoop(InnerLoopSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if ((settings.Soel is null) != (Soel is null)) throw new ArgumentException("an evaluation inner loop must use SOEL exactly when training did.", nameof(settings));
        if (settings.RateKind != Rates.Kind) throw new ArgumentException($"the step-size kind must stay {Rates.Kind}.", nameof(settings));
        return new InnerLoop(Network, settings, Rates, Soel);
    }

    /// <summary>
    /// Adapts to <paramref name="task"/>'s support set with <paramref name="innerSteps"/> steps (default: the
    /// training count) and measures the query set. The meta-parameters are not changed.
    /// </summary>
    /// <param name="task">The task.</param>
    /// <param name="innerSteps">Inner steps at test time (default: as in training).</param>
    /// <param name="inner">Another inner loop from <see cref="CreateInnerLoop"/> (default: the training one).</param>
    public TaskEvaluation Evaluate(TaskData task, int? innerSteps = null, InnerLoop? inner = null) =>
        EvaluateAtSteps(task, [innerSteps ?? Settings.Inner.Steps], inner)[0];

    /// <summary>
    /// One adaptation trajectory scored at several step counts (an inner-steps sweep costs the largest count, not
    /// the sum): entry j is what <see cref="Evaluate"/> with <paramref name="stepCounts"/>[j] steps gives.
    /// </summary>
    /// <param name="task">The task.</param>
    /// <param name="stepCounts">Inner step counts, each >= 0, in any order.</param>
    /// <param name="inner">Another inner loop from <see cref="CreateInnerLoop"/> (default: the training one).</param>
    /// <exception cref="ArgumentException">No step counts, or a negative one.</exception>
    public IReadOnlyList<TaskEvaluation> EvaluateAtSteps(TaskData task, IReadOnlyList<int> stepCounts, InnerLoop? inner = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(stepCounts);
        if (stepCounts.Count == 0 || stepCounts.Any(n => n < 0)) throw new ArgumentException("give at least one inner step count, each >= 0.", nameof(stepCounts));
        using var scope = NewDisposeScope();
        var start = DetachedStart();
        var unadapted = Measure(start, task.QueryFrames, task.QueryLabels);
        var scored = new Dictionary<int, (double Accuracy, double Loss)> { [0] = unadapted };
        IReadOnlyList<Tensor> theta = start;
        int done = 0;
        foreach (var n in stepCounts.Distinct().Order())
        {
            if (n > done)
            {
                var resumed = theta.Select(p => p.requires_grad ? p : p.detach().requires_grad_(true)).ToArray();
                theta = Adapt(resumed, task, n - done, inner).Parameters;
                done = n;
            }
            if (n > 0) scored[n] = Measure(theta, task.QueryFrames, task.QueryLabels);
        }
        return stepCounts.Select(n => new TaskEvaluation(scored[n].Accuracy, scored[n].Loss, unadapted.Accuracy)).ToArray();
    }

    /// <summary>
    /// The meta-parameters as the inner loop starts (outer quantisation applied), as fresh leaves that require grad
    /// and are not connected to the meta-parameters: for evaluation and inspection.
    /// </summary>
    public IReadOnlyList<Tensor> DetachedStart()
    {
        using var _ = no_grad();
        return StartOf(FunctionalCall.Parameters(Network)).Select(p => p.detach().clone().requires_grad_(true)).ToArray();
    }

    /// <summary>Adapts <paramref name="start"/> (e.g. <see cref="DetachedStart"/>) to the task's support set, first order; results detached.</summary>
    public Adaptation Adapt(IReadOnlyList<Tensor> start, TaskData task, int? innerSteps = null, InnerLoop? inner = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        var adapted = (inner ?? Inner).Adapt(start, task.SupportFrames, task.SupportLabels, innerSteps ?? Settings.Inner.Steps, createGraph: false);
        return adapted with { Parameters = adapted.Parameters.Select(p => p.detach()).ToArray() };
    }

    /// <summary>Accuracy and mean loss of the network with <paramref name="parameters"/> on a batch (no gradient).</summary>
    public (double Accuracy, double Loss) Measure(IReadOnlyList<Tensor> parameters, Tensor frames, Tensor labels)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Tensor logits;
        using (FunctionalCall.Use(Network, parameters)) logits = Network.forward(frames);
        return (Metrics.Accuracy(logits, labels), Loss.CrossEntropy(logits, labels).ToDouble());
    }

    /// <summary>Saves the meta-parameters, the outer optimiser and the iteration atomically.</summary>
    public void SaveCheckpoint(string path, System.Text.Json.Nodes.JsonObject? userData = null) =>
        Checkpoint.Save(path, this, Optimizer, new CheckpointMetadata { Epoch = Iteration, UserData = userData ?? [] });

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/> for the same network and settings.</summary>
    public CheckpointMetadata LoadCheckpoint(string path)
    {
        var metadata = Checkpoint.Load(path, this, Optimizer);
        Iteration = metadata.Epoch;
        return metadata;
    }

    private IReadOnlyList<Tensor> StartOf(IReadOnlyList<Tensor> meta) =>
        Settings.OuterQuantizer is { } q ? meta.Select((p, i) => Network.IsWeight[i] ? q.Apply(p) : p).ToArray() : meta;

    private (double Support, double Query, double Accuracy) MamlTask(IReadOnlyList<Tensor> meta, TaskData task, int metaBatch)
    {
        bool secondOrder = Settings.Algorithm == MetaAlgorithm.Maml;
        var adapted = Inner.Adapt(StartOf(meta), task.SupportFrames, task.SupportLabels, Settings.Inner.Steps, secondOrder);
        Tensor logits;
        using (FunctionalCall.Use(Network, adapted.Parameters)) logits = Network.forward(task.QueryFrames);
        var loss = Loss.CrossEntropy(logits, task.QueryLabels);
        (loss / metaBatch).backward();
        double support = adapted.SupportLosses.Count > 0 ? adapted.SupportLosses[0] : double.NaN;
        return (support, loss.ToDouble(), Metrics.Accuracy(logits.detach(), task.QueryLabels));
    }

    private (double Support, double Query, double Accuracy) ReptileTask(IReadOnlyList<Tensor> meta, TaskData task, int metaBatch)
    {
        var adapted = Adapt(DetachedStart(), task);
        // d/dθ0 of Σ θ0 · (θ0 - θn) / batch, with the difference held constant, is (θ0 - θn) / batch.
        var surrogate = meta.Select((p, i) => (p * ((p.detach() - adapted.Parameters[i]) / metaBatch)).sum()).Aggregate((a, b) => a + b);
        surrogate.backward();
        var (accuracy, loss) = Measure(adapted.Parameters, task.QueryFrames, task.QueryLabels);
        return (adapted.SupportLosses[0], loss, accuracy);
    }
}
