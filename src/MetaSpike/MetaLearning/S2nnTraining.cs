using System.Diagnostics;
using MetaSpike.Losses;
using MetaSpike.Surrogates;
using MetaSpike.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>Where S2NN's three hyperparameters start.</summary>
/// <param name="Name">A short name for tables and legends.</param>
/// <param name="Alpha">Starting alpha (&gt; 0).</param>
/// <param name="Beta">Starting beta (&gt; 0).</param>
/// <param name="Epsilon">Starting epsilon (&gt; 0 here; its domain is &gt;= 0).</param>
public sealed record S2nnStart(string Name, double Alpha, double Beta, double Epsilon)
{
    /// <summary>braintools' defaults: alpha 4, beta 1, epsilon 1e-8.</summary>
    public static S2nnStart Default { get; } = new("default", 4.0, 1.0, 1e-8);

    /// <summary>Two extreme corners: alpha 1e-3 with beta 1e3, and alpha 1e3 with beta 1e-3, both with epsilon 1e-12.</summary>
    public static IReadOnlyList<S2nnStart> Extreme { get; } =
    [
        new("tiny alpha, huge beta", 1e-3, 1e3, 1e-12),
        new("huge alpha, tiny beta", 1e3, 1e-3, 1e-12),
    ];
}

/// <summary>Settings of <see cref="S2nnTraining"/>.</summary>
public sealed record S2nnOptions
{
    /// <summary>The Poisson pattern task (default 3 classes over 20 channels, 30 training and 30 test draws per class, 25 steps, 80 Hz).</summary>
    public PatternTaskSettings Task { get; init; } = new() { Classes = 3, Channels = 20, TrainPerClass = 30, TestPerClass = 30, TimeSteps = 25, RateHz = 80 };

    /// <summary>Sizes of the spiking layers (default one layer of 32); all share alpha, beta and epsilon.</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [32];

    /// <summary>Scale of the Kaiming-normal initialisation of the hidden layers' weights (default 6).</summary>
    public double WeightScale { get; init; } = 6;

    /// <summary>Training steps (default 1000).</summary>
    public int TrainingSteps { get; init; } = 1000;

    /// <summary>Samples per mini-batch (default 30).</summary>
    public int BatchSize { get; init; } = 30;

    /// <summary>Adam learning rate of the weights (default 3e-3).</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Adam learning rate of the three raw (unconstrained) hyperparameters (default 0.02).</summary>
    public double HyperLearningRate { get; init; } = 0.02;

    /// <summary>
    /// How the hyperparameters receive their gradient (default straight-through, dF/dtheta: epsilon appears only in
    /// S2NN's original function F, so under braintools' rule, dG/dtheta, its gradient is exactly zero).
    /// </summary>
    public HyperGradientMode HyperGradient { get; init; } = HyperGradientMode.StraightThrough;

    /// <summary>Lower bound of alpha and beta (default 1e-6), never reached: value = minimum + softplus(raw).</summary>
    public double Minimum { get; init; } = 1e-6;

    /// <summary>Measure the test accuracy after the first step, every this many steps and after the last (default 50).</summary>
    public int EvaluateEvery { get; init; } = 50;

    /// <summary>Seed of the task, the weights and the batch order.</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Task.Validate();
        Require(Hidden.Count >= 1 && Hidden.All(h => h >= 1), $"Hidden needs at least one layer of at least one neuron, got [{string.Join(", ", Hidden)}].");
        Require(WeightScale > 0 && double.IsFinite(WeightScale), $"WeightScale must be finite and > 0, got {WeightScale}.");
        Require(TrainingSteps >= 1, $"TrainingSteps must be >= 1, got {TrainingSteps}.");
        Require(BatchSize >= 1, $"BatchSize must be >= 1, got {BatchSize}.");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"LearningRate must be finite and > 0, got {LearningRate}.");
        Require(HyperLearningRate > 0 && double.IsFinite(HyperLearningRate), $"HyperLearningRate must be finite and > 0, got {HyperLearningRate}.");
        Require(Minimum > 0 && double.IsFinite(Minimum), $"Minimum must be finite and > 0 (alpha and beta must stay > 0), got {Minimum}.");
        Require(EvaluateEvery >= 1, $"EvaluateEvery must be >= 1, got {EvaluateEvery}.");
        Require(Enum.IsDefined(HyperGradient), $"unknown hyper-gradient mode {HyperGradient}.");
    }

    private static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException($"S2nnOptions: {message}");
    }
}

