using MetaSpike.Losses;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>The result of adapting to one task.</summary>
/// <param name="Parameters">θ_n, in <see cref="FunctionalCall.Parameters"/> order.</param>
/// <param name="SupportLosses">The support loss before each of the n steps (host numbers).</param>
public sealed record Adaptation(IReadOnlyList<Tensor> Parameters, IReadOnlyList<double> SupportLosses);

/// <summary>
/// MAML's inner loop: θ_{k+1} = θ_k - α ∇L_support(θ_k), n times, with the network run functionally (the adapted
/// weights are tensors, never written into the module). With <c>createGraph</c> the gradients are part of the
/// graph (second-order MAML: the outer gradient flows through ∇L, i.e. through BPTT and the surrogate's derivative);
/// without it they are constants (first-order MAML, Reptile, evaluation). Frozen layers, thresholded updates,
/// weight quantisation and error-triggered plasticity act on each step's update.
/// </summary>
public sealed class InnerLoop
{
    private readonly bool[] _adapts;
    private readonly int _headWeight, _headBias;

    /// <summary>Creates the loop.</summary>
    /// <exception cref="ArgumentException">Bad settings, or SOEL without the rule module, or more frozen layers than the network has.</exception>
    public InnerLoop(FewShotNetwork network, InnerLoopSettings settings, InnerLearningRates rates, ErrorTriggeredPlasticity? soel = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(rates);
        settings.Validate();
        if (settings.Soel is not null && soel is null) throw new ArgumentException("SOEL settings need an ErrorTriggeredPlasticity module.", nameof(soel));
        if (settings.FrozenLayers >= network.LayerCount)
            throw new ArgumentException($"the network has {network.LayerCount} weight layers; at most {network.LayerCount - 1} can be frozen (the head always adapts), got {settings.FrozenLayers}.", nameof(settings));
        (Network, Settings, Rates, Soel) = (network, settings, rates, soel);
        var names = FunctionalCall.ParameterNames(network);
        int head = network.LayerCount - 1;
        _adapts = network.LayerOfParameter.Select(l => settings.Soel is null ? l >= settings.FrozenLayers : l == head).ToArray();
        _headWeight = names.ToList().IndexOf("head.weight");
        _headBias = names.ToList().IndexOf("head.bias");
    }

    /// <summary>The network.</summary>
    public FewShotNetwork Network { get; }

    /// <summary>The settings.</summary>
    public InnerLoopSettings Settings { get; }

    /// <summary>The step sizes.</summary>
    public InnerLearningRates Rates { get; }

    /// <summary>The error-triggered rule, when SOEL is on.</summary>
    public ErrorTriggeredPlasticity? Soel { get; }

    /// <summary>Whether parameter i (in <see cref="FunctionalCall.Parameters"/> order) changes in the inner loop.</summary>
    public IReadOnlyList<bool> Adapts => _adapts;

    /// <summary>Adapts <paramref name="start"/> to the support set with <paramref name="steps"/> SGD steps.</summary>
    /// <param name="start">θ_0; the tensors that adapt must require grad.</param>
    /// <param name="frames">Support frames [T, batch, ...].</param>
    /// <param name="labels">Support labels [batch], int64.</param>
    /// <param name="steps">n (0 returns θ_0).</param>
    /// <param name="createGraph">Second order: keep the inner gradients differentiable.</param>
    /// <exception cref="ArgumentException">A parameter that adapts does not require grad, or the step count is negative.</exception>
    public Adaptation Adapt(IReadOnlyList<Tensor> start, Tensor frames, Tensor labels, int steps, bool createGraph)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (steps < 0) throw new ArgumentException($"inner steps must be >= 0, got {steps}.", nameof(steps));
        if (start.Count != _adapts.Length) throw new ArgumentException($"the network has {_adapts.Length} parameters; {start.Count} were given.", nameof(start));
        for (int i = 0; i < start.Count; i++)
            if (_adapts[i] && steps > 0 && !start[i].requires_grad)
                throw new ArgumentException($"parameter {i} adapts in the inner loop but does not require grad.", nameof(start));
        var theta = start.ToArray();
        var losses = new List<double>(steps);
        for (int step = 0; step < steps; step++)
        {
            var updates = Settings.Soel is null ? SgdUpdates(theta, frames, labels, createGraph, losses) : SoelUpdates(theta, frames, labels, createGraph, losses);
            for (int i = 0; i < theta.Length; i++)
            {
                if (updates[i] is not { } update) continue;
                if (Settings.UpdateThreshold is { } fraction) update = Thresholded(update, fraction);
                var next = theta[i] + update;
                theta[i] = Settings.Quantizer is { } q && Network.IsWeight[i] ? q.Apply(next) : next;
            }
        }
        return new Adaptation(theta, losses);
    }

    /// <summary>Keeps only the elements of <paramref name="update"/> whose magnitude exceeds <paramref name="fraction"/> of the range of magnitudes (Eq. 6).</summary>
    public static Tensor Thresholded(Tensor update, double fraction)
    {
        Tensor mask;
        using (no_grad())
        {
            var magnitude = update.detach().abs();
            var range = magnitude.max() - magnitude.min();
            mask = (magnitude > range * fraction).to(update.dtype);
        }
        return update * mask;
    }

    private Tensor?[] SgdUpdates(Tensor[] theta, Tensor frames, Tensor labels, bool createGraph, List<double> losses)
    {
        Tensor loss;
        using (FunctionalCall.Use(Network, theta)) loss = Loss.CrossEntropy(Network.forward(frames), labels);
        losses.Add(loss.ToDouble());
        var adapting = Enumerable.Range(0, theta.Length).Where(i => _adapts[i]).ToArray();
        var grads = Autograd.Grad([loss], adapting.Select(i => theta[i]).ToArray(), createGraph: createGraph);
        var updates = new Tensor?[theta.Length];
        for (int j = 0; j < adapting.Length; j++)
        {
            int i = adapting[j];
            updates[i] = Rates.Update(i, createGraph ? grads[j] : grads[j].detach());
        }
        return updates;
    }

    private Tensor?[] SoelUpdates(Tensor[] theta, Tensor frames, Tensor labels, bool createGraph, List<double> losses)
    {
        var (weight, bias, loss) = Soel!.HeadUpdates(Network, theta, frames, labels,
            g => Rates.Update(_headWeight, g), g => Rates.Update(_headBias, g), createGraph);
        losses.Add(loss.ToDouble());
        var updates = new Tensor?[theta.Length];
        updates[_headWeight] = weight;
        if (_headBias >= 0 && bias is not null) updates[_headBias] = bias;
        return updates;
    }
}
