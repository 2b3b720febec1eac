using System.Globalization;
using MetaSpike.Maml;
using Spectre.Console;

namespace MetaSpike.Cli.Commands.Maml;

/// <summary>A trained learner with what its run measured.</summary>
internal sealed record TrainedLearner(MetaLearner Learner, FewShotTaskLoader Loader, MetaTrainingOutcome Outcome, double Seconds);

/// <summary>Meta-trains one configuration with a progress bar, validation, checkpoints and resume, in a sub-folder of the output.</summary>
internal static class MamlTraining
{
    /// <summary>
    /// Trains <paramref name="config"/> (checkpoint and best parameters in <paramref name="folder"/>; an existing
    /// checkpoint is resumed unless --fresh). Ctrl+C stops after the current meta-step and saves.
    /// </summary>
    public static TrainedLearner Train(IAnsiConsole console, MamlConfig config, string folder, string label, CancellationToken cancellation,
        string? network = null, Action<MetaTrainingRun>? configure = null)
    {
        Directory.CreateDirectory(folder);
        var checkpoint = Path.Combine(folder, "checkpoint.msck");
        var best = Path.Combine(folder, "best.msck");
        if (config.Fresh)
            foreach (var f in new[] { checkpoint, best }.Where(File.Exists)) File.Delete(f);
        var dataset = MamlSetup.Dataset(config);
        var loader = MamlSetup.Loader(config, dataset);
        var net = MamlSetup.Network(config, loader, config.Ways, network);
        var learner = new MetaLearner(net, config.Settings());
        var run = new MetaTrainingRun(learner, loader, new MetaTrainingRunOptions
        {
            Iterations = config.Iterations,
            ValidateEvery = Math.Min(config.ValidateEvery, Math.Max(1, config.Iterations)),
            ValidationTasks = config.ValidationTasks,
            CheckpointPath = checkpoint,
            BestPath = best,
            Seed = config.Seed,
            ModelDescription = Nir.CheckpointModels.DescribeMaml(network ?? config.Network, loader.FrameShape.Channels, loader.FrameShape.Height, loader.FrameShape.Width,
                config.Ways, config.Filters ?? MamlSetup.DefaultFilters(config), config.Hidden, MamlSetup.Window(config, loader), config.Gain),
        });
        configure?.Invoke(run);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        MetaTrainingOutcome outcome = null!;
        console.MainThreadProgress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask(Markup.Escape(label), maxValue: Math.Max(1, config.Iterations));
                double lastValidation = double.NaN, runningAccuracy = double.NaN;
                run.IterationCompleted += r =>
                {
                    runningAccuracy = double.IsNaN(runningAccuracy) ? r.QueryAccuracy : 0.98 * runningAccuracy + 0.02 * r.QueryAccuracy;
                    bar.Value = r.Iteration;
                    bar.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"{label}: it {r.Iteration} train acc {runningAccuracy:F2} val {lastValidation:F2}"));
                    ctx.Refresh();
                };
                run.Validated += p => lastValidation = p.ValidationAccuracy;
                bar.Value = learner.Iteration;
                outcome = run.Run(cancellation);
                bar.Value = learner.Iteration;
            });
        if (outcome.ResumedFrom is { } from) console.MarkupLineInterpolated($"{label}: resumed from the checkpoint at meta-iteration {from}");
        return new TrainedLearner(learner, loader, outcome, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Mean ± std over trials of meta-test tasks, with a progress bar.</summary>
    public static EvaluationSummary Test(IAnsiConsole console, MamlConfig config, MetaLearner learner, FewShotTaskLoader loader, string label,
        int? innerSteps = null, InnerLoop? inner = null) =>
        Sweep(console, config, learner, loader, label, [innerSteps ?? config.TestInnerSteps ?? learner.Settings.Inner.Steps], inner)[0];

    /// <summary>Meta-test accuracy at several inner step counts from one adaptation per task, with a progress bar.</summary>
    public static IReadOnlyList<EvaluationSummary> Sweep(IAnsiConsole console, MamlConfig config, MetaLearner learner, FewShotTaskLoader loader, string label,
        IReadOnlyList<int> stepCounts, InnerLoop? inner = null)
    {
        IReadOnlyList<EvaluationSummary> summaries = null!;
        console.MainThreadProgress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask(Markup.Escape(label), maxValue: config.Trials * config.TasksPerTrial);
                summaries = MetaEvaluation.Sweep(learner, loader, Data.Generators.MetaSplit.Test, config.Trials, config.TasksPerTrial,
                    stepCounts, inner, () => { bar.Increment(1); ctx.Refresh(); });
            });
        return summaries;
    }
}
