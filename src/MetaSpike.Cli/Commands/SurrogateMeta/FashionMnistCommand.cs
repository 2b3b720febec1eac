using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.Data.Generators;
using MetaSpike.Encoders;
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
/// <c>metaspike surrogate-meta fashion-mnist</c>: an SNN image classifier (784 -> LIF -> 10 leaky readout) on Fashion-MNIST
/// (or, offline, on generated shape images), rate- or latency-coded, trained with a fixed, a jointly learnt and a
/// bi-level learnt surrogate alpha, compared on test accuracy over several seeds.
/// </summary>
internal static class FashionMnistCommand
{
    private const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Images as intensities [N, pixels] in [0, 1] and labels [N] (int64).</summary>
    private sealed record ImageSet(Tensor Images, Tensor Labels)
    {
        public long Count => Labels.shape[0];
    }

    private sealed record DataSets(string Name, string Source, IReadOnlyList<string> ClassNames, int Pixels, ImageSet Train, ImageSet Validation, ImageSet Test);

    private sealed record RunResult(string Method, long Seed, double TestAccuracy, double TestLoss, double FinalAlpha, double FinalValidationAccuracy,
        double Seconds, IReadOnlyList<CurvePoint> Curve);

    private sealed record MethodSummary(string Method, double TestAccuracyMean, double TestAccuracyStd, IReadOnlyList<double> TestAccuracies,
        double FinalAlphaMean, double FinalAlphaStd, double SecondsMean);

