using MetaSpike.Encoders;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.IO;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using ScottPlot;
using Spectre.Console;
using TorchSharp;
using static MetaSpike.Cli.Commands.SurrogateMeta.BilevelTraining;
using static TorchSharp.torch;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>
/// <c>metaspike surrogate-meta bilevel</c>: bi-level meta-learning of the surrogate's alpha (the validation loss after K
/// unrolled, differentiable SGD steps of the weights, differentiated through the unroll) against joint training
/// (alpha and weights together on the training loss) and a fixed alpha, on one generated spike-pattern task.
/// </summary>
internal static class BilevelCommand
{
    /// <summary>The generated task: Poisson spike patterns, one rate template per class, per-sample rate jitter.</summary>
    private sealed record PatternTask(int Inputs, int Classes, int Steps, (Tensor X, Tensor Y) Train, (Tensor X, Tensor Y) Validation, (Tensor X, Tensor Y) Test);

    private sealed record RunResult(string Method, double InitialAlpha, double FinalAlpha, double FinalValidationLoss, double FinalValidationAccuracy,
        double BestValidationLoss, double TestLoss, double TestAccuracy, double Seconds, IReadOnlyList<CurvePoint> Curve);

    public static Command Create(IAnsiConsole console)
    {
        var steps = new Option<int>("--steps") { Description = "Outer steps; each is K weight updates (every method makes steps x K updates).", DefaultValueFactory = _ => 60 };
        var k = new Option<int>("--k") { Description = "K: unrolled (differentiable) SGD steps per hypergradient.", DefaultValueFactory = _ => 5 };
        var lr = new Option<double>("--lr") { Description = "SGD step size of the weights (inner learning rate).", DefaultValueFactory = _ => 0.5 };
        var alphaLr = new Option<double>("--alpha-lr") { Description = "Adam step size of alpha's unconstrained parameter (alpha = 0.1 + softplus(raw)).", DefaultValueFactory = _ => 0.1 };
        var alpha = new Option<double>("--alpha")
        {
            Description = "Initial (and, for the fixed run, constant) Sigmoid surrogate steepness alpha; the default 0.5 is deliberately flat, so that choosing alpha matters.",
            DefaultValueFactory = _ => 0.5,
        };
        var hidden = new Option<int>("--hidden") { Description = "LIF neurons in the hidden layer.", DefaultValueFactory = _ => 64 };
        var samples = new Option<int>("--samples") { Description = "Samples in each of the training and validation sets (the test set has twice as many).", DefaultValueFactory = _ => 200 };
        var seed = new Option<long>("--seed") { Description = "Seed of the task, the weights and the training.", DefaultValueFactory = _ => 0 };
        var threads = ThreadsOption();
        var out_ = new Option<string>("--out") { Description = "Folder for bilevel.png and results.json.", DefaultValueFactory = _ => "metaspike-surrogate-meta/bilevel" };
        var command = new Command("bilevel",
            "Bi-level meta-learning of alpha: minimise the validation loss after K unrolled SGD steps (hypergradient through the unroll), vs joint training and a fixed alpha.")
        {
            steps, k, lr, alphaLr, alpha, hidden, samples, seed, threads, out_,
        };
        command.SetAction(parse =>
        {
            int outerSteps = parse.GetValue(steps), unroll = parse.GetValue(k), hiddenSize = parse.GetValue(hidden), sampleCount = parse.GetValue(samples);
            double learningRate = parse.GetValue(lr), alphaLearningRate = parse.GetValue(alphaLr), initialAlpha = parse.GetValue(alpha);
            long seedValue = parse.GetValue(seed);
            if (outerSteps < 1) throw new ArgumentException($"--steps must be >= 1, got {outerSteps}.");
            if (unroll < 1) throw new ArgumentException($"--k must be >= 1, got {unroll}.");
            if (hiddenSize < 1) throw new ArgumentException($"--hidden must be >= 1, got {hiddenSize}.");
            if (sampleCount < 4) throw new ArgumentException($"--samples must be >= 4 (one per class), got {sampleCount}.");
            RequirePositive("--lr", learningRate);
            RequirePositive("--alpha-lr", alphaLearningRate);
            RequireInitialAlpha(initialAlpha);
            TorchRuntime.EnsureLoaded();
            int threadCount = ApplyThreads(parse.GetValue(threads));
            var folder = parse.GetValue(out_)!;
            Directory.CreateDirectory(folder);

            torch.manual_seed(seedValue);
            var task = MakeTask(inputs: 40, classes: 4, steps: 30, sampleCount);
            console.MarkupLineInterpolated($"task: {task.Classes} classes of Poisson spike patterns, {task.Inputs} inputs x {task.Steps} steps; {sampleCount} training, {sampleCount} validation, {2 * sampleCount} test samples");
            console.MarkupLineInterpolated($"network: {task.Inputs} -> {hiddenSize} LIF (Sigmoid surrogate, alpha) -> {task.Classes} leaky readout; SGD lr {learningRate} on the full training set; {outerSteps} outer steps x K = {unroll} = {outerSteps * unroll} weight updates; {threadCount} thread(s)");

            var runs = new List<RunResult>();
            console.Progress().AutoClear(true).Start(ctx =>
            {
                foreach (var method in new[] { Method.Fixed, Method.Joint, Method.Bilevel })
                {
                    var bar = ctx.AddTask(method.ToString().ToLowerInvariant(), maxValue: outerSteps);
                    runs.Add(Run(task, method, hiddenSize, seedValue, new Settings
                    {
                        Method = method, OuterSteps = outerSteps, UnrollSteps = unroll, LearningRate = learningRate,
                        AlphaLearningRate = alphaLearningRate, InitialAlpha = initialAlpha,
                    }, done => bar.Value = done));
                }
            });
            console.Write(Table(runs, unroll));

            var png = Path.Combine(folder, "bilevel.png");
            var json = Path.Combine(folder, "results.json");
            AtomicFile.WriteAllBytes(png, Figure(runs, unroll));
            AtomicFile.WriteAllText(json, JsonSerializer.Serialize(new
            {
                scenario = "bilevel",
                task = new { task.Inputs, task.Classes, task.Steps, TrainSamples = sampleCount, ValidationSamples = sampleCount, TestSamples = 2 * sampleCount },
                settings = new { OuterSteps = outerSteps, K = unroll, WeightUpdates = outerSteps * unroll, LearningRate = learningRate, AlphaLearningRate = alphaLearningRate, InitialAlpha = initialAlpha, Hidden = hiddenSize, Seed = seedValue },
                runs,
            }, JsonOptions.Indented));
            console.MarkupLineInterpolated($"wrote [green]{png}[/] and [green]{json}[/]");
            return 0;
        });
        return command;
    }

