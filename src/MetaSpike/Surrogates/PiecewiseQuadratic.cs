using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Triangle surrogate: G = alpha - alpha^2 |x| inside |x| &lt;= 1/alpha, else 0; peak alpha, area 1.</summary>
public sealed class PiecewiseQuadratic : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 1.0, HyperparameterDomain.Positive, "1/alpha is the half-width"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">1/alpha is the half-width (default 1.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public PiecewiseQuadratic(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var alpha = theta[0];
        var ax = x.abs();
        var inside = alpha - alpha.square() * ax;
        return where(ax.gt(alpha.reciprocal()), zeros_like(inside), inside);
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var alpha = theta[0];
        var bound = alpha.reciprocal();
        var inside = (1.0 - alpha * x.abs() / 2.0) * alpha * x + 0.5;
        return where(x.lt(-bound), zeros_like(inside), where(x.gt(bound), ones_like(inside), inside));
    }
}