    public static Command Create(IAnsiConsole console)
    {
        var data = new Option<string?>("--data") { Description = $"Fashion-MNIST IDX folder (train-/t10k-images-idx3-ubyte[.gz], ...labels-idx1-ubyte[.gz]); Debian's dataset-fashion-mnist installs it to {DebianFolder}. Without it: generated shape images (offline)." };
        var coding = new Option<string>("--coding") { Description = "rate (Bernoulli per step with probability = intensity) or latency (one spike at t = (1 - intensity) * T).", DefaultValueFactory = _ => "rate" };
        var timeSteps = new Option<int>("--time-steps") { Description = "T: simulation steps per image (dt = 1 ms).", DefaultValueFactory = _ => 25 };
        var train = new Option<int>("--train") { Description = "Training images used (the first N of the training file), validation split included.", DefaultValueFactory = _ => 6000 };
        var validation = new Option<int>("--validation") { Description = "Images of --train held out as the validation split (bi-level alpha's objective); the weights train on the rest.", DefaultValueFactory = _ => 1000 };
        var test = new Option<int>("--test") { Description = "Test images (the first N of the test file).", DefaultValueFactory = _ => 1000 };
        var hidden = new Option<int>("--hidden") { Description = "LIF neurons in the hidden layer.", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--batch") { Description = "Mini-batch size (training steps and validation batches).", DefaultValueFactory = _ => 100 };
        var steps = new Option<int>("--steps") { Description = "Outer steps per run; each is K weight updates.", DefaultValueFactory = _ => 150 };
        var k = new Option<int>("--k") { Description = "K: unrolled SGD steps per bi-level hypergradient.", DefaultValueFactory = _ => 2 };
        var lr = new Option<double>("--lr") { Description = "SGD step size of the weights (also the unroll's inner learning rate).", DefaultValueFactory = _ => 0.5 };
        var alphaLr = new Option<double>("--alpha-lr") { Description = "Adam step size of alpha's unconstrained parameter.", DefaultValueFactory = _ => 0.1 };
        var alpha = new Option<double>("--alpha") { Description = "Initial (fixed run: constant) Sigmoid surrogate alpha.", DefaultValueFactory = _ => 4.0 };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per method: --seed, --seed + 1, ...", DefaultValueFactory = _ => 3 };
        var seed = new Option<long>("--seed") { Description = "First seed (weights, batches, spike coding).", DefaultValueFactory = _ => 0 };
        var threads = ThreadsOption();
        var out_ = new Option<string>("--out") { Description = "Folder for fashion_mnist.png and results.json.", DefaultValueFactory = _ => "metaspike-surrogate-meta/fashion-mnist" };
        var command = new Command("fashion-mnist",
            "SNN classifier on Fashion-MNIST (or generated images offline): fixed vs jointly learnt vs bi-level learnt surrogate alpha, test accuracy over seeds.")
        {
            data, coding, timeSteps, train, validation, test, hidden, batch, steps, k, lr, alphaLr, alpha, seeds, seed, threads, out_,
        };
        command.SetAction(parse =>
        {
            string codingName = parse.GetValue(coding)!.Trim().ToLowerInvariant();
            if (codingName is not ("rate" or "latency")) throw new ArgumentException($"--coding must be rate or latency, got '{parse.GetValue(coding)}'.");
            int t = parse.GetValue(timeSteps), trainCount = parse.GetValue(train), validationCount = parse.GetValue(validation), testCount = parse.GetValue(test);
            int hiddenSize = parse.GetValue(hidden), batchSize = parse.GetValue(batch), outerSteps = parse.GetValue(steps), unroll = parse.GetValue(k), seedCount = parse.GetValue(seeds);
            double learningRate = parse.GetValue(lr), alphaLearningRate = parse.GetValue(alphaLr), initialAlpha = parse.GetValue(alpha);
            long firstSeed = parse.GetValue(seed);
            RequireAtLeast("--time-steps", t, 1);
            RequireAtLeast("--validation", validationCount, 1);
            RequireAtLeast("--train", trainCount, validationCount + 1);
            RequireAtLeast("--test", testCount, 1);
            RequireAtLeast("--hidden", hiddenSize, 1);
            RequireAtLeast("--batch", batchSize, 1);
            RequireAtLeast("--steps", outerSteps, 1);
            RequireAtLeast("--k", unroll, 1);
            RequireAtLeast("--seeds", seedCount, 1);
            RequirePositive("--lr", learningRate);
            RequirePositive("--alpha-lr", alphaLearningRate);
            RequireInitialAlpha(initialAlpha);
            var folder = parse.GetValue(out_)!;
            var dataFolder = parse.GetValue(data);
            if (dataFolder is not null && !Directory.Exists(dataFolder))
                throw new ArgumentException(
                    $"--data: the folder '{dataFolder}' does not exist. Fashion-MNIST: 'sudo apt-get install dataset-fashion-mnist' installs it to {DebianFolder} " +
                    "(or download the four *-ubyte.gz files of github.com/zalandoresearch/fashion-mnist into a folder); leave out --data to run on generated images.");
            TorchRuntime.EnsureLoaded();
            int threadCount = ApplyThreads(parse.GetValue(threads));
            Directory.CreateDirectory(folder);

            var sets = Load(dataFolder, trainCount, validationCount, testCount);
            console.MarkupLineInterpolated($"data set: [bold]{sets.Name}[/] ({sets.Source}); {sets.Train.Count} training, {sets.Validation.Count} validation, {sets.Test.Count} test images of {sets.Pixels} pixels");
            if (dataFolder is null && Directory.Exists(DebianFolder))
                console.MarkupLineInterpolated($"Fashion-MNIST is installed at {DebianFolder}: add --data {DebianFolder} to use it.");
            console.MarkupLineInterpolated($"network: {sets.Pixels} -> {hiddenSize} LIF (Sigmoid surrogate, alpha) -> {sets.ClassNames.Count} leaky readout, T = {t}, {codingName} coding; SGD lr {learningRate}, batch {batchSize}, {outerSteps} x K = {unroll} = {outerSteps * unroll} updates per run; {seedCount} seed(s); {threadCount} thread(s)");

            Tensor Encode(Tensor images) => codingName == "rate" ? PoissonEncoder.FromRates(images * 1000.0, t, 1.0) : LatencyEncoder.Encode(images, t);
            var methods = new[] { Method.Fixed, Method.Joint, Method.Bilevel };
            var runs = new List<RunResult>();
            console.Progress().AutoClear(true).Start(ctx =>
            {
                for (int s = 0; s < seedCount; s++)
                    foreach (var method in methods)
                    {
                        var bar = ctx.AddTask($"seed {firstSeed + s} {method.ToString().ToLowerInvariant()}", maxValue: outerSteps);
                        runs.Add(Run(sets, Encode, method, firstSeed + s, hiddenSize, batchSize, new Settings
                        {
                            Method = method, OuterSteps = outerSteps, UnrollSteps = unroll, LearningRate = learningRate,
                            AlphaLearningRate = alphaLearningRate, InitialAlpha = initialAlpha, EvaluateEvery = Math.Max(1, outerSteps / 10),
                        }, done => bar.Value = done));
                    }
            });
            var summaries = methods.Select(m => Summarise(m.ToString().ToLowerInvariant(), runs)).ToArray();
            console.Write(Table(summaries, sets.Name, unroll));

            var png = Path.Combine(folder, "fashion_mnist.png");
            var json = Path.Combine(folder, "results.json");
            AtomicFile.WriteAllBytes(png, Figure(summaries, runs, sets.Name));
            AtomicFile.WriteAllText(json, JsonSerializer.Serialize(new
            {
                scenario = "fashion-mnist",
                dataset = new { sets.Name, sets.Source, TrainImages = sets.Train.Count, ValidationImages = sets.Validation.Count, TestImages = sets.Test.Count, sets.ClassNames },
                settings = new
                {
                    Coding = codingName, TimeSteps = t, Hidden = hiddenSize, Batch = batchSize, OuterSteps = outerSteps, K = unroll, WeightUpdates = outerSteps * unroll,
                    LearningRate = learningRate, AlphaLearningRate = alphaLearningRate, InitialAlpha = initialAlpha,
                    Seeds = Enumerable.Range(0, seedCount).Select(s => firstSeed + s).ToArray(), Threads = threadCount,
                },
                methods = summaries,
                runs,
            }, JsonOptions.Indented));
            console.MarkupLineInterpolated($"wrote [green]{png}[/] and [green]{json}[/]");
            return 0;
        });
        return command;
    }

    private static void RequireAtLeast(string option, int value, int minimum)
    {
        if (value < minimum) throw new ArgumentException($"{option} must be >= {minimum}, got {value}.");
    }

    private static DataSets Load(string? folder, int trainCount, int validationCount, int testCount)
    {
        IdxImages trainImages, testImages;
        byte[] trainLabels, testLabels;
        string name, source;
        IReadOnlyList<string> classNames;
        if (folder is null)
        {
            (trainImages, trainLabels) = ShapeImages.Generate(trainCount, seed: 1);
            (testImages, testLabels) = ShapeImages.Generate(testCount, seed: 2);
            (name, source, classNames) = ("generated shape images", "ShapeImages: 10 classes of 28 x 28 shapes with noise, made offline", ShapeImages.ClassNames);
        }
        else
        {
            (trainImages, trainLabels) = IdxFile.ReadFolder(folder, train: true);
            (testImages, testLabels) = IdxFile.ReadFolder(folder, train: false);
            if (trainImages.Count < trainCount) throw new ArgumentException($"--train {trainCount}: the training file in '{folder}' has only {trainImages.Count} images.");
            if (testImages.Count < testCount) throw new ArgumentException($"--test {testCount}: the test file in '{folder}' has only {testImages.Count} images.");
            if (trainLabels.Concat(testLabels).Any(l => l >= SaccadeDataset.FashionMnistClassNames.Count))
                throw new ArgumentException($"'{folder}' has labels above 9; it is not a 10-class (Fashion-)MNIST folder.");
            (name, source, classNames) = ("Fashion-MNIST", Path.GetFullPath(folder), SaccadeDataset.FashionMnistClassNames);
        }
        int pixels = trainImages.Rows * trainImages.Columns;
        if (testImages.Rows * testImages.Columns != pixels)
            throw new ArgumentException($"training images are {trainImages.Rows} x {trainImages.Columns}, test images {testImages.Rows} x {testImages.Columns}.");
        var weightTraining = trainCount - validationCount;
        return new DataSets(name, source, classNames, pixels,
            ToSet(trainImages, trainLabels, 0, weightTraining), ToSet(trainImages, trainLabels, weightTraining, validationCount), ToSet(testImages, testLabels, 0, testCount));
    }

    private static ImageSet ToSet(IdxImages images, byte[] labels, int start, int count)
    {
        int pixels = images.Rows * images.Columns;
        var bytes = images.Pixels.AsSpan(start * pixels, count * pixels).ToArray();
        var intensities = tensor(bytes, [count, pixels]).to_type(ScalarType.Float32) / 255f;
        var classes = tensor(labels.AsSpan(start, count).ToArray().Select(b => (long)b).ToArray(), ScalarType.Int64);
        return new ImageSet(intensities, classes);
    }

    private static RunResult Run(DataSets sets, Func<Tensor, Tensor> encode, Method method, long seed, int hidden, int batch, Settings settings, Action<int> progress)
    {
        torch.manual_seed(seed);
        var model = new Classifier(sets.Pixels, hidden, sets.ClassNames.Count, method == Method.Joint ? HyperGradientMode.BraintoolsCompatible : HyperGradientMode.None);
        var order = new Queue<long>();
        (Tensor, Tensor) TrainBatch(int _)
        {
            // Epochs of a fresh permutation; the unroll and plain steps draw batches the same way.
            var indices = new long[Math.Min(batch, sets.Train.Count)];
            for (int i = 0; i < indices.Length; i++)
            {
                if (order.Count == 0) foreach (var j in randperm(sets.Train.Count).data<long>()) order.Enqueue(j);
                indices[i] = order.Dequeue();
            }
            return Batch(sets.Train, tensor(indices), encode);
        }
        (Tensor, Tensor) ValidationBatch(int _) => Batch(sets.Validation, randperm(sets.Validation.Count).narrow(0, 0, Math.Min(batch, sets.Validation.Count)), encode);
        var clock = Stopwatch.StartNew();
        var curve = Train(model, settings, TrainBatch, ValidationBatch, a => Evaluate(model, sets.Validation, encode, a), progress);
        var seconds = clock.Elapsed.TotalSeconds;
        var (testLoss, testAccuracy) = Evaluate(model, sets.Test, encode, curve[^1].Alpha);
        return new RunResult(method.ToString().ToLowerInvariant(), seed, testAccuracy, testLoss, curve[^1].Alpha, curve[^1].ValidationAccuracy, seconds, curve);
    }

    private static (Tensor Spikes, Tensor Labels) Batch(ImageSet set, Tensor indices, Func<Tensor, Tensor> encode) =>
        (encode(set.Images.index_select(0, indices)), set.Labels.index_select(0, indices));

    /// <summary>Loss and accuracy over a whole set, in chunks that bound the memory of [T, chunk, pixels] spikes.</summary>
    private static (double Loss, double Accuracy) Evaluate(Classifier model, ImageSet set, Func<Tensor, Tensor> encode, double alpha)
    {
        const int chunk = 500;
        double loss = 0, correct = 0;
        for (long start = 0; start < set.Count; start += chunk)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(chunk, set.Count - start);
            var (spikes, labels) = Batch(set, arange(start, start + n, dtype: ScalarType.Int64), encode);
            var (l, a) = model.Evaluate(spikes, labels, alpha);
            loss += l * n;
            correct += a * n;
        }
        return (loss / set.Count, correct / set.Count);
    }