    /// <summary>Class c fires input i with probability template[c, i] per step, jittered by ±25 % per sample.</summary>
    private static PatternTask MakeTask(int inputs, int classes, int steps, int samples)
    {
        var shared = rand(1, inputs) * 0.2 + 0.05;
        var templates = (shared + (rand(classes, inputs) - 0.5) * 0.1).clamp(0.01, 0.5);
        (Tensor, Tensor) Draw(int n)
        {
            var labels = arange(n, dtype: ScalarType.Int64) % classes;
            var rates = templates.index_select(0, labels) * (1 + (rand(n, inputs) - 0.5) * 0.5);
            // Per-step probabilities as rates at dt = 1 ms.
            return (PoissonEncoder.FromRates(rates * 1000.0, steps, 1.0), labels);
        }
        return new PatternTask(inputs, classes, steps, Draw(samples), Draw(samples), Draw(2 * samples));
    }

    private static RunResult Run(PatternTask task, Method method, int hidden, long seed, Settings settings, Action<int> progress)
    {
        // The same initial weights for every method.
        torch.manual_seed(seed + 1);
        var model = new Classifier(task.Inputs, hidden, task.Classes, method == Method.Joint ? HyperGradientMode.BraintoolsCompatible : HyperGradientMode.None);
        var clock = Stopwatch.StartNew();
        var curve = Train(model, settings, _ => task.Train, _ => task.Validation,
            a => model.Evaluate(task.Validation.X, task.Validation.Y, a), progress);
        var seconds = clock.Elapsed.TotalSeconds;
        var last = curve[^1];
        var (testLoss, testAccuracy) = model.Evaluate(task.Test.X, task.Test.Y, last.Alpha);
        return new RunResult(method.ToString().ToLowerInvariant(), settings.InitialAlpha, last.Alpha, last.ValidationLoss, last.ValidationAccuracy,
            curve.Min(p => p.ValidationLoss), testLoss, testAccuracy, seconds, curve);
    }

    private static Table Table(IReadOnlyList<RunResult> runs, int unroll)
    {
        var table = new Table().Title("Fixed, joint and bi-level alpha on the same task (measured)")
            .Caption($"bi-level: Adam on alpha with d L_val(w_K) / d alpha through K = {unroll} unrolled SGD steps; joint: Adam on alpha with d L_train / d alpha each step")
            .AddColumn("method").AddColumn(new TableColumn("alpha start").RightAligned()).AddColumn(new TableColumn("alpha end").RightAligned())
            .AddColumn(new TableColumn("val loss").RightAligned()).AddColumn(new TableColumn("best val loss").RightAligned())
            .AddColumn(new TableColumn("val acc").RightAligned()).AddColumn(new TableColumn("test loss").RightAligned())
            .AddColumn(new TableColumn("test acc").RightAligned()).AddColumn(new TableColumn("time (s)").RightAligned());
        foreach (var r in runs)
            table.AddRow(r.Method, Format(r.InitialAlpha, "F2"), Format(r.FinalAlpha, "F3"), Format(r.FinalValidationLoss, "F4"), Format(r.BestValidationLoss, "F4"),
                Format(r.FinalValidationAccuracy, "F3"), Format(r.TestLoss, "F4"), Format(r.TestAccuracy, "F3"), Format(r.Seconds, "F1"));
        return table;
    }

    private static byte[] Figure(IReadOnlyList<RunResult> runs, int unroll)
    {
        MetaPlotsC.PlotSeries Series(RunResult r, Func<CurvePoint, double> y) =>
            new(r.Method, r.Curve.Select(p => (double)p.Step).ToArray(), r.Curve.Select(y).ToArray());
        const string x = "weight updates (SGD)";
        return MetaPlotsC.LinePanels(
        [
            new("Validation loss", x, "cross-entropy", runs.Select(r => Series(r, p => p.ValidationLoss)).ToArray()),
            new("Validation accuracy", x, "accuracy", runs.Select(r => Series(r, p => p.ValidationAccuracy)).ToArray(), Alignment.LowerRight),
            new($"Surrogate alpha (bi-level: K = {unroll})", x, "alpha", runs.Select(r => Series(r, p => p.Alpha)).ToArray()),
        ]);
    }
}
