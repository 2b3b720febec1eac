using System.CommandLine;
using MetaSpike.Cli.Plotting;
using MetaSpike.MetaLearning;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using Spectre.Console;
using static MetaSpike.Cli.Commands.SurrogateMeta.JointTrainingCli;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>One run of a comparison, as results.json records it.</summary>
/// <param name="Label">e.g. "alpha = 4" or "learned (from 2)".</param>
/// <param name="Kind">"fixed", "learned" or "schedule".</param>
/// <param name="Spec">How alpha was set: "constant:4", "learned:2" or a schedule such as "cosine:1:8".</param>
/// <param name="Losses">Loss per step, then the final loss.</param>
/// <param name="Alphas">alpha per step, then the final alpha.</param>
/// <param name="FinalLoss">The loss after the last step.</param>
/// <param name="MeanLoss">The mean of <paramref name="Losses"/> (lower: faster learning).</param>
/// <param name="FinalAlpha">alpha at the end.</param>
internal sealed record AlphaComparisonRun(string Label, string Kind, string Spec, IReadOnlyList<double> Losses, IReadOnlyList<double> Alphas, double FinalLoss, double MeanLoss, double FinalAlpha)
{
    public static AlphaComparisonRun Of(string label, string kind, string spec, JointTrainingHistory run)
    {
        var losses = run.LossCurve();
        return new AlphaComparisonRun(label, kind, spec, losses, run.HyperparameterCurve("alpha"), run.FinalLoss, losses.Average(), run.FinalHyperparameters["alpha"]);
    }

    /// <summary>The runs' table: final and mean loss and alpha at the end, the lowest final loss marked.</summary>
    public static Table Table(string title, IReadOnlyList<AlphaComparisonRun> runs)
    {
        double best = runs.Min(r => r.FinalLoss);
        var table = new Table().Title(Markup.Escape(title)).AddColumn("run").AddColumn(new TableColumn("final loss").RightAligned())
            .AddColumn(new TableColumn("mean loss over training").RightAligned()).AddColumn(new TableColumn("final alpha").RightAligned()).AddColumn("");
        foreach (var r in runs)
            table.AddRow(Markup.Escape(r.Label), F(r.FinalLoss, "F4"), F(r.MeanLoss, "F3"), F(r.FinalAlpha, "F4"), r.FinalLoss == best ? "lowest" : "");
        return table;
    }
}

/// <summary>results.json of <c>surrogate-meta fixed-vs-learned</c>.</summary>
internal sealed record FixedVsLearnedResults(SpikeCountTaskSummary Task, string HyperGradient, int Steps, IReadOnlyList<AlphaComparisonRun> Runs, string Best);

/// <summary>
/// <c>metaspike surrogate-meta fixed-vs-learned</c>: the task of <c>basic</c> trained with alpha fixed at each of
/// several values and with alpha learned, all from the same initial weights and input spikes. Writes the loss
/// curves (fixed_vs_learned.png) and a bar chart of the final losses (final_losses.png).
/// </summary>
internal static class FixedVsLearnedCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var common = new JointTrainingCli("metaspike-surrogate-meta/fixed-vs-learned");
        var alphas = new Option<string>("--alphas") { Description = "Comma-separated fixed alpha values, one run each.", DefaultValueFactory = _ => "1,2,4,8" };
        var alpha = new Option<double>("--alpha") { Description = "Initial alpha of the learned run.", DefaultValueFactory = _ => 2.0 };
        var command = new Command("fixed-vs-learned", "Training curves with alpha fixed at several values against alpha learned, same task and initial weights; bar chart of final losses.") { alphas, alpha };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var settings = common.Read(parse);
            var values = ParseList(parse.GetValue(alphas)!, "--alphas");
            foreach (var v in values)
                if (!(v > 0)) throw new ArgumentException($"--alphas: alpha must be > 0, got {Text(v)}.");
            double initial = parse.GetValue(alpha);
            if (!(initial > 0) || !double.IsFinite(initial)) throw new ArgumentException($"--alpha must be finite and > 0 (it is learned through softplus), got {Text(initial)}.");
            var task = new SpikingRegressionTask(settings.Task);
            var runs = new List<AlphaComparisonRun>();
            foreach (var v in values)
            {
                var label = $"alpha = {F(v)}";
                var run = Train(console, label, task, new Sigmoid(v, hyperGradient: settings.HyperGradient), [SurrogateHyperparameter.Fixed("alpha", v)], settings.Training);
                runs.Add(AlphaComparisonRun.Of(label, "fixed", $"constant:{Text(v)}", run));
            }
            var learned = Train(console, "alpha learned", task, new Sigmoid(initial, hyperGradient: settings.HyperGradient), [SurrogateHyperparameter.Learned("alpha", initial)], settings.Training);
            runs.Add(AlphaComparisonRun.Of($"learned (from {F(initial)}, ends {F(learned.FinalHyperparameters["alpha"], "F2")})", "learned", $"learned:{Text(initial)}", learned));
            console.Write(AlphaComparisonRun.Table($"Fixed vs learned alpha, {settings.Training.Steps} steps, same initial weights ({settings.ModeName} alpha gradient)", runs));

            WritePng(settings.Folder, "fixed_vs_learned.png", MetaPlotsA.Curves("Learning curves: fixed vs learned alpha",
                [.. runs.Select(r => new StepSeries(r.Label, r.Losses, Dashed: r.Kind == "learned"))]));
            WritePng(settings.Folder, "final_losses.png", MetaPlotsA.Bars("Final loss (lowest in gold)", [.. runs.Select(r => r.Kind == "learned" ? "learned" : r.Label)], [.. runs.Select(r => r.FinalLoss)]));
            var best = runs.MinBy(r => r.FinalLoss)!.Label;
            WriteResults(console, settings.Folder, new FixedVsLearnedResults(SpikeCountTaskSummary.Of(task), settings.ModeName, settings.Training.Steps, runs, best), "fixed_vs_learned.png", "final_losses.png");
            return 0;
        });
        return command;
    }
}
