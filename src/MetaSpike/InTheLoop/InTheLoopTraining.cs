using System.Diagnostics;
using MetaSpike.Losses;
using MetaSpike.Neuromorphic;
using MetaSpike.OnlineLearning;
using MetaSpike.Runtime;
using MetaSpike.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.InTheLoop;

/// <summary>How the forward pass of a training step is computed.</summary>
public enum TrainingMode
{
    /// <summary>On the chip: the model's values are replaced by the recordings (gradients from the model).</summary>
    InTheLoop,

    /// <summary>The software model alone (its weights are deployed to the chip afterwards).</summary>
    SoftwareOnly,
}

/// <summary>Settings of in-the-loop training and of its comparison with training the software model alone.</summary>
public sealed record InTheLoopSettings
{
    /// <summary>The classification task (default: 3 classes of 16 latency-coded inputs in 40 µs).</summary>
    public LatencyPatternTask Task { get; init; } = new();

    /// <summary>The model (time constants, grid, surrogate).</summary>
    public LifModelSettings Model { get; init; } = new();

    /// <summary>Hidden neurons (default 20).</summary>
    public int Hidden { get; init; } = 20;

    /// <summary>Training samples (default 90).</summary>
    public int TrainSamples { get; init; } = 90;

    /// <summary>Test samples (default 90).</summary>
    public int TestSamples { get; init; } = 90;

    /// <summary>Training steps (Adam updates; default 60).</summary>
    public int Steps { get; init; } = 60;

    /// <summary>Samples per step, one chip trial each (default 30).</summary>
    public int BatchSize { get; init; } = 30;

    /// <summary>Adam's learning rate in weight units (default 1).</summary>
    public double LearningRate { get; init; } = 1;

    /// <summary>Factor from the normalised output membrane to the logits (default 5).</summary>
    public double LogitScale { get; init; } = 5;

    /// <summary>Mean of the initial input-to-hidden weights (default 15).</summary>
    public double InputWeightMean { get; init; } = 15;

    /// <summary>Standard deviation of the initial input-to-hidden weights (default 15).</summary>
    public double InputWeightStd { get; init; } = 15;

    /// <summary>Standard deviation of the initial hidden-to-output weights, mean 0 (default 15).</summary>
    public double OutputWeightStd { get; init; } = 15;

    /// <summary>Seed of the task, the initial weights and the batch order.</summary>
    public long Seed { get; init; }

    /// <summary>Throws unless the settings are usable.</summary>
    /// <exception cref="ArgumentException">A value out of range; the message names it.</exception>
    public void Validate()
    {
        const string fn = nameof(InTheLoopSettings);
        ArgumentNullException.ThrowIfNull(Task);
        ArgumentNullException.ThrowIfNull(Model);
        Task.Validate();
        Model.Validate();
        foreach (var (value, name) in new[] { (Hidden, nameof(Hidden)), (TrainSamples, nameof(TrainSamples)), (TestSamples, nameof(TestSamples)), (Steps, nameof(Steps)), (BatchSize, nameof(BatchSize)) })
            if (value < 1) throw new ArgumentException($"{fn}: {name} must be >= 1, got {value}.", name);
        if (BatchSize > TrainSamples) throw new ArgumentException($"{fn}: {nameof(BatchSize)} ({BatchSize}) must not exceed {nameof(TrainSamples)} ({TrainSamples}).", nameof(BatchSize));
        OnlineChecks.Positive(fn, LearningRate, nameof(LearningRate));
        OnlineChecks.Positive(fn, LogitScale, nameof(LogitScale));
        foreach (var (value, name) in new[] { (InputWeightMean, nameof(InputWeightMean)), (InputWeightStd, nameof(InputWeightStd)), (OutputWeightStd, nameof(OutputWeightStd)) })
            if (!double.IsFinite(value) || (name != nameof(InputWeightMean) && value < 0)) throw new ArgumentException($"{fn}: {name} must be finite (and >= 0 for a deviation), got {value}.", name);
    }

    /// <summary>The initial weights [inputs, hidden] and [hidden, classes], float32 (the same for both training modes).</summary>
    public (Tensor Input, Tensor Output) InitialWeights()
    {
        var input = RandomMatrix.Normal(Task.Inputs, Hidden, InputWeightMean, InputWeightStd, Seed, 0x57494E31L).to_type(ScalarType.Float32);
        var output = RandomMatrix.Normal(Hidden, Task.Classes, 0, OutputWeightStd, Seed, 0x57494E32L).to_type(ScalarType.Float32);
        return (input, output);
    }
}

/// <summary>The loss and accuracy of one training step (on the batch, before the update).</summary>
/// <param name="Step">Step, from 1.</param>
/// <param name="Loss">Cross-entropy of the batch.</param>
/// <param name="BatchAccuracy">Accuracy of the batch's forward pass (the chip's in the loop, the model's otherwise).</param>
public sealed record TrainingStep(int Step, double Loss, double BatchAccuracy);

