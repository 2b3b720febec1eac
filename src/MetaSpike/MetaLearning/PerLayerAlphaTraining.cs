using System.Diagnostics;
using MetaSpike.Losses;
using MetaSpike.Surrogates;
using MetaSpike.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>Settings of <see cref="PerLayerAlphaTraining"/>: the task, the network and the two optimisers.</summary>
public sealed record PerLayerAlphaOptions
{
    /// <summary>The Poisson pattern task (default 10 classes over 40 channels, 40 training and 40 test draws per class, 30 steps, 30 Hz).</summary>
    public PatternTaskSettings Task { get; init; } = new() { Classes = 10, Channels = 40, TrainPerClass = 40, TestPerClass = 40, TimeSteps = 30, RateHz = 30 };

    /// <summary>Sizes of the spiking layers, one alpha (or one per neuron) each (default three layers of 48).</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [48, 48, 48];

    /// <summary>Scale of the Kaiming-normal initialisation of the hidden layers' weights (default 6).</summary>
    public double WeightScale { get; init; } = 6;

    /// <summary>Starting alpha of the sigmoid surrogate of every layer (default 4, braintools' default).</summary>
    public double InitialAlpha { get; init; } = 4;

    /// <summary>Lower bound of a learned alpha (default 0.01): alpha = minimum + softplus(raw).</summary>
    public double AlphaMinimum { get; init; } = 0.01;

    /// <summary>Learn one alpha per neuron instead of one per layer.</summary>
    public bool PerNeuron { get; init; }

    /// <summary>Training steps (mini-batches; default 300).</summary>
    public int TrainingSteps { get; init; } = 300;

    /// <summary>Samples per mini-batch (default 50).</summary>
    public int BatchSize { get; init; } = 50;

    /// <summary>Adam learning rate of the weights (default 3e-3).</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Adam learning rate of the raw (unconstrained) alphas (default 0.05).</summary>
    public double AlphaLearningRate { get; init; } = 0.05;

    /// <summary>How alpha receives its gradient through the spike (default braintools': dG/dalpha).</summary>
    public HyperGradientMode HyperGradient { get; init; } = HyperGradientMode.BraintoolsCompatible;

    /// <summary>Measure the test accuracy after the first step, every this many steps and after the last (default 20).</summary>
    public int EvaluateEvery { get; init; } = 20;

    /// <summary>Seed of the task, the weights and the batch order; every run of a comparison uses the same.</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Task.Validate();
        Require(Hidden.Count >= 1 && Hidden.All(h => h >= 1), $"Hidden needs at least one layer of at least one neuron, got [{string.Join(", ", Hidden)}].");
        Require(WeightScale > 0 && double.IsFinite(WeightScale), $"WeightScale must be finite and > 0, got {WeightScale}.");
        Require(AlphaMinimum > 0 && double.IsFinite(AlphaMinimum), $"AlphaMinimum must be finite and > 0 (the sigmoid's alpha must stay > 0), got {AlphaMinimum}.");
        Require(InitialAlpha > AlphaMinimum && double.IsFinite(InitialAlpha), $"InitialAlpha must be finite and above AlphaMinimum ({AlphaMinimum}), got {InitialAlpha}.");
        Require(TrainingSteps >= 1, $"TrainingSteps must be >= 1, got {TrainingSteps}.");
        Require(BatchSize >= 1, $"BatchSize must be >= 1, got {BatchSize}.");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"LearningRate must be finite and > 0, got {LearningRate}.");
        Require(AlphaLearningRate > 0 && double.IsFinite(AlphaLearningRate), $"AlphaLearningRate must be finite and > 0, got {AlphaLearningRate}.");
        Require(EvaluateEvery >= 1, $"EvaluateEvery must be >= 1, got {EvaluateEvery}.");
        Require(Enum.IsDefined(HyperGradient), $"unknown hyper-gradient mode {HyperGradient}.");
    }

    private static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException($"PerLayerAlphaOptions: {message}");
    }
}

/// <summary>One layer's alphas at one step: one value, or the spread over its neurons.</summary>
/// <param name="Mean">Mean over the layer's neurons (the value itself for one alpha per layer).</param>
/// <param name="Std">Population standard deviation over the neurons (0 for one alpha per layer).</param>
/// <param name="Min">Smallest value.</param>
/// <param name="Max">Largest value.</param>
public sealed record LayerAlphaStats(double Mean, double Std, double Min, double Max)
{
    /// <summary>The statistics of <paramref name="values"/>.</summary>
    public static LayerAlphaStats Of(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return new(mean, Math.Sqrt(values.Average(v => (v - mean) * (v - mean))), values.Min(), values.Max());
    }
}

/// <summary>One training step.</summary>
/// <param name="Step">Step number, from 1.</param>
/// <param name="Loss">Cross-entropy of the mini-batch.</param>
/// <param name="Accuracy">Accuracy on the mini-batch.</param>
/// <param name="TestAccuracy">Accuracy on the held-out test set after the step, on evaluation steps (the first, every <see cref="PerLayerAlphaOptions.EvaluateEvery"/>-th, the last); else null.</param>
/// <param name="Alphas">Each spiking layer's alphas used in the step.</param>
public sealed record PerLayerRecord(int Step, double Loss, double Accuracy, double? TestAccuracy, IReadOnlyList<LayerAlphaStats> Alphas);

