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
/// <c>metaspike surrogate-meta s2nn</c>: all three S2NN hyperparameters learned with the weights of a small SNN,
/// kept in their domains by construction; <c>--start extreme</c> starts from two extreme corners.
/// </summary>
internal static class S2nnCommand
{
    internal static Command Create(IAnsiConsole console)
    {
        var defaults = new S2nnOptions();
        var out_ = new Option<string>("--out") { Description = "Folder for s2nn.png and results.json.", DefaultValueFactory = _ => "metaspike-surrogate-meta/s2nn" };
        var seed = new Option<int>("--seed") { Description = "Seed of the task, the weights and the batch order.", DefaultValueFactory = _ => 0 };
        var steps = new Option<int>("--steps") { Description = "Training steps (mini-batches) of every run.", DefaultValueFactory = _ => defaults.TrainingSteps };
        var start = new Option<string>("--start") { Description = "default (alpha 4, beta 1, epsilon 1e-8) or extreme (alpha 1e-3 with beta 1e3, and alpha 1e3 with beta 1e-3; epsilon 1e-12).", DefaultValueFactory = _ => "default" };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate of the weights.", DefaultValueFactory = _ => defaults.LearningRate };
        var hyperLr = new Option<double>("--hyper-lr") { Description = "Adam learning rate of the raw (softplus-mapped) alpha, beta and epsilon.", DefaultValueFactory = _ => defaults.HyperLearningRate };
        var hyper = new Option<string>("--hyper-gradient") { Description = $"How the hyperparameters get their gradient: {HyperGradientNames} (braintools gives epsilon none).", DefaultValueFactory = _ => Name(defaults.HyperGradient) };
        var command = new Command("s2nn", "Learn S2NN's alpha, beta and epsilon with the weights of a small SNN, never leaving their domains (no NaN), also from extreme starting values.")
        {
            out_, seed, steps, start, lr, hyperLr, hyper,
        };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var options = defaults with
            {
                Seed = parse.GetValue(seed),
                TrainingSteps = parse.GetValue(steps),
                LearningRate = parse.GetValue(lr),
                HyperLearningRate = parse.GetValue(hyperLr),
                HyperGradient = HyperGradient(parse.GetValue(hyper)!),
            };
            options.Validate();
            IReadOnlyList<S2nnStart> starts = parse.GetValue(start)!.Trim().ToLowerInvariant() switch
            {
                "default" => [S2nnStart.Default],
                "extreme" => S2nnStart.Extreme,
                var other => throw new ArgumentException($"--start must be default or extreme, got '{other}'."),
            };
            var folder = parse.GetValue(out_)!;
            Directory.CreateDirectory(folder);

            console.MarkupLineInterpolated($"task: {options.Task.Classes} Poisson patterns over {options.Task.Channels} channels, {options.Task.TimeSteps} ms; network: {options.Task.Channels} -> {string.Join(" -> ", options.Hidden.Select(h => $"{h} LIF"))} -> {options.Task.Classes} readout, one S2NN for all layers");
            console.MarkupLineInterpolated($"alpha, beta = 1e-6 + softplus(raw), epsilon = softplus(raw); {Name(options.HyperGradient)} hyper-gradient; Adam {F(options.LearningRate)} (weights), {F(options.HyperLearningRate)} (raw hyperparameters)");
            var runs = new List<S2nnRun>();
            console.Progress().AutoClear(true).Start(ctx =>
            {
                var tasks = starts.Select(s => ctx.AddTask(Markup.Escape(s.Name), maxValue: options.TrainingSteps)).ToArray();
                for (int i = 0; i < starts.Count; i++)
                {
                    var task = tasks[i];
                    runs.Add(S2nnTraining.Train(options, starts[i], record => task.Value = record.Step));
                }
            });

            console.Write(ParameterTable(runs));
            console.Write(OutcomeTable(runs));
            console.Write(GradientTable(runs));
            var png = Path.Combine(folder, "s2nn.png");
            var json = Path.Combine(folder, "results.json");
            AtomicFile.WriteAllBytes(png, MetaPlotsB.S2nn(runs));
            var results = new
            {
                Scenario = "s2nn",
                options.Seed,
                options.TrainingSteps,
                HyperGradient = Name(options.HyperGradient),
                options.LearningRate,
                options.HyperLearningRate,
                options.Hidden,
                StepsWithNonFiniteValues = runs.Sum(r => r.History.Count(h => !Finite(h))),
                Runs = runs,
            };
            AtomicFile.WriteAllText(json, JsonSerializer.Serialize(results, JsonOptions.Indented));
            console.MarkupLineInterpolated($"wrote [green]{png}[/] and [green]{json}[/]");
            return 0;
        });
        return command;
    }

    private static Table ParameterTable(IReadOnlyList<S2nnRun> runs)
    {
        var table = new Table().Title("S2NN hyperparameters: start -> final [[smallest, largest over all steps]] (measured)")
            .AddColumn("start").AddColumn("alpha (> 0)").AddColumn("beta (> 0)").AddColumn("epsilon (>= 0)");
        foreach (var run in runs)
        {
            string Column(double first, Func<S2nnRecord, double> read) =>
                $"{F(first)} -> {F(read(run.History[^1]))} [[{F(run.History.Min(read))}, {F(run.History.Max(read))}]]";
            table.AddRow(Markup.Escape(run.Start.Name), Column(run.Start.Alpha, r => r.Alpha), Column(run.Start.Beta, r => r.Beta), Column(run.Start.Epsilon, r => r.Epsilon));
        }
        return table;
    }

    /// <summary>Whether a step's loss, hyperparameters and gradients are all finite (the library stops the run otherwise).</summary>
    private static bool Finite(S2nnRecord r) =>
        new[] { r.Loss, r.Alpha, r.Beta, r.Epsilon, r.AlphaGradient, r.BetaGradient, r.EpsilonGradient, r.WeightGradientNorm }.All(double.IsFinite);

    private static Table OutcomeTable(IReadOnlyList<S2nnRun> runs)
    {
        var table = new Table().Title("Training (measured; every step's loss, values and gradients checked finite)")
            .Caption("loss: mean of the first / last 10 steps; accuracies on the whole sets after training")
            .AddColumn("start").AddColumn(new TableColumn("steps").RightAligned()).AddColumn(new TableColumn("loss").RightAligned())
            .AddColumn(new TableColumn("train acc").RightAligned()).AddColumn(new TableColumn("test acc").RightAligned())
            .AddColumn(new TableColumn("NaN/inf steps").RightAligned()).AddColumn(new TableColumn("seconds").RightAligned());
        foreach (var run in runs)
        {
            var h = run.History;
            table.AddRow(Markup.Escape(run.Start.Name), h.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{F(h.Take(10).Average(r => r.Loss), "F4")} -> {F(h.TakeLast(10).Average(r => r.Loss), "F4")}",
                F(run.TrainAccuracy, "F3"), F(run.TestAccuracy, "F3"),
                h.Count(r => !Finite(r)).ToString(System.Globalization.CultureInfo.InvariantCulture), F(run.Seconds, "F1"));
        }
        return table;
    }

    private static Table GradientTable(IReadOnlyList<S2nnRun> runs)
    {
        var table = new Table().Title("Largest gradient magnitude over the run (measured)")
            .Caption("raw: the unconstrained values the optimiser moves; weights: Euclidean norm of all weight gradients")
            .AddColumn("start").AddColumn(new TableColumn("raw alpha").RightAligned()).AddColumn(new TableColumn("raw beta").RightAligned())
            .AddColumn(new TableColumn("raw epsilon").RightAligned()).AddColumn(new TableColumn("weights").RightAligned());
        foreach (var run in runs)
        {
            var h = run.History;
            table.AddRow(Markup.Escape(run.Start.Name), F(h.Max(r => Math.Abs(r.AlphaGradient))), F(h.Max(r => Math.Abs(r.BetaGradient))),
                F(h.Max(r => Math.Abs(r.EpsilonGradient))), F(h.Max(r => r.WeightGradientNorm)));
        }
        return table;
    }
}
