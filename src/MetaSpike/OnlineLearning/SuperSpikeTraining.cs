using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// How weights reach the neuron: the tutorial's <c>set_weights</c> clips them to [-MaxWeight, MaxWeight] and rounds
/// them to integers (half to even, like numpy), while the learnt weights stay continuous.
/// </summary>
/// <param name="MaxWeight">The largest magnitude (63 on BrainScaleS-2); infinity for no clipping.</param>
/// <param name="Round">Round to integers.</param>
public sealed record WeightConstraint(double MaxWeight = 63, bool Round = true)
{
    /// <summary>No clipping and no rounding.</summary>
    public static WeightConstraint None { get; } = new(double.PositiveInfinity, false);

    /// <summary>The weights as the neuron sees them.</summary>
    /// <param name="weights">Learnt weights.</param>
    /// <exception cref="ArgumentException">MaxWeight is not positive.</exception>
    public Tensor Apply(Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!(MaxWeight > 0)) throw new ArgumentException($"WeightConstraint: MaxWeight must be > 0, got {MaxWeight}.", nameof(MaxWeight));
        var clipped = double.IsPositiveInfinity(MaxWeight) ? weights : weights.clamp(-MaxWeight, MaxWeight);
        return Round ? clipped.round() : clipped;
    }
}

/// <summary>The loss of every epoch and the weights after the last update.</summary>
/// <param name="Losses">sum |error| per epoch, measured before that epoch's update.</param>
/// <param name="OutputSpikeCounts">Output spikes per epoch (all neurons and trials).</param>
/// <param name="Weights">The learnt (unconstrained) weights after the last update.</param>
public sealed record SuperSpikeTrainingResult(IReadOnlyList<double> Losses, IReadOnlyList<double> OutputSpikeCounts, Tensor Weights)
{
    /// <summary>1 - (mean of the last <paramref name="window"/> losses) / (first loss); 0 when the first loss is 0.</summary>
    public double LossReduction(int window = 1)
    {
        if (Losses.Count == 0) return 0;
        int n = Math.Clamp(window, 1, Losses.Count);
        double last = Losses.Skip(Losses.Count - n).Average();
        return Losses[0] > 0 ? 1 - last / Losses[0] : 0;
    }
}

/// <summary>
/// The tutorial's in-the-loop training: each epoch runs the neuron with the constrained weights, computes the
/// SuperSpike update from the recording and adds it to the weights. The neuron is a delegate, so the same loop
/// drives hardware, an emulator or <see cref="SoftwareLif"/>.
/// </summary>
public static class SuperSpikeTraining
{
    /// <summary>Trains the weights of one layer of output neurons towards a target spike train.</summary>
    /// <param name="run">Runs the neuron(s) with the given weights [I, O] and returns the normalised membrane and binned spikes.</param>
    /// <param name="inputSpikes">Binned input spikes [T, I] or [B, T, I].</param>
    /// <param name="targetSpikes">Binned target spikes [T, O] or [B, T, O].</param>
    /// <param name="initialWeights">Starting weights [I, O].</param>
    /// <param name="epochs">Number of updates, &gt;= 1.</param>
    /// <param name="rule">The rule (default: the tutorial's settings).</param>
    /// <param name="constraint">How weights reach the neuron (default: clip to ±63 and round, as on BrainScaleS-2).</param>
    /// <param name="epochCompleted">Called after each epoch with the epoch index and its loss.</param>
    /// <exception cref="ArgumentException">Shapes that do not agree, epochs &lt; 1, or a recording with the wrong shape.</exception>
    public static SuperSpikeTrainingResult Train(Func<Tensor, NeuronRecording> run, Tensor inputSpikes, Tensor targetSpikes, Tensor initialWeights,
        int epochs, SuperSpike? rule = null, WeightConstraint? constraint = null, Action<int, double>? epochCompleted = null)
    {
        const string fn = "SuperSpikeTraining.Train";
        ArgumentNullException.ThrowIfNull(run);
        rule ??= new SuperSpike();
        constraint ??= new WeightConstraint();
        var input = OnlineChecks.Series(fn, inputSpikes, nameof(inputSpikes));
        var target = OnlineChecks.Series(fn, targetSpikes, nameof(targetSpikes));
        OnlineChecks.SameLayout(fn, input, nameof(inputSpikes), target, nameof(targetSpikes));
        var weights = OnlineChecks.Matrix(fn, initialWeights, nameof(initialWeights), OnlineChecks.Channels(input), OnlineChecks.Channels(target)).clone();
        if (epochs < 1) throw new ArgumentException($"{fn}: epochs must be >= 1, got {epochs}.", nameof(epochs));

        var losses = new double[epochs];
        var counts = new double[epochs];
        for (int e = 0; e < epochs; e++)
        {
            using var scope = NewDisposeScope();
            var recording = run(constraint.Apply(weights));
            if (recording is null || !recording.Spikes.shape.SequenceEqual(target.shape) || !recording.Membrane.shape.SequenceEqual(target.shape))
                throw new ArgumentException($"{fn}: the neuron's recording must have the target's shape {target.ShapeText()}.", nameof(run));
            var result = rule.Compute(input, recording.Membrane, recording.Spikes, target);
            losses[e] = result.Loss;
            counts[e] = recording.Spikes.sum().ToDouble();
            weights.add_(result.WeightUpdate.dim() == 3 ? result.WeightUpdate.sum([0]) : result.WeightUpdate);
            epochCompleted?.Invoke(e, losses[e]);
        }
        return new SuperSpikeTrainingResult(losses, counts, weights);
    }
}