/// <summary>The outcome of one training run: the curve and the learnt real-valued weights.</summary>
/// <param name="Mode">How it was trained.</param>
/// <param name="Curve">One entry per step.</param>
/// <param name="InputWeights">[inputs, hidden].</param>
/// <param name="OutputWeights">[hidden, classes].</param>
/// <param name="Seconds">Wall-clock time of the training.</param>
public sealed record TrainedWeights(TrainingMode Mode, IReadOnlyList<TrainingStep> Curve, Tensor InputWeights, Tensor OutputWeights, double Seconds);

/// <summary>
/// Backpropagation through time in the loop (Cramer et al. 2022): every step runs the batch on the chip, replaces the
/// values of <see cref="TwoLayerLifModel"/> by the recordings, takes the cross-entropy of the maximum-over-time output
/// membrane and lets Adam update the real-valued weights, which reach the chip clipped and rounded. The same loop
/// without the chip trains the software model alone.
/// </summary>
public static class InTheLoopTraining
{
    /// <summary>Trains from <see cref="InTheLoopSettings.InitialWeights"/>.</summary>
    /// <param name="mode">In the loop (needs <paramref name="chip"/>) or software only.</param>
    /// <param name="train">Training samples.</param>
    /// <param name="chip">The chip network (in the loop).</param>
    /// <param name="settings">Settings.</param>
    /// <param name="stepCompleted">Called after every step.</param>
    /// <exception cref="ArgumentException">Invalid settings, data that do not fit, or no chip in the loop.</exception>
    public static TrainedWeights Train(TrainingMode mode, LatencyPatternSet train, EmulatorClassifier? chip, InTheLoopSettings settings,
        Action<TrainingStep>? stepCompleted = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (mode == TrainingMode.InTheLoop && chip is null) throw new ArgumentException("in-the-loop training needs a chip.", nameof(chip));
        if (train.Count < settings.BatchSize) throw new ArgumentException($"the training set ({train.Count}) is smaller than a batch ({settings.BatchSize}).", nameof(train));
        var clock = Stopwatch.StartNew();
        var (w1, w2) = settings.InitialWeights();
        using var model = new TwoLayerLifModel(w1, w2, settings.Model);
        w1.Dispose();
        w2.Dispose();
        using var optimizer = Optimizers.Create(model.Parameters(), new OptimizerSettings { LearningRate = settings.LearningRate });
        var batches = new BatchOrder(train.Count, settings.BatchSize, Seeds.Mix(settings.Seed, 0x42415443L));
        int steps = RecordedData.StepCount(train.DurationUs, settings.Model.DtUs);
        var curve = new List<TrainingStep>();
        for (int step = 1; step <= settings.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var indices = batches.Next();
            var trains = train.Trains(indices);
            var labels = train.LabelTensor(indices);
            var hardware = mode == TrainingMode.InTheLoop ? chip!.Run(trains, model.InputWeights.detach(), model.OutputWeights.detach()) : null;
            var traces = model.Forward(trains.ToBinned(settings.Model.DtUs, steps), hardware);
            var logits = TwoLayerLifModel.Logits(traces.OutputMembrane, settings.LogitScale);
            var loss = Loss.CrossEntropy(logits, labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            var entry = new TrainingStep(step, loss.ToDouble(), Accuracy(logits, labels));
            curve.Add(entry);
            stepCompleted?.Invoke(entry);
        }
        return new TrainedWeights(mode, curve, model.InputWeights.detach().clone(), model.OutputWeights.detach().clone(), clock.Elapsed.TotalSeconds);
    }

    /// <summary>Accuracy of the chip with the given weights on <paramref name="data"/> (all samples in one run).</summary>
    public static double ChipAccuracy(EmulatorClassifier chip, LatencyPatternSet data, Tensor inputWeights, Tensor outputWeights)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(data);
        using var scope = NewDisposeScope();
        var traces = chip.Run(data.Trains(data.All), inputWeights, outputWeights);
        return Accuracy(TwoLayerLifModel.Logits(traces.OutputMembrane, 1), data.LabelTensor(data.All));
    }

    /// <summary>Accuracy of the software model with the given weights on <paramref name="data"/>.</summary>
    public static double ModelAccuracy(LatencyPatternSet data, Tensor inputWeights, Tensor outputWeights, LifModelSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        settings ??= new LifModelSettings();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = new TwoLayerLifModel(inputWeights, outputWeights, settings);
        var input = data.Trains(data.All).ToBinned(settings.DtUs, RecordedData.StepCount(data.DurationUs, settings.DtUs));
        return Accuracy(TwoLayerLifModel.Logits(model.Forward(input).OutputMembrane, 1), data.LabelTensor(data.All));
    }

    private static double Accuracy(Tensor logits, Tensor labels) => logits.argmax(1).eq(labels).to_type(ScalarType.Float64).mean().ToDouble();

    /// <summary>Batches of a reshuffled permutation per pass over the data.</summary>
    private sealed class BatchOrder(int count, int batchSize, long seed)
    {
        private readonly Random _random = new(Seeds.Mix32(seed, 0));
        private int[] _order = [];
        private int _at;

        public int[] Next()
        {
            if (_at + batchSize > _order.Length)
            {
                _order = [.. Enumerable.Range(0, count)];
                _random.Shuffle(_order);
                _at = 0;
            }
            var batch = _order[_at..(_at + batchSize)];
            _at += batchSize;
            return batch;
        }
    }
}