    private static MethodSummary Summarise(string method, IReadOnlyList<RunResult> runs)
    {
        var mine = runs.Where(r => r.Method == method).ToArray();
        var accuracies = mine.Select(r => r.TestAccuracy).ToArray();
        var alphas = mine.Select(r => r.FinalAlpha).ToArray();
        return new MethodSummary(method, accuracies.Average(), Std(accuracies), accuracies, alphas.Average(), Std(alphas), mine.Average(r => r.Seconds));
    }

    /// <summary>Sample standard deviation (n - 1); 0 for a single value.</summary>
    private static double Std(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    private static Table Table(IReadOnlyList<MethodSummary> summaries, string dataName, int unroll)
    {
        var table = new Table().Title($"Test accuracy on {dataName}: fixed vs learnt surrogate alpha (measured)")
            .Caption($"mean ± std over seeds (sample std); bi-level: K = {unroll} unrolled SGD steps, validation split of the training data")
            .AddColumn("method").AddColumn(new TableColumn("test accuracy").RightAligned()).AddColumn(new TableColumn("per seed").RightAligned())
            .AddColumn(new TableColumn("final alpha").RightAligned()).AddColumn(new TableColumn("time per run (s)").RightAligned());
        foreach (var s in summaries)
            table.AddRow(s.Method, $"{Format(s.TestAccuracyMean, "F4")} ± {Format(s.TestAccuracyStd, "F4")}", string.Join(" ", s.TestAccuracies.Select(a => Format(a, "F3"))),
                $"{Format(s.FinalAlphaMean, "F3")} ± {Format(s.FinalAlphaStd, "F3")}", Format(s.SecondsMean, "F1"));
        return table;
    }

    private static byte[] Figure(IReadOnlyList<MethodSummary> summaries, IReadOnlyList<RunResult> runs, string dataName)
    {
        var colour = summaries.Select((s, i) => (s.Method, i)).ToDictionary(p => p.Method, p => p.i);
        MetaPlotsC.PlotSeries[] PerRun(Func<CurvePoint, double> y) => runs.Select(r => new MetaPlotsC.PlotSeries(
            runs.First(o => o.Method == r.Method) == r ? r.Method : "", r.Curve.Select(p => (double)p.Step).ToArray(), r.Curve.Select(y).ToArray(), colour[r.Method])).ToArray();
        const string x = "weight updates (SGD)";
        return MetaPlotsC.BarsAndLines($"Test accuracy, {dataName} (axis zoomed)", "accuracy (mean ± std over seeds)",
            summaries.Select(s => new MetaPlotsC.BarGroup(s.Method, s.TestAccuracyMean, s.TestAccuracyStd, s.TestAccuracies)).ToArray(),
            [
                new("Validation accuracy (each seed)", x, "accuracy", PerRun(p => p.ValidationAccuracy), Alignment.LowerRight),
                new("Surrogate alpha (each seed)", x, "alpha", PerRun(p => p.Alpha)),
            ]);
    }
}
