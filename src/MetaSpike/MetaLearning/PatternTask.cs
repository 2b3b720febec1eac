using MetaSpike.Data;
using MetaSpike.Data.Generators;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>
/// A small learnable classification task for the surrogate meta-learning scenarios: each class is a Poisson rate
/// pattern over the input channels (<see cref="PoissonPatternDataset"/>), each sample an independent draw, binned to
/// 0/1 spikes at 1 ms. Train and test samples are different draws of the same patterns.
/// </summary>
internal sealed class PatternTask : IDisposable
{
    /// <summary>Generates the task (deterministic in <paramref name="seed"/>).</summary>
    /// <exception cref="ArgumentException">A size out of range.</exception>
    public PatternTask(PatternTaskSettings settings, int seed)
        : this(settings.Classes, settings.Channels, settings.TrainPerClass, settings.TestPerClass, settings.TimeSteps, settings.RateHz, seed)
    {
    }

    /// <summary>Draws the task (see the other constructor).</summary>
    private PatternTask(int classes, int channels, int trainPerClass, int testPerClass, int steps, double rateHz, int seed)
    {
        if (classes < 2) throw new ArgumentException($"the task needs at least 2 classes, got {classes}.", nameof(classes));
        if (trainPerClass < 1 || testPerClass < 1)
            throw new ArgumentException($"the task needs at least one train and one test sample per class, got {trainPerClass} and {testPerClass}.", nameof(trainPerClass));
        if (steps < 1) throw new ArgumentException($"the task needs at least one time step, got {steps}.", nameof(steps));
        var data = new PoissonPatternDataset(classes, trainPerClass + testPerClass, channels, rateHz, durationMs: steps, seed);
        (Classes, Channels, Steps) = (classes, channels, steps);
        (TrainInputs, TrainLabels) = Bin(data, 0, trainPerClass);
        (TestInputs, TestLabels) = Bin(data, trainPerClass, testPerClass);
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Input channels.</summary>
    public int Channels { get; }

    /// <summary>Time steps (1 ms each).</summary>
    public int Steps { get; }

    /// <summary>Training spikes [steps, samples, channels] (float32, 0 or 1).</summary>
    public Tensor TrainInputs { get; }

    /// <summary>Training labels [samples] (int64).</summary>
    public Tensor TrainLabels { get; }

    /// <summary>Test spikes [steps, samples, channels].</summary>
    public Tensor TestInputs { get; }

    /// <summary>Test labels [samples].</summary>
    public Tensor TestLabels { get; }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        TrainInputs.Dispose();
        TrainLabels.Dispose();
        TestInputs.Dispose();
        TestLabels.Dispose();
    }

    private (Tensor Inputs, Tensor Labels) Bin(PoissonPatternDataset data, int firstInstance, int count)
    {
        var binning = new BinningOptions { Steps = Steps, Mode = BinningMode.Binary, MergePolarity = true };
        int cells = Steps * Channels, samples = Classes * count;
        var frames = new float[samples * cells];
        var labels = new long[samples];
        for (int c = 0, n = 0; c < Classes; c++)
        for (int i = 0; i < count; i++, n++)
        {
            EventBinning.ToFrames(data.Generate(c, firstInstance + i), binning, frames.AsSpan(n * cells, cells));
            labels[n] = c;
        }
        using var bySample = tensor(frames, [samples, Steps, Channels]);
        return (bySample.permute(1, 0, 2).contiguous().DetachFromDisposeScope(), tensor(labels).DetachFromDisposeScope());
    }
}

/// <summary>A Poisson pattern classification task's settings, shared by the per-layer and S2NN scenarios.</summary>
public sealed record PatternTaskSettings
{
    /// <summary>Classes (patterns).</summary>
    public int Classes { get; init; } = 10;

    /// <summary>Input channels.</summary>
    public int Channels { get; init; } = 40;

    /// <summary>Training draws of each pattern.</summary>
    public int TrainPerClass { get; init; } = 40;

    /// <summary>Held-out test draws of each pattern.</summary>
    public int TestPerClass { get; init; } = 40;

    /// <summary>Time steps of 1 ms per sample.</summary>
    public int TimeSteps { get; init; } = 30;

    /// <summary>Rate of a pattern's active channels in Hz (the others fire at a tenth of it).</summary>
    public double RateHz { get; init; } = 30;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Classes < 2) throw new ArgumentException($"Classes must be >= 2, got {Classes}.");
        if (Channels < 1) throw new ArgumentException($"Channels must be >= 1, got {Channels}.");
        if (TrainPerClass < 1 || TestPerClass < 1) throw new ArgumentException($"TrainPerClass and TestPerClass must be >= 1, got {TrainPerClass} and {TestPerClass}.");
        if (TimeSteps < 1) throw new ArgumentException($"TimeSteps must be >= 1, got {TimeSteps}.");
        if (!(RateHz > 0 && RateHz <= 1000)) throw new ArgumentException($"RateHz must be in (0, 1000] (at most one spike per 1 ms step), got {RateHz}.");
    }
}
