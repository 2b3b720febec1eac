using System.Globalization;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.IO;
using MetaSpike.Maml;
using Spectre.Console;

namespace MetaSpike.Cli.Commands.Maml;

/// <summary>One row of an experiment's table, as JSON.</summary>
internal sealed record ExperimentRow(string Setting, double Mean, double Std, IReadOnlyList<double> Trials, string Note);

/// <summary>An experiment's results, as JSON.</summary>
internal sealed record ExperimentResults(string Experiment, string Dataset, string Configuration, IReadOnlyList<ExperimentRow> Rows);

/// <summary>
/// The paper's experiments, each with its own results table, results JSON and, where the paper has a figure, a PNG
/// (<c>metaspike maml --experiment NAME</c>; every other option sets the base configuration). Each training run
/// lives in its own sub-folder of --out and resumes from its checkpoint.
/// </summary>
internal static class MamlExperiments
{
    public static readonly string[] Names = ["inner-steps", "freeze", "threshold", "quantize", "soel", "cnn", "compare", "update-stats", "transfer"];

    public static int Run(string name, IAnsiConsole console, MamlConfig config, CancellationToken cancellation)
    {
        var context = new ExperimentContext(console, config, cancellation);
        return name switch
        {
            "inner-steps" => InnerSteps(context),
            "freeze" => Freeze(context),
            "threshold" => Compare(context, "threshold", "Thresholded inner updates (Eq. 6)",
                [("every update", config.Inner), ("|dw| > 5 % of range", config.Inner with { UpdateThreshold = config.Inner.UpdateThreshold ?? 0.05 })]),
            "quantize" => Quantize(context),
            "soel" => Compare(context, "soel", "Error-triggered plasticity (SOEL, Sec. 3.7)",
                [("MAML, SGD inner loop", config.Inner), ("MAML, SOEL head (threshold learnt)", config.Inner with { Soel = config.Inner.Soel ?? new SoelSettings() })]),
            "cnn" => Algorithms(context, "cnn", [("MAML-SNN", config.WithNetwork("conv")), ("MAML-CNN (event counts)", config.WithNetwork("cnn"))]),
            "update-stats" => MamlBaselines.UpdateStats(context),
            "transfer" => MamlBaselines.TransferExperiment(context),
            "compare" => Algorithms(context, "compare",
                [("MAML-SNN", config with { Algorithm = MetaAlgorithm.Maml }), ("FOMAML-SNN", config with { Algorithm = MetaAlgorithm.FirstOrderMaml }),
                 ("MAML-CNN", config.WithNetwork("cnn") with { Algorithm = MetaAlgorithm.Maml })], withTransfer: true),
            _ => throw new ArgumentException($"unknown --experiment '{name}'; use one of {string.Join(", ", Names)}."),
        };
    }

    /// <summary>Fig. 3: one meta-trained model, adapted with 0, 1, 2, ... inner steps at test time.</summary>
    private static int InnerSteps(ExperimentContext x)
    {
        if (x.Train("model", x.Config) is not { } trained) return 130;
        var results = MamlTraining.Sweep(x.Console, x.Config, trained.Learner, trained.Loader, "inner-steps sweep", x.Config.Sweep);
        var rows = x.Config.Sweep.Select((n, j) => (Label: n.ToString(CultureInfo.InvariantCulture), Result: results[j])).ToList();
        x.Png("inner_steps.png", MamlPlots.Sweep("Inner steps at test time (Fig. 3)", "inner SGD steps at test time", rows.Select(r => (double.Parse(r.Label, CultureInfo.InvariantCulture), r.Result)).ToList(), x.Chance));
        return x.Report("inner-steps", "Inner steps at test time (Fig. 3)", "inner steps", rows.Select(r => (r.Label, r.Result, "")).ToList());
    }

    /// <summary>Fig. 4: one meta-trained model, adapted at test time with 0, 1, ... leading layers frozen (feature reuse).</summary>
    private static int Freeze(ExperimentContext x)
    {
        if (x.Train("model", x.Config) is not { } trained) return 130;
        int layers = trained.Learner.Network.LayerCount;
        var rows = Enumerable.Range(0, layers).Select(frozen =>
        {
            var inner = trained.Learner.CreateInnerLoop(x.Config.Inner with { FrozenLayers = frozen });
            var label = frozen == 0 ? "none (all layers adapt)" : frozen == layers - 1 ? $"{frozen} (only the head adapts)" : frozen.ToString(CultureInfo.InvariantCulture);
            return (label, x.Test(trained, $"{frozen} frozen", inner: inner), (double)frozen);
        }).ToList();
        x.Png("freeze.png", MamlPlots.Sweep("Layers frozen in the inner loop at test time (Fig. 4)", "leading weight layers frozen", rows.Select(r => (r.Item3, r.Item2)).ToList(), x.Chance));
        return x.Report("freeze", "Layers frozen during test-time adaptation (Fig. 4)", "frozen layers", rows.Select(r => (r.label, r.Item2, "")).ToList());
    }

