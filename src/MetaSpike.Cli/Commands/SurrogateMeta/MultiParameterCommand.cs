using System.CommandLine;
using MetaSpike.Cli.Plotting;
using MetaSpike.MetaLearning;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using Spectre.Console;
using static MetaSpike.Cli.Commands.SurrogateMeta.JointTrainingCli;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>results.json of <c>surrogate-meta multi-parameter</c>.</summary>
internal sealed record MultiParameterResults(SpikeCountTaskSummary Task, string Surrogate, string HyperGradient, int Steps, double InitialAlpha, double InitialBeta,
    double FinalAlpha, double FinalBeta, double InitialLoss, double FinalLoss, IReadOnlyList<double> Losses, IReadOnlyList<double> Alphas,
    IReadOnlyList<double> Betas, IReadOnlyList<double> AlphaGradients, IReadOnlyList<double> BetaGradients, IReadOnlyList<double> FinalCounts);

/// <summary>
/// <c>metaspike surrogate-meta multi-parameter</c>: the LeakyRelu surrogate's two slopes (alpha below the threshold,
/// beta above) learned jointly with the weights on the task of <c>basic</c>, both kept positive by softplus. Writes
/// trajectory.png: the loss, the (alpha, beta) path with start and end markers, and alpha and beta per step.
/// </summary>
internal static class MultiParameterCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var common = new JointTrainingCli("metaspike-surrogate-meta/multi-parameter");
        var alpha = new Option<double>("--alpha") { Description = "Initial LeakyRelu alpha (slope of G below the threshold).", DefaultValueFactory = _ => 0.1 };
        var beta = new Option<double>("--beta") { Description = "Initial LeakyRelu beta (slope of G at and above the threshold).", DefaultValueFactory = _ => 1.0 };
        var command = new Command("multi-parameter", "Learn LeakyRelu's alpha and beta jointly with the weights; loss curve and (alpha, beta) trajectory.") { alpha, beta };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var settings = common.Read(parse);
            double a0 = parse.GetValue(alpha), b0 = parse.GetValue(beta);
            if (!(a0 > 0) || !double.IsFinite(a0)) throw new ArgumentException($"--alpha must be finite and > 0 (it is learned through softplus), got {Text(a0)}.");
            if (!(b0 > 0) || !double.IsFinite(b0)) throw new ArgumentException($"--beta must be finite and > 0 (it is learned through softplus), got {Text(b0)}.");
            var task = new SpikingRegressionTask(settings.Task);
            var surrogate = new LeakyRelu(a0, b0, hyperGradient: settings.HyperGradient);
            var run = Train(console, "alpha, beta learned", task, surrogate,
                [SurrogateHyperparameter.Learned("alpha", a0), SurrogateHyperparameter.Learned("beta", b0)], settings.Training);
            console.Write(StepTable($"LeakyRelu alpha and beta learned with the weights ({settings.ModeName} gradient)", run));
            var losses = run.LossCurve();
            var alphas = run.HyperparameterCurve("alpha");
            var betas = run.HyperparameterCurve("beta");
            console.MarkupLineInterpolated($"loss {losses[0]:F3} -> {run.FinalLoss:F3}; alpha {a0:G4} -> {alphas[^1]:F4}, beta {b0:G4} -> {betas[^1]:F4}");
            WritePng(settings.Folder, "trajectory.png", MetaPlotsA.Trajectory(losses, alphas, betas, "LeakyRelu"));
            var results = new MultiParameterResults(SpikeCountTaskSummary.Of(task), run.Surrogate, settings.ModeName, run.History.Count, a0, b0, alphas[^1], betas[^1],
                losses[0], run.FinalLoss, losses, alphas, betas, [.. run.History.Select(h => h.HyperGradients["alpha"])],
                [.. run.History.Select(h => h.HyperGradients["beta"])], run.FinalCounts);
            WriteResults(console, settings.Folder, results, "trajectory.png");
            return 0;
        });
        return command;
    }
}
