using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>S2NN surrogate: sigmoid-shaped (alpha) for x &lt; 0 and beta/(x + 1) for x &gt;= 0; G(0) = beta. epsilon is used only in F.</summary>
public sealed class S2NN : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 4.0, HyperparameterDomain.Positive, "steepness for x < 0"),
        new("beta", 1.0, HyperparameterDomain.Positive, "scale for x >= 0"),
        new("epsilon", 1e-8, HyperparameterDomain.NonNegative, "keeps F's logarithm finite"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Steepness for x &lt; 0 (default 4.0); a number or a tensor.</param>
    /// <param name="beta">Scale for x &gt;= 0 (default 1.0); a number or a tensor.</param>
    /// <param name="epsilon">Keeps F's logarithm finite (default 1e-08); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public S2NN(HyperValue? alpha = null, HyperValue? beta = null, HyperValue? epsilon = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha, beta, epsilon], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var (alpha, beta) = (theta[0], theta[1]);
        var negative = x.lt(0);
        var s = (alpha * x).sigmoid();
        var safe = where(negative, ones_like(x), x);
        return where(negative, alpha * s * (1.0 - s), beta / (safe + 1.0));
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var (alpha, beta, epsilon) = (theta[0], theta[1], theta[2]);
        var negative = x.lt(0);
        var safe = where(negative, ones_like(x), x);
        return where(negative, (alpha * x).sigmoid(), beta * ((safe + 1.0).abs() + epsilon).log() + 0.5);
    }
}