    /// <summary>Table 6: q_in x q_out grid, each meta-trained and tested with its quantisers.</summary>
    private static int Quantize(ExperimentContext x)
    {
        string[] inner = x.Config.Inner.Quantizer is { } qi ? [qi.ToString()] : ["2", "2s", "4", "4s", "8", "8s"];
        string[] outer = x.Config.OuterQuantizer is { } qo ? [qo.ToString()] : ["4", "8"];
        var rows = new List<(string, EvaluationSummary, string)>();
        foreach (var qin in inner)
        foreach (var qout in outer)
        {
            var config = x.Config with { Inner = x.Config.Inner with { Quantizer = WeightQuantizer.Parse(qin) }, OuterQuantizer = WeightQuantizer.Parse(qout) };
            if (x.Train($"q_in{qin}_q_out{qout}", config) is not { } trained) return 130;
            rows.Add(($"q_in {qin}, q_out {qout}", x.Test(trained, $"q_in {qin} q_out {qout}"), ""));
        }
        return x.Report("quantize", "Quantised weights, inner (q_in) and outer (q_out) loops (Table 6)", "quantisation (bits, s = stochastic)", rows);
    }

    /// <summary>Trains one model per inner-loop variant and tests each.</summary>
    private static int Compare(ExperimentContext x, string name, string title, IReadOnlyList<(string Label, InnerLoopSettings Inner)> variants) =>
        Algorithms(x, name, variants.Select(v => (v.Label, x.Config with { Inner = v.Inner })).ToList(), title);

    /// <summary>Trains one model per configuration and tests each.</summary>
    private static int Algorithms(ExperimentContext x, string name, IReadOnlyList<(string Label, MamlConfig Config)> variants, string? title = null, bool withTransfer = false)
    {
        var rows = new List<(string, EvaluationSummary, string)>();
        FewShotTaskLoader? loader = null;
        foreach (var (label, config) in variants)
        {
            if (x.Train(Folder(label), config) is not { } trained) return 130;
            loader ??= trained.Loader;
            var note = trained.Learner.Soel is { } soel ? FormattableString.Invariant($"learnt threshold {soel.Threshold:G3}") : "";
            rows.Add((label, x.Test(trained, label), note));
        }
        if (withTransfer)
        {
            // The variants differ in algorithm or network, not in the dataset or task shape: their loader serves transfer too.
            var transfer = MamlBaselines.ByTrials(MamlBaselines.Transfer(x, loader!), x.Config.Shots, x.Config.TasksPerTrial);
            rows.Add(($"transfer learning, {x.Config.Shots} shot(s)", transfer, "pre-trained body, head fine-tuned"));
            rows.Add(MamlBaselines.NearestNeighbour(x, loader!));
        }
        return x.Report(name, title ?? "Meta-test accuracy by method (Table 3)", "method", rows);
    }

    private static string Folder(string label) =>
        new string(label.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray()).Trim('_');
}

/// <summary>What the experiments share: training in sub-folders, testing, reporting.</summary>
internal sealed class ExperimentContext(IAnsiConsole console, MamlConfig config, CancellationToken cancellation)
{
    public IAnsiConsole Console { get; } = console;

    public MamlConfig Config { get; } = config;

    public double Chance => 1.0 / Config.Ways;

    /// <summary>Meta-trains in --out/SUBFOLDER; null when interrupted (the checkpoint is saved).</summary>
    public TrainedLearner? Train(string subfolder, MamlConfig config)
    {
        var trained = MamlTraining.Train(Console, config, Path.Combine(Config.Out, subfolder), subfolder, cancellation);
        if (trained.Outcome.Completed) return trained;
        Console.MarkupLineInterpolated($"[yellow]stopped[/] in {subfolder} at meta-iteration {trained.Learner.Iteration}; run the same command again to continue.");
        return null;
    }

    public EvaluationSummary Test(TrainedLearner trained, string label, int? innerSteps = null, InnerLoop? inner = null) =>
        MamlTraining.Test(Console, Config, trained.Learner, trained.Loader, label, innerSteps, inner);

    public void Png(string file, byte[] png)
    {
        var path = Path.Combine(Config.Out, file);
        AtomicFile.WriteAllBytes(path, png);
        Console.MarkupLineInterpolated($"wrote [green]{path}[/]");
    }

    /// <summary>Prints the table and writes <c>NAME.json</c>; returns exit code 0.</summary>
    public int Report(string name, string title, string settingHeader, IReadOnlyList<(string Setting, EvaluationSummary Result, string Note)> rows)
    {
        var table = new Table().Title($"{title} — {Config.Dataset}, {Config.Ways}-way {Config.Shots}-shot (measured; mean ± std over {Config.Trials} trials)")
            .AddColumn(settingHeader).AddColumn(new TableColumn("meta-test accuracy").RightAligned()).AddColumn(new TableColumn("before adaptation").RightAligned()).AddColumn("");
        foreach (var (setting, result, note) in rows)
            table.AddRow(Markup.Escape(setting), result.ToString(), MamlCommand.Percent(result.MeanBefore), Markup.Escape(note));
        Console.Write(table);
        var results = new ExperimentResults(name, Config.Dataset, MamlCommand.Describe(Config),
            rows.Select(r => new ExperimentRow(r.Setting, r.Result.Mean, r.Result.Std, r.Result.TrialAccuracies, r.Note)).ToArray());
        var path = Path.Combine(Config.Out, name + ".json");
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(results, JsonOptions.Indented));
        Console.MarkupLineInterpolated($"wrote [green]{path}[/]");
        return 0;
    }
}
