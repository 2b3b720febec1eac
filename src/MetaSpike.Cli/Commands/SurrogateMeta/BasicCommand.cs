using System.CommandLine;
using MetaSpike.Cli.Plotting;
using MetaSpike.MetaLearning;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using Spectre.Console;
using static MetaSpike.Cli.Commands.SurrogateMeta.JointTrainingCli;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>results.json of <c>surrogate-meta basic</c>.</summary>
internal sealed record BasicResults(SpikeCountTaskSummary Task, string Surrogate, string HyperGradient, int Steps, double InitialAlpha, double FinalAlpha,
    double InitialLoss, double FinalLoss, IReadOnlyList<double> Losses, IReadOnlyList<double> Alphas, IReadOnlyList<double> AlphaGradients,
    IReadOnlyList<double> WeightNorms, IReadOnlyList<double> FinalCounts, IReadOnlyList<double> Targets);

/// <summary>
/// <c>metaspike surrogate-meta basic</c>: the tutorial's basic meta-learning loop, working. A LIF neuron with 20
/// Poisson inputs learns a target spike count per input pattern; its weights and the Sigmoid surrogate's alpha are
/// updated together each step, alpha through softplus so it stays positive. Writes basic.png (loss, alpha, |w|).
/// </summary>
internal static class BasicCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var common = new JointTrainingCli("metaspike-surrogate-meta/basic");
        var alpha = new Option<double>("--alpha") { Description = "Initial alpha of the Sigmoid surrogate (learned).", DefaultValueFactory = _ => 2.0 };
        var command = new Command("basic", "Learn a LIF neuron's weights and the Sigmoid surrogate's alpha jointly on a spike-count task; loss, alpha and |w| per step.") { alpha };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var settings = common.Read(parse);
            double initial = parse.GetValue(alpha);
            if (!(initial > 0) || !double.IsFinite(initial)) throw new ArgumentException($"--alpha must be finite and > 0 (it is learned through softplus), got {Text(initial)}.");
            var task = new SpikingRegressionTask(settings.Task);
            var surrogate = new Sigmoid(initial, hyperGradient: settings.HyperGradient);
            var run = Train(console, "alpha learned", task, surrogate, [SurrogateHyperparameter.Learned("alpha", initial)], settings.Training);
            console.Write(StepTable($"Joint learning of weights and alpha ({settings.ModeName} alpha gradient)", run));

            var losses = run.LossCurve();
            var alphas = run.HyperparameterCurve("alpha");
            console.MarkupLineInterpolated($"loss {losses[0]:F3} -> {run.FinalLoss:F3} ({run.FinalLoss / losses[0]:P1} of the initial); alpha {initial:G4} -> {run.FinalHyperparameters["alpha"]:F4}");
            console.MarkupLineInterpolated($"spike counts: {string.Join(" ", run.FinalCounts.Select(c => F(c)))}; targets: {string.Join(" ", run.Targets.Select(c => F(c)))}");
            WritePng(settings.Folder, "basic.png", MetaPlotsA.BasicTraining(losses, alphas, run.WeightNorms()));
            var results = new BasicResults(SpikeCountTaskSummary.Of(task), run.Surrogate, settings.ModeName, run.History.Count, initial, run.FinalHyperparameters["alpha"],
                losses[0], run.FinalLoss, losses, alphas, [.. run.History.Select(h => h.HyperGradients["alpha"])], run.WeightNorms(), run.FinalCounts, run.Targets);
            WriteResults(console, settings.Folder, results, "basic.png");
            return 0;
        });
        return command;
    }
}
