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
    public PatternTask(int classes, int channels, int trainPerClass, int testPerClass, int steps, double rateHz, int seed)
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