/// <summary>A whole training run.</summary>
/// <param name="Label">"learned" (or "learned per neuron") or "fixed alpha = v".</param>
/// <param name="FixedAlpha">The fixed alpha of a baseline run; null when alphas are learned.</param>
/// <param name="PerNeuron">Whether one alpha per neuron was learned.</param>
/// <param name="History">Every step.</param>
/// <param name="TrainAccuracy">Accuracy on the whole training set at the end.</param>
/// <param name="TestAccuracy">Accuracy on the held-out test set at the end.</param>
/// <param name="FinalAlphas">Each spiking layer's alphas at the end (one value, or one per neuron).</param>
/// <param name="Seconds">Wall-clock training time.</param>
public sealed record PerLayerRun(string Label, double? FixedAlpha, bool PerNeuron, IReadOnlyList<PerLayerRecord> History,
    double TrainAccuracy, double TestAccuracy, IReadOnlyList<IReadOnlyList<double>> FinalAlphas, double Seconds);

/// <summary>
/// Per-layer surrogate meta-learning: a spiking classifier with several LIF layers, each with its own sigmoid
/// surrogate, learns one alpha per layer (or per neuron) jointly with its weights on a Poisson-pattern task. Alphas
/// are <see cref="PositiveParameter"/>s (per neuron: the same softplus map on a raw vector), so they stay positive by
/// construction. Baseline runs train the same network, from the same weights and batches, with alpha fixed.
/// </summary>
public static class PerLayerAlphaTraining
{
    /// <summary>
    /// Trains one network. <paramref name="fixedAlpha"/> null: alphas are learned from
    /// <see cref="PerLayerAlphaOptions.InitialAlpha"/>; otherwise every layer keeps that alpha.
    /// </summary>
    /// <param name="options">The settings (validated).</param>
    /// <param name="fixedAlpha">A fixed alpha for a baseline run, or null.</param>
    /// <param name="onStep">Called after every step with its record (for progress).</param>
    /// <exception cref="ArgumentException">A setting, or the fixed alpha, is out of range.</exception>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite.</exception>
    public static PerLayerRun Train(PerLayerAlphaOptions options, double? fixedAlpha = null, Action<PerLayerRecord>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (fixedAlpha is { } f && !(f > 0 && double.IsFinite(f)))
            throw new ArgumentException(FormattableString.Invariant($"a fixed alpha must be finite and > 0, got {f}."), nameof(fixedAlpha));
        var clock = Stopwatch.StartNew();
        manual_seed(options.Seed);
        using var task = new PatternTask(options.Task, options.Seed);
        var classifier = new PatternClassifier(options.Task.Channels, options.Hidden, options.Task.Classes,
            _ => new Surrogates.Sigmoid(alpha: fixedAlpha ?? options.InitialAlpha, hyperGradient: options.HyperGradient), options.WeightScale);
        var alphas = fixedAlpha is null
            ? options.Hidden.Select(h => new LearnedAlpha(options.InitialAlpha, options.AlphaMinimum, options.PerNeuron ? h : 0)).ToArray()
            : [];
        using var weightOptimizer = Optimizers.Create(classifier.Weights, new OptimizerSettings { LearningRate = options.LearningRate });
        using var alphaOptimizer = alphas.Length == 0 ? null
            : Optimizers.Create(alphas.Select(a => a.Raw), new OptimizerSettings { LearningRate = options.AlphaLearningRate });
        var fixedStats = options.Hidden.Select(_ => new LayerAlphaStats(fixedAlpha ?? 0, 0, fixedAlpha ?? 0, fixedAlpha ?? 0)).ToArray();

        var history = new List<PerLayerRecord>(options.TrainingSteps);
        using var batches = PatternClassifier.Batches((int)task.TrainLabels.shape[0], options.BatchSize, options.Seed).GetEnumerator();
        for (int step = 1; step <= options.TrainingSteps; step++)
        {
            using var scope = NewDisposeScope();
            batches.MoveNext();
            var index = tensor(batches.Current);
            var labels = task.TrainLabels.index_select(0, index);
            var values = alphas.Select(a => a.Value()).ToArray();
            Tensor loss, correct;
            using (Bind(classifier, values))
            {
                var logits = classifier.Logits(task.TrainInputs.index_select(1, index));
                loss = Loss.CrossEntropy(logits, labels);
                correct = logits.detach().argmax(1).eq(labels).sum();
            }
            weightOptimizer.zero_grad();
            alphaOptimizer?.zero_grad();
            loss.backward();
            // One synchronisation: the loss, the batch's correct count and every alpha used in the step.
            var read = cat([stack([loss.detach().to_type(ScalarType.Float64), correct.to_type(ScalarType.Float64)]),
                .. values.Select(v => v.detach().to_type(ScalarType.Float64).reshape(-1))]).data<double>().ToArray();
            if (!double.IsFinite(read[0]))
                throw new InvalidOperationException($"per-layer alpha training: the loss became {read[0]} at step {step}.");
            weightOptimizer.step();
            alphaOptimizer?.step();

            double? test = step == 1 || step % options.EvaluateEvery == 0 || step == options.TrainingSteps
                ? Accuracy(classifier, Values(alphas), task.TestInputs, task.TestLabels) : null;
            var stats = alphas.Length == 0 ? fixedStats : Split(read[2..], values).Select(LayerAlphaStats.Of).ToArray();
            var record = new PerLayerRecord(step, read[0], read[1] / labels.shape[0], test, stats);
            history.Add(record);
            onStep?.Invoke(record);
        }

        IReadOnlyList<IReadOnlyList<double>> finals;
        double trainAccuracy;
        using (var scope = NewDisposeScope())
        {
            var values = Values(alphas);
            finals = alphas.Length == 0
                ? options.Hidden.Select(_ => (IReadOnlyList<double>)[fixedAlpha!.Value]).ToArray()
                : Split(cat(values.Select(v => v.to_type(ScalarType.Float64).reshape(-1)).ToArray()).data<double>().ToArray(), values);
            trainAccuracy = Accuracy(classifier, values, task.TrainInputs, task.TrainLabels);
        }
        var label = fixedAlpha is null ? options.PerNeuron ? "learned per neuron" : "learned per layer" : FormattableString.Invariant($"fixed alpha = {fixedAlpha:G4}");
        var run = new PerLayerRun(label, fixedAlpha, fixedAlpha is null && options.PerNeuron, history,
            trainAccuracy, history[^1].TestAccuracy!.Value, finals, clock.Elapsed.TotalSeconds);
        classifier.Network.Dispose();
        foreach (var a in alphas) a.Raw.Dispose();
        return run;
    }

