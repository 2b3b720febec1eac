using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Soft-sign surrogate: G = (alpha/2) / (1 + |alpha x|)^2; peak alpha/2, area 1.</summary>
public sealed class SoftSign : SurrogateFunction
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
    public SoftSign(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var alpha = theta[0];
        return alpha * 0.5 / (1.0 + (alpha * x).abs()).square();
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return x / (2.0 / theta[0] + 2.0 * x.abs()) + 0.5;
    }
}
