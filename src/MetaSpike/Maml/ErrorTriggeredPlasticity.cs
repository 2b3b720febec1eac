using MetaSpike.Losses;
using MetaSpike.MetaLearning;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>
/// Surrogate online error-triggered learning (SOEL; Stewart and Neftci 2022, Sec. 3.7, after Stewart et al. 2020)
/// for the head: instead of the exact gradient Σ_t E_t ⊗ f_t (E_t = ∂L/∂y_t, the error at the output neurons at
/// step t; f_t the head's input), the update uses the error counted in units of a threshold θ,
/// <code>Ê_t = θ · trunc(E_t / θ)</code>
/// so a neuron's weights change only in steps triggered when its error crosses a multiple of θ (as a neuromorphic
/// chip sends ±1 error events). θ is a meta-parameter (kept positive, softplus-parametrised) learnt in the outer
/// loop: d Ê / d θ = trunc(E / θ). Through E the rounding is straight-through, so second-order MAML still sees
/// how the error depends on the initial weights. As θ → 0, Ê → E and the rule becomes the exact gradient.
/// </summary>
public sealed class ErrorTriggeredPlasticity : nn.Module
{
    private readonly PositiveParameter _threshold;

    /// <summary>Creates the rule.</summary>
    /// <param name="threshold">θ's starting value (the paper: 0.05).</param>
    /// <param name="learnThreshold">Meta-learn θ (default true); false keeps it fixed.</param>
    /// <exception cref="ArgumentException">The threshold is not finite or not positive.</exception>
    public ErrorTriggeredPlasticity(double threshold = 0.05, bool learnThreshold = true) : base(nameof(ErrorTriggeredPlasticity))
    {
        if (!double.IsFinite(threshold) || threshold <= 0) throw new ArgumentException($"the SOEL threshold must be finite and > 0, got {threshold}.", nameof(threshold));
        _threshold = new PositiveParameter(threshold);
        LearnThreshold = learnThreshold;
        if (learnThreshold) register_parameter("threshold_raw", _threshold.Raw);
        else _threshold.Raw.requires_grad_(false);
    }

    /// <summary>Whether θ is meta-learned.</summary>
    public bool LearnThreshold { get; }

    /// <summary>θ's current value.</summary>
    public double Threshold => _threshold.Current;

    /// <summary>θ as a tensor attached to its raw parameter.</summary>
    public Tensor ThresholdTensor() => _threshold.Value();

    /// <summary>
    /// The head's SGD updates (weight, bias) under the rule, for the network running with <paramref name="parameters"/>
    /// on the support batch, and the support loss.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="parameters">Its parameters in <see cref="FunctionalCall.Parameters"/> order.</param>
    /// <param name="frames">Support frames [T, batch, ...].</param>
    /// <param name="labels">Support labels [batch].</param>
    /// <param name="rateOfWeight">Maps the head weight's gradient-like update direction to its update (-rate · x).</param>
    /// <param name="rateOfBias">The same for the head bias.</param>
    /// <param name="createGraph">Keep the graph for second-order meta-gradients.</param>
    public (Tensor WeightUpdate, Tensor? BiasUpdate, Tensor Loss) HeadUpdates(FewShotNetwork network, IReadOnlyList<Tensor> parameters,
        Tensor frames, Tensor labels, Func<Tensor, Tensor> rateOfWeight, Func<Tensor, Tensor> rateOfBias, bool createGraph)
    {
        Tensor features, output, loss;
        using (FunctionalCall.Use(network, parameters))
        {
            features = network.Features(frames);
            output = network.Head.forward(features);
            loss = Loss.CrossEntropy(network.LogitsOf(output), labels);
        }
        if (!output.requires_grad)
            throw new InvalidOperationException("SOEL: the head's output does not depend on its parameters; give parameters that require grad.");
        var error = Autograd.Grad([loss], [output], createGraph: createGraph)[0];
        var theta = ThresholdTensor().to(error.dtype);
        var counts = (error / theta).trunc().detach();
        var triggered = theta * counts + (error - error.detach());
        // y = f W^T + b  ⇒  ∂L/∂W = Σ Ê ⊗ f over steps and samples.
        var e2 = triggered.reshape(-1, triggered.shape[^1]);
        // First order: like SGD's detached gradient, the direction is a constant in the network's weights (it
        // still depends on θ and the rates, which are learnt); only second order differentiates through f.
        var f2 = (createGraph ? features : features.detach()).reshape(-1, features.shape[^1]);
        var weightDirection = e2.t().matmul(f2);
        var biasDirection = network.Head.HasBias ? e2.sum([0]) : null;
        return (rateOfWeight(weightDirection), biasDirection is null ? null : rateOfBias(biasDirection), loss);
    }
}
