using System.CommandLine;
using MetaSpike.Cli.Plotting;
using MetaSpike.MetaLearning;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using Spectre.Console;
using static MetaSpike.Cli.Commands.SurrogateMeta.JointTrainingCli;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>results.json of <c>surrogate-meta schedules</c>.</summary>
internal sealed record SchedulesResults(SpikeCountTaskSummary Task, string HyperGradient, int Steps, IReadOnlyList<AlphaComparisonRun> Runs, string Best);

/// <summary>
/// <c>metaspike surrogate-meta schedules</c>: alpha annealed by ready-made schedules (linear, cosine, exponential, by
/// default from a wide surrogate, alpha 1, to a narrow one, alpha 8) against alpha learned, on the task of
/// <c>basic</c> from the same initial weights. Writes schedules.png (alpha and loss per step) and a table of final losses.
/// </summary>
internal static class SchedulesCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var common = new JointTrainingCli("metaspike-surrogate-meta/schedules");
        var schedules = new Option<string>("--schedules")
        {
            Description = $"Comma-separated schedules, one run each ({HyperparameterSchedule.Syntax}).",
            DefaultValueFactory = _ => "linear:1:8,cosine:1:8,exponential:1:8",
        };
        var alpha = new Option<double>("--alpha") { Description = "Initial alpha of the learned run.", DefaultValueFactory = _ => 2.0 };
        var command = new Command("schedules", "Anneal alpha with linear, cosine and exponential schedules and compare with learned alpha; curves and a table of final losses.") { schedules, alpha };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var settings = common.Read(parse);
            var parsed = parse.GetValue(schedules)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(HyperparameterSchedule.Parse).ToArray();
            if (parsed.Length == 0) throw new ArgumentException("--schedules: give at least one schedule.");
            int steps = settings.Training.Steps;
            foreach (var s in parsed)
            {
                double lowest = Math.Min(s.Start, s.End);
                if (!(lowest > 0)) throw new ArgumentException($"--schedules: '{s}' reaches alpha = {Text(lowest)}; alpha must stay > 0.");
            }
            double initial = parse.GetValue(alpha);
            if (!(initial > 0) || !double.IsFinite(initial)) throw new ArgumentException($"--alpha must be finite and > 0 (it is learned through softplus), got {Text(initial)}.");
            var task = new SpikingRegressionTask(settings.Task);
            var runs = new List<AlphaComparisonRun>();
            foreach (var s in parsed)
            {
                var label = s.ToString();
                var run = Train(console, label, task, new Sigmoid(s.Start, hyperGradient: settings.HyperGradient), [SurrogateHyperparameter.Scheduled("alpha", s)], settings.Training);
                runs.Add(AlphaComparisonRun.Of(label, "schedule", s.ToString(), run));
            }
            var learned = Train(console, "alpha learned", task, new Sigmoid(initial, hyperGradient: settings.HyperGradient), [SurrogateHyperparameter.Learned("alpha", initial)], settings.Training);
            runs.Add(AlphaComparisonRun.Of($"learned (from {F(initial)})", "learned", $"learned:{Text(initial)}", learned));
            console.Write(AlphaComparisonRun.Table($"alpha schedules vs learned alpha, {steps} steps, same initial weights ({settings.ModeName} alpha gradient)", runs));

            WritePng(settings.Folder, "schedules.png", MetaPlotsA.Schedules(
                [.. runs.Select(r => new StepSeries(r.Label, r.Alphas, Dashed: r.Kind == "learned"))],
                [.. runs.Select(r => new StepSeries(r.Label, r.Losses, Dashed: r.Kind == "learned"))]));
            var best = runs.MinBy(r => r.FinalLoss)!.Label;
            WriteResults(console, settings.Folder, new SchedulesResults(SpikeCountTaskSummary.Of(task), settings.ModeName, steps, runs, best), "schedules.png");
            return 0;
        });
        return command;
    }
}
