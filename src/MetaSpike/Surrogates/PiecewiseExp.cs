using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Two-sided exponential surrogate: G = (alpha/2) exp(-alpha |x|); peak alpha/2, area 1.</summary>
public sealed class PiecewiseExp : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 1.0, HyperparameterDomain.Positive, "decay rate"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Decay rate (default 1.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public PiecewiseExp(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var alpha = theta[0];
        return alpha / 2.0 * (-alpha * x.abs()).exp();
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var alpha = theta[0];
        // Each branch sees only its own half-line, so the unselected exponential never overflows.
        var left = (alpha * x.clamp_max(0)).exp() / 2.0;
        var right = 1.0 - (-alpha * x.clamp_min(0)).exp() / 2.0;
        return where(x.lt(0), left, right);
    }
}
