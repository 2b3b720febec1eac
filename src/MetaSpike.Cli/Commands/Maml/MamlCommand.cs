using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.IO;
using MetaSpike.Maml;
using MetaSpike.Runtime;
using Spectre.Console;

namespace MetaSpike.Cli.Commands.Maml;

/// <summary>Results of <c>metaspike maml</c>, written as JSON.</summary>
internal sealed record MamlResults(string Dataset, string Network, string Algorithm, int Ways, int Shots, int Queries, int Iterations, bool Completed,
    int BestIteration, double BestValidationAccuracy, double TestMean, double TestStd, IReadOnlyList<double> TestTrials, double TestBeforeAdaptation,
    IReadOnlyList<SweepPoint> InnerStepsSweep, IReadOnlyList<CurvePoint> Curve, double TrainingSeconds, string Configuration);

/// <summary>One point of a sweep, as JSON.</summary>
internal sealed record SweepPoint(double Setting, double Mean, double Std);

/// <summary>
/// <c>metaspike maml</c>: meta-trains an SNN with MAML (or first-order MAML / Reptile) on N-way K-shot tasks, validates
/// periodically, keeps the best parameters, and reports meta-test accuracy as mean ± std over trials. With no
/// arguments: the built-in glyph dataset, 5-way 1-shot, the paper's conv SNN at half width. <c>--experiment</c>
/// runs one of the paper's experiments instead (see <see cref="MamlExperiments"/>).
/// </summary>
internal static class MamlCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var o = new MamlOptions();
        var command = new Command("maml", "Meta-learn an SNN for N-way K-shot event-based tasks (Stewart & Neftci 2022): MAML, first-order MAML, Reptile, and the paper's experiments.");
        o.AddTo(command);
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var config = o.Read(parse);
            config.Validate();
            SurrogateMeta.BilevelTraining.ApplyThreads(parse.GetValue(o.Threads));
            Directory.CreateDirectory(config.Out);
            using var interrupt = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupt.Cancel(); };
            Console.CancelKeyPress += onCancel;
            try
            {
                return config.Experiment is { } name
                    ? MamlExperiments.Run(name, console, config, interrupt.Token)
                    : MainJob(console, config, interrupt.Token);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return command;
    }

    /// <summary>Train, validate, test, sweep the inner steps at test time, write figures and results.json.</summary>
    private static int MainJob(IAnsiConsole console, MamlConfig config, CancellationToken cancellation)
    {
        console.MarkupLineInterpolated($"[bold]{config.Algorithm}[/] on [bold]{config.Dataset}[/], {config.Ways}-way {config.Shots}-shot, {config.Queries} queries per class, {config.Iterations} meta-iterations");
        var trained = MamlTraining.Train(console, config, Path.Combine(config.Out, "run"), config.Algorithm.ToString(), cancellation);
        if (!trained.Outcome.Completed)
        {
            console.MarkupLineInterpolated($"[yellow]stopped[/] at meta-iteration {trained.Learner.Iteration}; the checkpoint is saved: run the same command again to continue.");
            return 130;
        }
        console.MarkupLineInterpolated($"network: {trained.Learner.Network}");
        int testSteps = config.TestInnerSteps ?? config.Inner.Steps;
        var evaluated = MamlTraining.Sweep(console, config, trained.Learner, trained.Loader, "meta-test and inner-steps sweep", [testSteps, .. config.Sweep]);
        var test = evaluated[0];
        var sweep = config.Sweep.Select((n, j) => ((double)n, evaluated[j + 1])).ToList();

        var table = new Table().Title($"Meta-test accuracy, {config.Ways}-way {config.Shots}-shot (measured; mean ± std over {config.Trials} trials of {config.TasksPerTrial} tasks)")
            .AddColumn("inner steps at test").AddColumn(new TableColumn("accuracy").RightAligned());
        if (!config.Sweep.Contains(0)) table.AddRow("0 (no adaptation)", Percent(test.MeanBefore));
        foreach (var (n, r) in sweep) table.AddRow(n.ToString(CultureInfo.InvariantCulture), r.ToString());
        console.Write(table);
        console.MarkupLineInterpolated($"[bold]meta-test accuracy: {test}[/] ({test.InnerSteps} inner step(s); best validation {trained.Outcome.BestValidationAccuracy:P1} at meta-iteration {trained.Outcome.BestIteration}; training {trained.Seconds:F0} s)");

        double chance = 1.0 / config.Ways;
        var curvePng = Path.Combine(config.Out, "accuracy.png");
        var sweepPng = Path.Combine(config.Out, "inner_steps.png");
        AtomicFile.WriteAllBytes(curvePng, MamlPlots.LearningCurve($"{config.Algorithm} on {config.Dataset}, {config.Ways}-way {config.Shots}-shot", trained.Outcome.Curve, chance));
        AtomicFile.WriteAllBytes(sweepPng, MamlPlots.Sweep("Inner steps at test time (Stewart & Neftci Fig. 3)", "inner SGD steps at test time", sweep, chance));
        var results = new MamlResults(config.Dataset, trained.Learner.Network.ToString(), config.Algorithm.ToString(), config.Ways, config.Shots, config.Queries,
            trained.Learner.Iteration, trained.Outcome.Completed, trained.Outcome.BestIteration, trained.Outcome.BestValidationAccuracy, test.Mean, test.Std,
            test.TrialAccuracies, test.MeanBefore, sweep.Select(s => new SweepPoint(s.Item1, s.Item2.Mean, s.Item2.Std)).ToArray(), trained.Outcome.Curve,
            trained.Seconds, Describe(config));
        var json = Path.Combine(config.Out, "results.json");
        AtomicFile.WriteAllText(json, JsonSerializer.Serialize(results, JsonOptions.Indented));
        console.MarkupLineInterpolated($"wrote [green]{curvePng}[/], [green]{sweepPng}[/], [green]{json}[/]; checkpoints in {Path.Combine(config.Out, "run")}");
        return 0;
    }

    /// <summary>The configuration in one line, for tables and JSON.</summary>
    public static string Describe(MamlConfig c) => string.Create(CultureInfo.InvariantCulture,
        $"{c.Algorithm}, {c.Network} [{string.Join(",", c.Filters ?? MamlSetup.DefaultFilters(c))}], {c.Ways}-way {c.Shots}-shot, {c.Queries} queries, " +
        $"inner {c.Inner.Steps} x lr {c.Inner.LearningRate} ({c.Inner.RateKind}), outer Adam {c.OuterLr} cosine to /50, meta-batch {c.MetaBatch}, " +
        $"{c.Iterations} iterations, T={c.TimeSteps?.ToString(CultureInfo.InvariantCulture) ?? "default"}, gain {c.Gain}, init rate {c.InitRate}, seed {c.Seed}{(c.Fused ? ", fused kernels" : "")}");

    public static string Percent(double x) => double.IsNaN(x) ? "—" : (100 * x).ToString("F1", CultureInfo.InvariantCulture) + " %";
}
