using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// SuperSpike beyond one neuron: input -> hidden LIF layer -> output LIF layer, both <see cref="SoftwareLif"/>
/// populations, simulated without autograd. The output layer learns from its van Rossum error as in the tutorial;
/// the hidden layer learns from the output errors fed back, error_hidden[t, h] = sum_o error[t, o] B[o, h], with
/// B the output weights transposed (<see cref="FeedbackMode.Symmetric"/>, Zenke &amp; Ganguli's rule) or a fixed
/// random matrix (<see cref="FeedbackMode.Random"/>, feedback alignment), and the same SuperSpike update with the
/// hidden membrane. Batched inputs [B, T, I] are B trials; their updates are added.
/// </summary>
public sealed class HiddenLayerSuperSpike
{
    private readonly Tensor? _randomFeedback;

    /// <summary>Creates the network.</summary>
    /// <param name="inputWeights">Input-to-hidden weights [I, H] (copied).</param>
    /// <param name="outputWeights">Hidden-to-output weights [H, O] (copied).</param>
    /// <param name="feedback">How output errors reach the hidden layer.</param>
    /// <param name="seed">Seed of the random feedback matrix (drawn from N(0, rms(outputWeights)^2)).</param>
    /// <param name="rule">Rule settings of both layers (default: the tutorial's).</param>
    /// <param name="hiddenEta">Learning rate of the hidden layer (default: the rule's eta).</param>
    /// <param name="neuron">Neuron parameters of both layers.</param>
    /// <exception cref="ArgumentException">Shapes that do not chain, non-finite weights or invalid settings.</exception>
    public HiddenLayerSuperSpike(Tensor inputWeights, Tensor outputWeights, FeedbackMode feedback = FeedbackMode.Symmetric, long seed = 0,
        SuperSpikeSettings? rule = null, double? hiddenEta = null, SoftwareLifParameters? neuron = null)
    {
        const string fn = nameof(HiddenLayerSuperSpike);
        ArgumentNullException.ThrowIfNull(inputWeights);
        if (inputWeights.dim() != 2)
            throw new ArgumentException($"{fn}: inputWeights must be [inputs, hidden], got {inputWeights.ShapeText()}.", nameof(inputWeights));
        InputWeights = OnlineChecks.Matrix(fn, inputWeights, nameof(inputWeights), inputWeights.shape[0]).clone().DetachFromDisposeScope();
        OutputWeights = OnlineChecks.Matrix(fn, outputWeights, nameof(outputWeights), InputWeights.shape[1]).clone().DetachFromDisposeScope();
        OutputRule = new SuperSpike(rule);
        HiddenRule = new SuperSpike(OutputRule.Settings with { Eta = hiddenEta ?? OutputRule.Settings.Eta });
        Neuron = neuron ?? new SoftwareLifParameters();
        Neuron.Validate();
        Feedback = feedback;
        if (feedback == FeedbackMode.Random)
        {
            using var scope = NewDisposeScope();
            double rms = OutputWeights.square().mean().sqrt().ToDouble();
            _randomFeedback = RandomMatrix.Normal(OutputWeights.shape[1], OutputWeights.shape[0], 0, rms > 0 ? rms : 1, seed, 17).MoveToOuterDisposeScope();
            _randomFeedback.DetachFromDisposeScope();
        }
        else if (feedback != FeedbackMode.Symmetric)
        {
            throw new ArgumentException($"{fn}: unknown feedback mode {feedback}.", nameof(feedback));
        }
    }

    /// <summary>Input-to-hidden weights [I, H], updated in place by <see cref="Step"/>.</summary>
    public Tensor InputWeights { get; }

    /// <summary>Hidden-to-output weights [H, O], updated in place by <see cref="Step"/>.</summary>
    public Tensor OutputWeights { get; }

    /// <summary>The feedback mode.</summary>
    public FeedbackMode Feedback { get; }

    /// <summary>The output layer's rule.</summary>
    public SuperSpike OutputRule { get; }

    /// <summary>The hidden layer's rule (the output rule's settings with the hidden eta).</summary>
    public SuperSpike HiddenRule { get; }

    /// <summary>The neuron parameters of both layers.</summary>
    public SoftwareLifParameters Neuron { get; }

    /// <summary>The feedback matrix B [O, H] through which output errors reach the hidden layer.</summary>
    public Tensor FeedbackMatrix => _randomFeedback ?? OutputWeights.T;

    /// <summary>Runs both layers.</summary>
    /// <param name="inputSpikes">Binned input spikes [T, I] or [B, T, I].</param>
    /// <exception cref="ArgumentException">The inputs do not fit the weights.</exception>
    public (NeuronRecording Hidden, NeuronRecording Output) Run(Tensor inputSpikes)
    {
        var hidden = SoftwareLif.Run(inputSpikes, InputWeights, Neuron);
        return (hidden, SoftwareLif.Run(hidden.Spikes, OutputWeights, Neuron));
    }

    /// <summary>One trial (or batch of trials): runs the network, updates both layers and returns the loss before the update.</summary>
    /// <param name="inputSpikes">Binned input spikes [T, I] or [B, T, I].</param>
    /// <param name="targetSpikes">Binned target output spikes [T, O] or [B, T, O].</param>
    /// <exception cref="ArgumentException">Shapes that do not fit the network.</exception>
    public double Step(Tensor inputSpikes, Tensor targetSpikes)
    {
        using var scope = NewDisposeScope();
        var (hidden, output) = Run(inputSpikes);
        var result = OutputRule.Compute(hidden.Spikes, output.Membrane, output.Spikes, targetSpikes);
        var hiddenError = result.Error.matmul(FeedbackMatrix);
        var hiddenUpdate = HiddenRule.WeightUpdate(inputSpikes, hidden.Membrane, hiddenError);
        OutputWeights.add_(SumTrials(result.WeightUpdate));
        InputWeights.add_(SumTrials(hiddenUpdate));
        return result.Loss;
    }

    /// <summary>The loss sum |error| of the current weights, without updating them.</summary>
    /// <param name="inputSpikes">Binned input spikes [T, I] or [B, T, I].</param>
    /// <param name="targetSpikes">Binned target output spikes [T, O] or [B, T, O].</param>
    public double Loss(Tensor inputSpikes, Tensor targetSpikes)
    {
        using var scope = NewDisposeScope();
        var output = Run(inputSpikes).Output;
        return SuperSpike.Loss(OutputRule.Error(output.Spikes, targetSpikes)).sum().ToDouble();
    }

    private static Tensor SumTrials(Tensor update) => update.dim() == 3 ? update.sum([0]) : update;
}
