using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Log-tailed ReLU surrogate: G = alpha for x &lt;= 0, 1 on (0, 1], 1/x above 1.</summary>
public sealed class LogTailedRelu : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 0.0, HyperparameterDomain.NonNegative, "slope for x <= 0"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Slope for x &lt;= 0 (default 0.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public LogTailedRelu(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var above = x.gt(1);
        var safe = where(above, x, ones_like(x));
        return where(above, safe.reciprocal(), where(x.gt(0), ones_like(x), theta[0].expand_as(x)));
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var above = x.gt(1);
        var safe = where(above, x, ones_like(x));
        return where(above, 1.0 + safe.log(), where(x.gt(0), x, theta[0] * x));
    }
}
