using System.Globalization;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.Data.Generators;
using MetaSpike.IO;
using MetaSpike.Maml;
using MetaSpike.Modules;
using Spectre.Console;
using static TorchSharp.torch;

namespace MetaSpike.Cli.Commands.Maml;

/// <summary>The experiments that compare MAML with ordinary training: transfer learning (Fig. 6) and update magnitudes (Table 5, Fig. 5).</summary>
internal static class MamlBaselines
{
    /// <summary>The transfer baseline's settings (--pretrain-steps, --pretrain-lr; up to 10 shots).</summary>
    public static TransferLearningSettings TransferSettings(MamlConfig c) => new() { PretrainSteps = c.PretrainSteps, LearningRate = c.PretrainLr, BatchSize = 32, MaxShots = 10 };

    /// <summary>
    /// Pre-trains on the meta-train classes and fine-tunes the head shot by shot on meta-test tasks, with the dataset
    /// and task loader of a trained run (so the meta-dataset is not built or scanned a second time).
    /// </summary>
    public static TransferResult Transfer(ExperimentContext x, FewShotTaskLoader loader, UpdateRecorder? headUpdates = null)
    {
        var c = x.Config;
        var settings = TransferSettings(c);
        FewShotNetwork Create(int ways) => MamlSetup.Network(c, loader, ways);
        x.Console.MarkupLineInterpolated($"transfer: pre-training on the meta-train classes ({settings.PretrainSteps} Adam steps) ...");
        var pretrained = TransferLearning.Pretrain(Create, loader, settings, c.Seed, headUpdates);
        var network = TransferLearning.Transfer(pretrained.Network, Create, c.Ways);
        x.Console.MarkupLine("transfer: fine-tuning the head shot by shot ...");
        return TransferLearning.FineTuneShotByShot(network, MamlSetup.Loader(c, loader.Dataset, shots: settings.MaxShots), MetaSplit.Test,
            c.Trials * c.TasksPerTrial, settings, c.Seed);
    }

    /// <summary>Fig. 6: transfer learning's accuracy against shots, beside MAML's one-shot accuracy.</summary>
    public static int TransferExperiment(ExperimentContext x)
    {
        if (x.Train("maml", x.Config) is not { } trained) return 130;
        var maml = x.Test(trained, "MAML");
        var transfer = Transfer(x, trained.Loader);
        var rows = new List<(string, EvaluationSummary, string)> { ($"MAML, {x.Config.Shots} shot(s)", maml, "") };
        rows.AddRange(transfer.PerShot.Select(s => ($"transfer, {s.Shots} shot(s)", ByTrials(transfer, s.Shots, x.Config.TasksPerTrial), "pre-trained body frozen, head fine-tuned")));
        rows.Add(NearestNeighbour(x, trained.Loader));
        var points = transfer.PerShot.Select(s => ((double)s.Shots, ByTrials(transfer, s.Shots, x.Config.TasksPerTrial))).ToList();
        x.Png("transfer.png", MamlPlots.Sweep($"Transfer learning by shots vs MAML {x.Config.Shots}-shot {maml} (Fig. 6)", "shots per class", points, x.Chance));
        return x.Report("transfer", "Transfer learning shot by shot vs MAML (Fig. 6)", "method", rows);
    }

    /// <summary>The no-learning row: nearest neighbour on event counts, on the same tasks and trials as MAML's evaluation.</summary>
    public static (string, EvaluationSummary, string) NearestNeighbour(ExperimentContext x, FewShotTaskLoader loader) =>
        ($"nearest neighbour, {x.Config.Shots} shot(s)", NearestNeighbourBaseline.Evaluate(loader, MetaSplit.Test, x.Config.Trials, x.Config.TasksPerTrial),
            "cosine on event counts, no learning");

