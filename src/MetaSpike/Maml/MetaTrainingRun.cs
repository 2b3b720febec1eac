using System.Text.Json;
using System.Text.Json.Nodes;
using MetaSpike.Data.Generators;
using MetaSpike.Training;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>How <see cref="MetaTrainingRun"/> schedules meta-training, validation and checkpoints.</summary>
public sealed record MetaTrainingRunOptions
{
    /// <summary>Meta-iterations to reach (a resumed run continues up to this count).</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>Validate every this many meta-iterations (and at the end); 0: never.</summary>
    public int ValidateEvery { get; init; } = 100;

    /// <summary>Meta-validation tasks per validation (always the same tasks).</summary>
    public int ValidationTasks { get; init; } = 20;

    /// <summary>Checkpoint file written (atomically) after every validation and on cancellation; null: none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>File for the parameters with the best validation accuracy (model selection); null: keep the last.</summary>
    public string? BestPath { get; init; }

    /// <summary>Seed of the meta-training tasks' order and of stochastic rounding.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// A description of the network's architecture, saved as "model" in the user data of the checkpoint and of the
    /// best-parameters file, so tools (e.g. <c>metaspike nir export</c>) can rebuild it from the file; null: none.
    /// </summary>
    public JsonObject? ModelDescription { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Iterations < 0) throw new ArgumentException($"meta-iterations must be >= 0, got {Iterations}.");
        if (ValidateEvery < 0) throw new ArgumentException($"the validation interval must be >= 0, got {ValidateEvery}.");
        if (ValidationTasks < 1) throw new ArgumentException($"validation needs at least one task, got {ValidationTasks}.");
    }
}

/// <summary>One point of the learning curve.</summary>
/// <param name="Iteration">Meta-iterations done.</param>
/// <param name="TrainQueryAccuracy">Mean query accuracy of the meta-training tasks since the previous point.</param>
/// <param name="TrainQueryLoss">Their mean query loss.</param>
/// <param name="ValidationAccuracy">Meta-validation accuracy after adaptation.</param>
public sealed record CurvePoint(int Iteration, double TrainQueryAccuracy, double TrainQueryLoss, double ValidationAccuracy);

/// <summary>The end of a run.</summary>
/// <param name="Completed">False when cancelled (a checkpoint was saved).</param>
/// <param name="ResumedFrom">The iteration a checkpoint was resumed from, if any.</param>
/// <param name="Curve">Validation points.</param>
/// <param name="BestIteration">Iteration of the best validation accuracy (the parameters now in the learner when a best file is kept).</param>
/// <param name="BestValidationAccuracy">That accuracy.</param>
public sealed record MetaTrainingOutcome(bool Completed, int? ResumedFrom, IReadOnlyList<CurvePoint> Curve, int BestIteration, double BestValidationAccuracy);

/// <summary>
/// Meta-trains a <see cref="MetaLearner"/> on a <see cref="FewShotTaskLoader"/>'s meta-training split: meta-batch i
/// holds training tasks i·B .. i·B + B - 1, so the run is a pure function of the seed and resumes exactly from its
/// checkpoint (learner, outer optimiser, iteration, curve). Validation on fixed meta-validation tasks selects the
/// parameters that are kept.
/// </summary>
public sealed class MetaTrainingRun
{
    /// <summary>Creates the run.</summary>
    public MetaTrainingRun(MetaLearner learner, FewShotTaskLoader loader, MetaTrainingRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (Learner, Loader, Options) = (learner, loader, options);
    }

    /// <summary>The learner.</summary>
    public MetaLearner Learner { get; }

    /// <summary>The task source.</summary>
    public FewShotTaskLoader Loader { get; }

    /// <summary>The options.</summary>
    public MetaTrainingRunOptions Options { get; }

    /// <summary>Raised after every meta-iteration.</summary>
    public event Action<MetaStepResult>? IterationCompleted;

    /// <summary>Raised after every validation.</summary>
    public event Action<CurvePoint>? Validated;

