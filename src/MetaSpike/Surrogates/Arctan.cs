using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Arctangent surrogate: G = (alpha/2) / (1 + (pi/2 alpha x)^2); peak alpha/2, area 1. snntorch's <c>atan</c> is alpha = 2.</summary>
public sealed class Arctan : SurrogateFunction
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
    public Arctan(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var alpha = theta[0];
        return alpha * 0.5 / (1.0 + (Math.PI / 2.0 * alpha * x).square());
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return (Math.PI / 2.0 * theta[0] * x).atan() / Math.PI + 0.5;
    }
}