    /// <summary>Table 5 / Fig. 5: magnitudes of the head's weight updates in MAML's inner and outer loops and in ordinary training.</summary>
    public static int UpdateStats(ExperimentContext x)
    {
        UpdateRecorder? outer = null;
        IReadOnlyList<Tensor>? before = null;
        void Hook(MetaTrainingRun run)
        {
            outer = UpdateRecorder.ForParameter(run.Learner.Network);
            run.AroundStep += starting =>
            {
                var now = FunctionalCall.Parameters(run.Learner.Network);
                if (starting) before = now.Select(p => p.detach().clone()).ToArray();
                else using (NewDisposeScope()) outer!.Add(before!, now);
            };
        }
        var trained = MamlTraining.Train(x.Console, x.Config, Path.Combine(x.Config.Out, "maml"), "maml", CancellationToken.None, configure: Hook);
        var learner = trained.Learner;
        var inner = UpdateRecorder.ForParameter(learner.Network);
        var thresholded = UpdateRecorder.ForParameter(learner.Network);
        var thresholdLoop = learner.CreateInnerLoop(x.Config.Inner with { UpdateThreshold = 0.05 });
        for (int i = 0; i < x.Config.TasksPerTrial; i++)
        {
            using var task = trained.Loader.Load(MetaSplit.Test, i);
            using var scope = NewDisposeScope();
            inner.RecordInnerLoop(learner, task);
            thresholded.RecordInnerLoop(learner, task, inner: thresholdLoop);
        }
        var ordinary = UpdateRecorder.ForParameter(learner.Network);
        Transfer(x, trained.Loader, ordinary);

        var recorders = new (string Label, UpdateRecorder? Recorder)[]
        {
            ("MAML outer loop", outer), ("MAML inner loop", inner), ("MAML inner loop, thresholded 5 %", thresholded), ("non-meta training", ordinary),
        };
        var table = new Table().Title($"Head weight update magnitudes (Table 5; measured, mean ± std over updates) — {x.Config.Dataset}")
            .AddColumn("updates").AddColumn(new TableColumn("n").RightAligned()).AddColumn(new TableColumn("mean |dw|").RightAligned())
            .AddColumn(new TableColumn("sum |dw|").RightAligned()).AddColumn(new TableColumn("max |dw|").RightAligned()).AddColumn(new TableColumn("non-zero").RightAligned());
        var rows = new List<object>();
        foreach (var (label, recorder) in recorders)
        {
            if (recorder is null || recorder.Updates.Count == 0) continue;
            var s = recorder.Summary();
            table.AddRow(label, s.Updates.ToString(CultureInfo.InvariantCulture), Text(s.MeanMagnitude), Text(s.SumMagnitude), Text(s.MaxMagnitude), Text(s.NonZeroFraction));
            rows.Add(new { label, summary = s, histogram = recorder.Histogram });
        }
        x.Console.Write(table);
        x.Png("update_magnitudes.png", MamlPlots.Histograms("Head weight update magnitudes (Fig. 5)",
            recorders.Where(r => r.Recorder is { Updates.Count: > 0 }).Select(r => (r.Label, r.Recorder!.Histogram)).ToList()));
        var path = Path.Combine(x.Config.Out, "update-stats.json");
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { experiment = "update-stats", dataset = x.Config.Dataset, configuration = MamlCommand.Describe(x.Config), rows }, JsonOptions.Indented));
        x.Console.MarkupLineInterpolated($"wrote [green]{path}[/]");
        return 0;
    }

    /// <summary>
    /// Transfer learning's accuracy after <paramref name="shots"/> shots as mean ± std over trials of
    /// <paramref name="tasksPerTrial"/> consecutive tasks, the protocol of <see cref="MetaEvaluation"/> (the tasks are the same ones).
    /// </summary>
    public static EvaluationSummary ByTrials(TransferResult transfer, int shots, int tasksPerTrial)
    {
        var trials = transfer.TaskAccuracies.Chunk(tasksPerTrial).Select(trial => trial.Average(task => task[shots - 1])).ToArray();
        var (mean, std) = MeanStd.Of(trials);
        return new EvaluationSummary(mean, std, trials, double.NaN, 0);
    }

    private static string Text(MeanStd m) => string.Create(CultureInfo.InvariantCulture, $"{m.Mean:G3} ± {m.Std:G2}");
}