    /// <summary>
    /// The comparison: the learned run, then one baseline per fixed alpha, all from the same seed (same task,
    /// initial weights and batches).
    /// </summary>
    /// <param name="options">The settings of every run.</param>
    /// <param name="fixedAlphas">Alphas of the baseline runs.</param>
    /// <param name="onStep">Called with the run's index and each step's record.</param>
    public static IReadOnlyList<PerLayerRun> Compare(PerLayerAlphaOptions options, IReadOnlyList<double> fixedAlphas, Action<int, PerLayerRecord>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(fixedAlphas);
        var runs = new List<PerLayerRun>(fixedAlphas.Count + 1);
        double?[] settings = [null, .. fixedAlphas.Select(a => (double?)a)];
        for (int r = 0; r < settings.Length; r++)
        {
            int index = r;
            runs.Add(Train(options, settings[r], onStep is null ? null : record => onStep(index, record)));
        }
        return runs;
    }

    private static Tensor[] Values(LearnedAlpha[] alphas)
    {
        using var _ = no_grad();
        return alphas.Select(a => a.Value()).ToArray();
    }

    /// <summary>Cuts the flat <paramref name="flat"/> into one list per layer, as long as each layer's alpha tensor.</summary>
    private static IReadOnlyList<double>[] Split(double[] flat, Tensor[] values)
    {
        var lists = new IReadOnlyList<double>[values.Length];
        for (int i = 0, at = 0; i < values.Length; at += (int)values[i].numel(), i++)
            lists[i] = flat[at..(at + (int)values[i].numel())];
        return lists;
    }

    private static double Accuracy(PatternClassifier classifier, Tensor[] values, Tensor inputs, Tensor labels)
    {
        using var _ = Bind(classifier, values);
        return classifier.Accuracy(inputs, labels);
    }

    /// <summary>Layer i's sigmoid reads its alpha from <paramref name="values"/>[i] (none bound for a fixed-alpha run).</summary>
    private static SurrogateBinding Bind(PatternClassifier classifier, Tensor[] values)
    {
        var binding = new SurrogateBinding();
        for (int i = 0; i < values.Length; i++)
            binding.Add(classifier.SpikingLayers[i].Surrogate, new Dictionary<string, Tensor> { ["alpha"] = values[i] });
        return binding;
    }

    /// <summary>One layer's learned alpha: a <see cref="PositiveParameter"/>, or per neuron the same map on a raw vector.</summary>
    private sealed class LearnedAlpha
    {
        private readonly PositiveParameter? _shared;
        private readonly double _minimum;

        public LearnedAlpha(double initial, double minimum, long neurons)
        {
            _minimum = minimum;
            if (neurons == 0)
            {
                _shared = new PositiveParameter(initial, minimum);
                Raw = (Parameter)_shared.Raw;
            }
            else
            {
                Raw = new Parameter(full(neurons, PositiveParameter.InverseSoftplus(initial - minimum), float32), requires_grad: true);
            }
        }

        public Parameter Raw { get; }

        public Tensor Value() => _shared?.Value() ?? nn.functional.softplus(Raw) + _minimum;
    }
}