/// <summary>One training step of <see cref="S2nnTraining"/>.</summary>
/// <param name="Step">Step number, from 1.</param>
/// <param name="Loss">Cross-entropy of the mini-batch.</param>
/// <param name="Accuracy">Accuracy on the mini-batch.</param>
/// <param name="TestAccuracy">Held-out test accuracy after the step, on evaluation steps (the first, every <see cref="S2nnOptions.EvaluateEvery"/>-th, the last); else null.</param>
/// <param name="Alpha">alpha after the step's update.</param>
/// <param name="Beta">beta after the update.</param>
/// <param name="Epsilon">epsilon after the update.</param>
/// <param name="AlphaGradient">The step's gradient of the loss with respect to alpha's raw (unconstrained) value.</param>
/// <param name="BetaGradient">The gradient with respect to beta's raw value.</param>
/// <param name="EpsilonGradient">The gradient with respect to epsilon's raw value.</param>
/// <param name="WeightGradientNorm">The Euclidean norm of the weights' gradient.</param>
public sealed record S2nnRecord(int Step, double Loss, double Accuracy, double? TestAccuracy, double Alpha, double Beta, double Epsilon,
    double AlphaGradient, double BetaGradient, double EpsilonGradient, double WeightGradientNorm);

/// <summary>A whole S2NN run.</summary>
/// <param name="Start">The starting values.</param>
/// <param name="History">Every step.</param>
/// <param name="TrainAccuracy">Accuracy on the whole training set at the end.</param>
/// <param name="TestAccuracy">Accuracy on the held-out test set at the end.</param>
/// <param name="Seconds">Wall-clock training time.</param>
public sealed record S2nnRun(S2nnStart Start, IReadOnlyList<S2nnRecord> History, double TrainAccuracy, double TestAccuracy, double Seconds);

