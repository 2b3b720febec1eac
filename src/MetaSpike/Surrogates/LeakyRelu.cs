using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Leaky-ReLU surrogate: G = alpha for x &lt; 0, beta for x &gt;= 0.</summary>
public sealed class LeakyRelu : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 0.1, HyperparameterDomain.NonNegative, "slope for x < 0"),
        new("beta", 1.0, HyperparameterDomain.NonNegative, "slope for x >= 0"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Slope for x &lt; 0 (default 0.1); a number or a tensor.</param>
    /// <param name="beta">Slope for x &gt;= 0 (default 1.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public LeakyRelu(HyperValue? alpha = null, HyperValue? beta = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha, beta], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return where(x.lt(0), theta[0].expand_as(x), theta[1].expand_as(x));
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return where(x.lt(0), theta[0] * x, theta[1] * x);
    }
}
