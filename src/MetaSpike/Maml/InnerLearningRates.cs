using MetaSpike.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>How the inner loop's SGD step size is set.</summary>
public enum InnerRateKind
{
    /// <summary>One fixed step size for every parameter (the paper: 1.0).</summary>
    Fixed,

    /// <summary>One learnable step size per parameter tensor (per layer), meta-learned in the outer loop.</summary>
    PerTensor,

    /// <summary>One learnable step size per parameter element, as in Meta-SGD (Li et al. 2017).</summary>
    PerElement,
}

/// <summary>
/// The inner loop's step sizes: a fixed number, or meta-learned tensors (registered as this module's parameters,
/// so the outer optimiser and checkpoints include them). Learnable rates may become negative, as in Meta-SGD.
/// </summary>
public sealed class InnerLearningRates : nn.Module
{
    private readonly Parameter[] _rates;

    /// <summary>Creates the rates for <paramref name="network"/>'s parameters, all starting at <paramref name="initial"/>.</summary>
    /// <exception cref="ArgumentException">The rate is not finite or not positive, or the kind is unknown.</exception>
    public InnerLearningRates(nn.Module network, InnerRateKind kind, double initial) : base(nameof(InnerLearningRates))
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!double.IsFinite(initial) || initial <= 0) throw new ArgumentException($"the inner learning rate must be finite and > 0, got {initial}.", nameof(initial));
        if (!Enum.IsDefined(kind)) throw new ArgumentException($"unknown inner rate kind {kind}.", nameof(kind));
        (Kind, Initial) = (kind, initial);
        var parameters = FunctionalCall.Parameters(network);
        _rates = kind switch
        {
            InnerRateKind.PerTensor => parameters.Select(p => new Parameter(full([], initial, p.dtype, p.device))).ToArray(),
            InnerRateKind.PerElement => parameters.Select(p => new Parameter(full_like(p, initial))).ToArray(),
            _ => [],
        };
        for (int i = 0; i < _rates.Length; i++) register_parameter($"rate{i}", _rates[i]);
    }

    /// <summary>Fixed, per tensor or per element.</summary>
    public InnerRateKind Kind { get; }

    /// <summary>The starting (for <see cref="InnerRateKind.Fixed"/>: the only) step size.</summary>
    public double Initial { get; }

    /// <summary>-rate_i · gradient, the SGD update of parameter <paramref name="index"/>.</summary>
    public Tensor Update(int index, Tensor gradient) => Kind == InnerRateKind.Fixed ? gradient * -Initial : -_rates[index] * gradient;

    /// <summary>The mean step size of each parameter tensor (for reports).</summary>
    public IReadOnlyList<double> MeanRates()
    {
        using var _ = no_grad();
        return Kind == InnerRateKind.Fixed ? [Initial] : _rates.Select(r => r.mean().ToDouble()).ToArray();
    }
}