/// <summary>
/// Learns all three S2NN hyperparameters jointly with the weights of a small spiking classifier, with no NaN ever:
/// alpha and beta are <see cref="PositiveParameter"/>s with a small positive minimum, epsilon one with minimum 0, so
/// the optimiser moves unconstrained raw values and every value it can reach is inside S2NN's domain (alpha, beta
/// &gt; 0, epsilon &gt;= 0). Every step's loss, values and gradients are checked to be finite.
/// </summary>
public static class S2nnTraining
{
    /// <summary>Trains one network from <paramref name="start"/>.</summary>
    /// <param name="options">The settings (validated).</param>
    /// <param name="start">Starting alpha, beta and epsilon.</param>
    /// <param name="onStep">Called after every step with its record (for progress).</param>
    /// <exception cref="ArgumentException">A setting or starting value is out of range.</exception>
    /// <exception cref="InvalidOperationException">A loss, value or gradient became NaN or infinite (never observed; a guard).</exception>
    public static S2nnRun Train(S2nnOptions options, S2nnStart start, Action<S2nnRecord>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(start);
        options.Validate();
        // softplus never reaches its bound, so epsilon starts above 0 although 0 is in its domain.
        if (!(start.Alpha > options.Minimum && start.Beta > options.Minimum && start.Epsilon > 0) || !double.IsFinite(start.Alpha + start.Beta + start.Epsilon))
            throw new ArgumentException(FormattableString.Invariant(
                $"S2NN start '{start.Name}': alpha and beta must be finite and above {options.Minimum}, epsilon finite and > 0; got {start.Alpha}, {start.Beta}, {start.Epsilon}."), nameof(start));
        var clock = Stopwatch.StartNew();
        manual_seed(options.Seed);
        PositiveParameter[] theta =
        [
            new(start.Alpha, options.Minimum),
            new(start.Beta, options.Minimum),
            new(start.Epsilon),
        ];
        using var task = new PatternTask(options.Task, options.Seed);
        var classifier = new PatternClassifier(options.Task.Channels, options.Hidden, options.Task.Classes,
            _ => new S2NN(start.Alpha, start.Beta, start.Epsilon, hyperGradient: options.HyperGradient), options.WeightScale);
        var weights = classifier.Weights;
        using var weightOptimizer = Optimizers.Create(weights, new OptimizerSettings { LearningRate = options.LearningRate });
        using var hyperOptimizer = Optimizers.Create(theta.Select(t => (Parameter)t.Raw), new OptimizerSettings { LearningRate = options.HyperLearningRate });

        var history = new List<S2nnRecord>(options.TrainingSteps);
        using var batches = PatternClassifier.Batches((int)task.TrainLabels.shape[0], options.BatchSize, options.Seed).GetEnumerator();
        for (int step = 1; step <= options.TrainingSteps; step++)
        {
            using var scope = NewDisposeScope();
            batches.MoveNext();
            var index = tensor(batches.Current);
            var labels = task.TrainLabels.index_select(0, index);
            Tensor loss, correct;
            using (Bind(classifier, theta.Select(t => t.Value()).ToArray()))
            {
                var logits = classifier.Logits(task.TrainInputs.index_select(1, index));
                loss = Loss.CrossEntropy(logits, labels);
                correct = logits.detach().argmax(1).eq(labels).sum();
            }
            weightOptimizer.zero_grad();
            hyperOptimizer.zero_grad();
            loss.backward();
            // Read (one synchronisation) before the update: a non-finite gradient must stop the run before it reaches a parameter.
            var weightNorm = stack(weights.Where(w => w.grad is not null).Select(w => w.grad!.square().sum()).ToArray()).sum().sqrt();
            Tensor[] measured = [loss.detach(), correct, .. theta.Select(t => t.Raw.grad ?? zeros_like(t.Raw)), weightNorm];
            var before = stack(measured.Select(m => m.to_type(ScalarType.Float64)).ToArray()).data<double>().ToArray();
            if (before.Any(v => !double.IsFinite(v)))
                throw new InvalidOperationException(FormattableString.Invariant(
                    $"S2NN training from '{start.Name}': step {step} gave loss {before[0]}, raw gradients {before[2]}, {before[3]}, {before[4]}, weight gradient norm {before[5]}."));
            weightOptimizer.step();
            hyperOptimizer.step();
            var values = Values(theta);
            var after = stack(values).to_type(ScalarType.Float64).data<double>().ToArray();
            if (after.Any(v => !double.IsFinite(v)))
                throw new InvalidOperationException(FormattableString.Invariant($"S2NN training from '{start.Name}': step {step} gave alpha {after[0]}, beta {after[1]}, epsilon {after[2]}."));
            double? test = step == 1 || step % options.EvaluateEvery == 0 || step == options.TrainingSteps
                ? Accuracy(classifier, values, task.TestInputs, task.TestLabels) : null;
            var record = new S2nnRecord(step, before[0], before[1] / labels.shape[0], test, after[0], after[1], after[2],
                before[2], before[3], before[4], before[5]);
            history.Add(record);
            onStep?.Invoke(record);
        }

        double trainAccuracy;
        using (var scope = NewDisposeScope()) trainAccuracy = Accuracy(classifier, Values(theta), task.TrainInputs, task.TrainLabels);
        var run = new S2nnRun(start, history, trainAccuracy, history[^1].TestAccuracy!.Value, clock.Elapsed.TotalSeconds);
        classifier.Network.Dispose();
        foreach (var t in theta) t.Raw.Dispose();
        return run;
    }

    private static Tensor[] Values(PositiveParameter[] theta)
    {
        using var _ = no_grad();
        return theta.Select(t => t.Value()).ToArray();
    }

    private static double Accuracy(PatternClassifier classifier, Tensor[] values, Tensor inputs, Tensor labels)
    {
        using var _ = Bind(classifier, values);
        return classifier.Accuracy(inputs, labels);
    }

    /// <summary>Every layer's S2NN reads alpha, beta and epsilon from <paramref name="values"/>.</summary>
    private static SurrogateBinding Bind(PatternClassifier classifier, Tensor[] values)
    {
        var binding = new SurrogateBinding();
        var named = new Dictionary<string, Tensor> { ["alpha"] = values[0], ["beta"] = values[1], ["epsilon"] = values[2] };
        foreach (var layer in classifier.SpikingLayers) binding.Add(layer.Surrogate, named);
        return binding;
    }
}