    /// <summary>Raised just before (true) and just after (false) each meta-update, e.g. to record how much it changed the weights.</summary>
    public event Action<bool>? AroundStep;

    /// <summary>Trains until <see cref="MetaTrainingRunOptions.Iterations"/> or cancellation, resuming from the checkpoint if one exists.</summary>
    public MetaTrainingOutcome Run(CancellationToken cancellation = default)
    {
        var curve = new List<CurvePoint>();
        int? resumedFrom = null;
        (int Iteration, double Accuracy) best = (0, double.NegativeInfinity);
        if (Options.CheckpointPath is { } path && File.Exists(path))
        {
            var metadata = Learner.LoadCheckpoint(path);
            resumedFrom = Learner.Iteration;
            if (metadata.UserData["curve"] is JsonArray saved)
                curve.AddRange(saved.Select(n => n.Deserialize<CurvePoint>()!));
            best = (metadata.UserData["bestIteration"]?.GetValue<int>() ?? 0, metadata.UserData["bestAccuracy"]?.GetValue<double>() ?? double.NegativeInfinity);
        }
        var device = Learner.Network.parameters().First().device;
        double accSum = 0, lossSum = 0;
        int count = 0;
        bool completed = true;
        while (Learner.Iteration < Options.Iterations)
        {
            if (cancellation.IsCancellationRequested) { completed = false; break; }
            int it = Learner.Iteration;
            var tasks = Enumerable.Range(0, Learner.Settings.MetaBatch).Select(b => Loader.Load(MetaSplit.Train, it * Learner.Settings.MetaBatch + b)).ToArray();
            try
            {
                var onDevice = tasks.Select(t => t.To(device)).ToArray();
                AroundStep?.Invoke(true);
                var result = Learner.Step(onDevice, Options.Seed);
                AroundStep?.Invoke(false);
                foreach (var t in onDevice.Where(t => !tasks.Contains(t))) t.Dispose();
                (accSum, lossSum, count) = (accSum + result.QueryAccuracy, lossSum + result.QueryLoss, count + 1);
                IterationCompleted?.Invoke(result);
            }
            finally
            {
                foreach (var t in tasks) t.Dispose();
            }
            bool last = Learner.Iteration == Options.Iterations;
            if (Options.ValidateEvery > 0 && (Learner.Iteration % Options.ValidateEvery == 0 || last))
            {
                var validation = MetaEvaluation.Run(Learner, Loader, MetaSplit.Validation, 1, Options.ValidationTasks).Mean;
                var point = new CurvePoint(Learner.Iteration, accSum / count, lossSum / count, validation);
                curve.Add(point);
                (accSum, lossSum, count) = (0, 0, 0);
                if (validation > best.Accuracy)
                {
                    best = (Learner.Iteration, validation);
                    if (Options.BestPath is { } bestPath) Learner.SaveCheckpoint(bestPath, WithModel([]));
                }
                Save(curve, best);
                Validated?.Invoke(point);
            }
        }
        if (!completed) Save(curve, best);
        else if (Options.BestPath is { } bestPath && File.Exists(bestPath) && best.Iteration != Learner.Iteration)
            Checkpoint.Load(bestPath, Learner, null);
        return new MetaTrainingOutcome(completed, resumedFrom, curve, best.Iteration, best.Accuracy);
    }

    private void Save(IReadOnlyList<CurvePoint> curve, (int Iteration, double Accuracy) best)
    {
        if (Options.CheckpointPath is not { } path) return;
        var user = new JsonObject
        {
            ["curve"] = JsonSerializer.SerializeToNode(curve),
            ["bestIteration"] = best.Iteration,
            ["bestAccuracy"] = double.IsFinite(best.Accuracy) ? best.Accuracy : null,
        };
        Learner.SaveCheckpoint(path, WithModel(user));
    }

    private JsonObject WithModel(JsonObject user)
    {
        if (Options.ModelDescription is { } model) user["model"] = model.DeepClone();
        return user;
    }
}
