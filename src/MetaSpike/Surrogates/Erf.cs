using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Gaussian-error-function surrogate (braintools' ERF): G = (alpha/sqrt(pi)) exp(-alpha^2 x^2); area 1.</summary>
public sealed class Erf : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 1.0, HyperparameterDomain.Positive, "steepness"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Steepness (default 1.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public Erf(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var alpha = theta[0];
        return alpha / Math.Sqrt(Math.PI) * (-(alpha * x).square()).exp();
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return 0.5 * special.erfc(-theta[0] * x);
    }
}
