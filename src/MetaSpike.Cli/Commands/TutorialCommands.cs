using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.IO;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using MetaSpike.Tutorials;
using Spectre.Console;
using TorchSharp;

namespace MetaSpike.Cli.Commands;

/// <summary>Results of <c>metaspike tutorial train-snn</c>, written as JSON.</summary>
internal sealed record TrainSnnResults(double AccuracyBefore, double AccuracyAfter, double AccuracyAfterByTimeMean, double FinalLoss, int Epochs, bool Completed,
    int? ResumedFromEpoch, double TrainingSeconds, long Seed, bool Recurrent, string Mode, IReadOnlyList<double> Losses);

/// <summary><c>metaspike tutorial ...</c>: the tutorials our users know, end to end.</summary>
internal static class TutorialCommands
{
    public static Command Create(IAnsiConsole console)
    {
        var tutorial = new Command("tutorial", "Reproduce a published tutorial end to end.");
        tutorial.Subcommands.Add(TrainSnn(console));
        return tutorial;
    }

    private static Command TrainSnn(IAnsiConsole console)
    {
        var epochs = new Option<int>("--epochs") { Description = "Training epochs (one batch of 128 each).", DefaultValueFactory = _ => 800 };
        var seed = new Option<long>("--seed") { Description = "Seed of the data, weights and training.", DefaultValueFactory = _ => 0 };
        var out_ = new Option<string>("--out") { Description = "Folder for loss.png, raster.png, metrics.csv/jsonl, checkpoint.msck, results.json.", DefaultValueFactory = _ => "metaspike-tutorial" };
        var recurrent = new Option<bool>("--recurrent") { Description = "Add (zero-initialised) recurrent weights to the hidden LIF layer; the tutorial's code has none." };
        var stepMode = new Option<bool>("--step-mode") { Description = "Simulate step by step instead of multi-step (same numbers, slower)." };
        var fresh = new Option<bool>("--fresh") { Description = "Ignore an existing checkpoint in the output folder and start over." };
        var command = new Command("train-snn", "brainstate's 'Training a Spiking Neural Network': 100 Poisson inputs, LIF layer of 4 (ReluGrad), exponential-synapse readout, Adam 3e-3.")
        {
            epochs, seed, out_, recurrent, stepMode, fresh,
        };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var folder = parse.GetValue(out_)!;
            Directory.CreateDirectory(folder);
            var checkpoint = Path.Combine(folder, "checkpoint.msck");
            if (parse.GetValue(fresh) && File.Exists(checkpoint)) File.Delete(checkpoint);
            var options = new TrainSnnTutorialOptions
            {
                Epochs = parse.GetValue(epochs),
                Seed = parse.GetValue(seed),
                Recurrent = parse.GetValue(recurrent),
                Mode = parse.GetValue(stepMode) ? StepMode.Single : StepMode.Multi,
                CheckpointPath = checkpoint,
                MetricsCsvPath = Path.Combine(folder, "metrics.csv"),
                MetricsJsonlPath = Path.Combine(folder, "metrics.jsonl"),
            };
            if (options.Epochs < 1) throw new ArgumentException($"--epochs must be >= 1, got {options.Epochs}.");
            var run = new TrainSnnTutorial(options);
            console.MarkupLineInterpolated($"network: {run.Network.Layers.Count} layers, {run.Network.parameters().Sum(p => p.numel())} parameters; data: {run.Inputs.shape[0]} steps x {run.Inputs.shape[1]} samples x {run.Inputs.shape[2]} inputs; labels: {run.Labels.sum().ToInt64()} ones");
            var before = run.Accuracy();
            console.MarkupLineInterpolated($"accuracy before training: [bold]{before:F3}[/]");

            // Ctrl+C: finish the current batch, save a checkpoint, write the figures, exit 130.
            using var interrupt = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Training.TrainingOutcome outcome;
            try
            {
                outcome = null!;
                console.MainThreadProgress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("training", maxValue: options.Epochs);
                        run.Trainer.EpochCompleted += m =>
                        {
                            task.Value = m.Epoch;
                            task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {m.Epoch,4} loss {m.Loss:F4} acc {m.Accuracy:F3}");
                            if (m.Epoch % 10 == 0) ctx.Refresh();
                        };
                        outcome = run.Fit(interrupt.Token);
                        task.Value = outcome.History.Count;
                    });
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            var seconds = clock.Elapsed.TotalSeconds;
            if (outcome.ResumedFromEpoch is { } from)
                console.MarkupLineInterpolated($"resumed from the checkpoint after epoch {from}");
            var table = new Table().Title("Training loss (measured)").AddColumn(new TableColumn("epoch").RightAligned()).AddColumn(new TableColumn("loss").RightAligned()).AddColumn(new TableColumn("batch accuracy").RightAligned());
            foreach (var m in outcome.History.Where(m => m.Epoch % Math.Max(1, options.Epochs / 8) == 0 || m.Epoch == outcome.History.Count))
                table.AddRow(m.Epoch.ToString(CultureInfo.InvariantCulture), m.Loss.ToString("F4", CultureInfo.InvariantCulture), m.Accuracy.ToString("F3", CultureInfo.InvariantCulture));
            console.Write(table);
            var after = run.Accuracy();
            var afterMean = run.Accuracy(meanOverTime: true);
            console.MarkupLineInterpolated($"accuracy before training: [bold]{before:F3}[/], after: [bold]{after:F3}[/] (max over time, the tutorial's measure; by the time average, which the loss trains: {afterMean:F3}; {seconds:F1} s)");
            if (!outcome.Completed)
                console.MarkupLineInterpolated($"[yellow]stopped[/] after saving [green]{checkpoint}[/]; run the same command again to continue.");

            var losses = outcome.History.Select(m => m.Loss).ToArray();
            var lossPng = Path.Combine(folder, "loss.png");
            var rasterPng = Path.Combine(folder, "raster.png");
            var json = Path.Combine(folder, "results.json");
            AtomicFile.WriteAllBytes(lossPng, TrainingPlots.LossCurve("Surrogate-gradient SNN training (brainstate tutorial)", losses));
            AtomicFile.WriteAllBytes(rasterPng, TrainingPlots.Raster("Hidden LIF layer after training (8 samples)", run.HiddenSpikes(8), options.Dt.Milliseconds));
            var results = new TrainSnnResults(before, after, afterMean, losses.LastOrDefault(double.NaN), outcome.History.Count, outcome.Completed, outcome.ResumedFromEpoch,
                seconds, options.Seed, options.Recurrent, options.Mode.ToString(), losses);
            AtomicFile.WriteAllText(json, JsonSerializer.Serialize(results, JsonOptions.Indented));
            console.MarkupLineInterpolated($"wrote [green]{lossPng}[/], [green]{rasterPng}[/], [green]{json}[/], metrics.csv and metrics.jsonl");
            return outcome.Completed ? 0 : 130;
        });
        return command;
    }
}
