using System.CommandLine;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.IO;
using MetaSpike.MetaLearning;
using MetaSpike.Runtime;
using Spectre.Console;
using static MetaSpike.Cli.Commands.SurrogateMeta.MetaArguments;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>
/// <c>metaspike surrogate-meta per-layer</c>: a classifier with three spiking layers learns one sigmoid alpha per layer
/// (or per neuron) jointly with its weights; baselines train the same network with alpha fixed.
/// </summary>
internal static class PerLayerCommand
{
    internal static Command Create(IAnsiConsole console)
    {
        var defaults = new PerLayerAlphaOptions();
        var out_ = new Option<string>("--out") { Description = "Folder for per_layer_alphas.png, per_layer_training.png and results.json.", DefaultValueFactory = _ => "metaspike-surrogate-meta/per-layer" };
        var seed = new Option<int>("--seed") { Description = "Seed of the task, the weights and the batch order (the same for every run).", DefaultValueFactory = _ => 0 };
        var steps = new Option<int>("--steps") { Description = "Training steps (mini-batches of 50) of every run.", DefaultValueFactory = _ => defaults.TrainingSteps };
        var perNeuron = new Option<bool>("--per-neuron") { Description = "Learn one alpha per neuron (a tensor of the layer's size) instead of one per layer." };
        var alpha = new Option<double>("--alpha") { Description = "Starting alpha of every layer's sigmoid surrogate.", DefaultValueFactory = _ => defaults.InitialAlpha };
        var fixedAlphas = new Option<string>("--fixed") { Description = "Comma-separated fixed alphas of the baseline runs (empty: none).", DefaultValueFactory = _ => "0.5,4,16" };
        var hidden = new Option<string>("--hidden") { Description = "Comma-separated sizes of the spiking layers.", DefaultValueFactory = _ => string.Join(",", defaults.Hidden) };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate of the weights.", DefaultValueFactory = _ => defaults.LearningRate };
        var alphaLr = new Option<double>("--alpha-lr") { Description = "Adam learning rate of the raw (softplus-mapped) alphas.", DefaultValueFactory = _ => defaults.AlphaLearningRate };
        var hyper = new Option<string>("--hyper-gradient") { Description = $"How alpha gets its gradient through the spike: {HyperGradientNames}.", DefaultValueFactory = _ => "braintools" };
        var command = new Command("per-layer", "Learn one surrogate alpha per layer (or per neuron) of a 3-layer SNN jointly with the weights; compare with fixed alphas.")
        {
            out_, seed, steps, perNeuron, alpha, fixedAlphas, hidden, lr, alphaLr, hyper,
        };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var options = defaults with
            {
                Seed = parse.GetValue(seed),
                TrainingSteps = parse.GetValue(steps),
                PerNeuron = parse.GetValue(perNeuron),
                InitialAlpha = parse.GetValue(alpha),
                Hidden = Sizes("--hidden", parse.GetValue(hidden)!),
                LearningRate = parse.GetValue(lr),
                AlphaLearningRate = parse.GetValue(alphaLr),
                HyperGradient = HyperGradient(parse.GetValue(hyper)!),
            };
            options.Validate();
            var baselines = Numbers("--fixed", parse.GetValue(fixedAlphas)!);
            if (baselines.Any(a => a <= 0)) throw new ArgumentException($"--fixed: every alpha must be > 0, got {string.Join(", ", baselines.Select(a => F(a)))}.");
            var folder = parse.GetValue(out_)!;
            Directory.CreateDirectory(folder);

            console.MarkupLineInterpolated($"task: {options.Task.Classes} Poisson patterns over {options.Task.Channels} channels, {options.Task.TimeSteps} ms, {options.Task.Classes * options.Task.TrainPerClass} training and {options.Task.Classes * options.Task.TestPerClass} test samples");
            console.MarkupLineInterpolated($"network: {options.Task.Channels} -> {string.Join(" -> ", options.Hidden.Select(h => $"{h} LIF"))} -> {options.Task.Classes} readout; sigmoid surrogate, alpha {(options.PerNeuron ? "per neuron" : "per layer")} from {F(options.InitialAlpha)}, {Name(options.HyperGradient)} hyper-gradient");
            IReadOnlyList<PerLayerRun> runs = [];
            console.Progress().AutoClear(true).Start(ctx =>
            {
                var labels = new[] { "learned" }.Concat(baselines.Select(a => $"fixed alpha = {F(a)}")).ToArray();
                var tasks = labels.Select(l => ctx.AddTask(Markup.Escape(l), maxValue: options.TrainingSteps)).ToArray();
                runs = PerLayerAlphaTraining.Compare(options, baselines, (run, record) => tasks[run].Value = record.Step);
            });

            var learned = runs[0];
            console.Write(AlphaTable(learned, options));
            console.Write(AccuracyTable(runs));
            var alphasPng = Path.Combine(folder, "per_layer_alphas.png");
            var trainingPng = Path.Combine(folder, "per_layer_training.png");
            var json = Path.Combine(folder, "results.json");
            AtomicFile.WriteAllBytes(alphasPng, MetaPlotsB.PerLayerAlphas(learned));
            AtomicFile.WriteAllBytes(trainingPng, MetaPlotsB.PerLayerTraining(runs));
            var results = new
            {
                Scenario = "per-layer",
                options.Seed,
                options.TrainingSteps,
                options.PerNeuron,
                options.InitialAlpha,
                options.Hidden,
                HyperGradient = Name(options.HyperGradient),
                options.LearningRate,
                options.AlphaLearningRate,
                Runs = runs,
            };
            AtomicFile.WriteAllText(json, JsonSerializer.Serialize(results, JsonOptions.Indented));
            console.MarkupLineInterpolated($"wrote [green]{alphasPng}[/], [green]{trainingPng}[/] and [green]{json}[/]");
            return 0;
        });
        return command;
    }

    private static Table AlphaTable(PerLayerRun learned, PerLayerAlphaOptions options)
    {
        var table = new Table().Title($"Learned alphas ({(learned.PerNeuron ? "one per neuron" : "one per layer")}, measured)")
            .AddColumn("layer").AddColumn(new TableColumn("neurons").RightAligned()).AddColumn(new TableColumn("start").RightAligned())
            .AddColumn(new TableColumn("after 1/4").RightAligned()).AddColumn(new TableColumn("after 1/2").RightAligned())
            .AddColumn(new TableColumn("final").RightAligned()).AddColumn(new TableColumn("std").RightAligned())
            .AddColumn(new TableColumn("min").RightAligned()).AddColumn(new TableColumn("max").RightAligned());
        for (int layer = 0; layer < learned.FinalAlphas.Count; layer++)
        {
            var final = LayerAlphaStats.Of(learned.FinalAlphas[layer]);
            table.AddRow((layer + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), options.Hidden[layer].ToString(System.Globalization.CultureInfo.InvariantCulture),
                F(options.InitialAlpha), F(MeanAt(learned, layer, 4)), F(MeanAt(learned, layer, 2)), F(final.Mean), F(final.Std), F(final.Min), F(final.Max));
        }
        return table;
    }

    private static double MeanAt(PerLayerRun run, int layer, int fraction) =>
        run.History[Math.Max(0, run.History.Count / fraction - 1)].Alphas[layer].Mean;

    private static Table AccuracyTable(IReadOnlyList<PerLayerRun> runs)
    {
        var table = new Table().Title("Learned vs fixed alphas (same task, initial weights and batches; measured)")
            .Caption("loss: mean of the last 10 training steps; accuracies on the whole sets after training")
            .AddColumn("run").AddColumn(new TableColumn("loss at 1/4").RightAligned()).AddColumn(new TableColumn("final loss").RightAligned())
            .AddColumn(new TableColumn("train accuracy").RightAligned()).AddColumn(new TableColumn("test accuracy").RightAligned())
            .AddColumn(new TableColumn("seconds").RightAligned());
        double best = runs.Max(r => r.TestAccuracy);
        foreach (var run in runs)
        {
            var quarter = run.History.Take(Math.Max(1, run.History.Count / 4)).TakeLast(10).Average(h => h.Loss);
            var last = run.History.TakeLast(10).Average(h => h.Loss);
            var test = F(run.TestAccuracy, "F3");
            table.AddRow(Markup.Escape(run.Label), F(quarter, "F4"), F(last, "F4"), F(run.TrainAccuracy, "F3"),
                run.TestAccuracy == best ? $"[bold]{test}[/]" : test, F(run.Seconds, "F1"));
        }
        return table;
    }
}
