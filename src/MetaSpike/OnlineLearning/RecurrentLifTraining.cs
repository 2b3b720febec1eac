using MetaSpike.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>How <see cref="RecurrentLifTraining"/> computes the gradient.</summary>
public enum GradientMethod
{
    /// <summary>e-prop with symmetric feedback (learning signal through W_out).</summary>
    EpropSymmetric,

    /// <summary>e-prop with a fixed random feedback matrix.</summary>
    EpropRandom,

    /// <summary>Backpropagation through time (autograd), the exact gradient.</summary>
    Bptt,
}

/// <summary>
/// Trains a <see cref="RecurrentLifNetwork"/> on fixed inputs and targets with e-prop or BPTT gradients and an
/// optimiser (default Adam, learning rate 0.01), so the two can be compared on the same network and task.
/// </summary>
public static class RecurrentLifTraining
{
    /// <summary>Runs <paramref name="iterations"/> updates and returns the loss before each one, then the final loss.</summary>
    /// <param name="network">The network, trained in place.</param>
    /// <param name="inputs">Inputs [B, T, I].</param>
    /// <param name="target">Target readout [B, T, K].</param>
    /// <param name="iterations">Number of updates, &gt;= 1.</param>
    /// <param name="method">The gradient.</param>
    /// <param name="optimizer">Optimiser settings (default Adam, learning rate 0.01).</param>
    /// <param name="feedbackSeed">Seed of the random feedback matrix.</param>
    /// <returns>iterations + 1 losses.</returns>
    /// <exception cref="ArgumentException">Inputs or targets that do not fit, or iterations &lt; 1.</exception>
    public static IReadOnlyList<double> Train(RecurrentLifNetwork network, Tensor inputs, Tensor target, int iterations,
        GradientMethod method, OptimizerSettings? optimizer = null, long feedbackSeed = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (iterations < 1) throw new ArgumentException($"RecurrentLifTraining.Train: iterations must be >= 1, got {iterations}.", nameof(iterations));
        var settings = optimizer ?? new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = 0.01 };
        var opt = Optimizers.Create(network.Parameters, settings);
        using var feedbackScope = NewDisposeScope();
        var randomFeedback = method == GradientMethod.EpropRandom ? Eprop.FeedbackMatrix(network, FeedbackMode.Random, feedbackSeed) : null;
        var losses = new List<double>(iterations + 1);
        for (int i = 0; i <= iterations; i++)
        {
            using var scope = NewDisposeScope();
            var gradients = method == GradientMethod.Bptt
                ? network.BpttGradients(inputs, target)
                : Eprop.Gradients(network, inputs, target, randomFeedback);
            losses.Add(gradients.Loss);
            if (i == iterations) break;
            network.InputWeights.grad = gradients.Input;
            network.RecurrentWeights.grad = gradients.Recurrent;
            network.OutputWeights.grad = gradients.Output;
            opt.step();
        }
        return losses;
    }
}
