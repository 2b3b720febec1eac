using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Logistic surrogate: G = alpha * s * (1 - s) with s = sigmoid(alpha * x); peak alpha/4, area 1.</summary>
public sealed class Sigmoid : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 4.0, HyperparameterDomain.Positive, "steepness"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Steepness (default 4.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public Sigmoid(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        // s(1 - s) as sigmoid(z) * sigmoid(-z): equal to rounding, but 1 - s would cancel in float32 for z > 0.
        var alpha = theta[0];
        var z = alpha * x;
        return z.sigmoid() * (-z).sigmoid() * alpha;
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return (theta[0] * x).sigmoid();
    }
}
