using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Box surrogate with leak: G = 1/(2w) inside |x| &lt;= w, else c.</summary>
public sealed class PiecewiseLeakyRelu : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("c", 0.01, HyperparameterDomain.NonNegative, "slope outside the window"),
        new("w", 1.0, HyperparameterDomain.Positive, "half-width of the window"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="c">Slope outside the window (default 0.01); a number or a tensor.</param>
    /// <param name="w">Half-width of the window (default 1.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public PiecewiseLeakyRelu(HyperValue? c = null, HyperValue? w = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [c, w], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var (c, w) = (theta[0], theta[1]);
        var inside = (2.0 * w).reciprocal().expand_as(x);
        return where(x.abs().gt(w), c.expand_as(x), inside);
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var (c, w) = (theta[0], theta[1]);
        var middle = 0.5 * x / w + 0.5;
        return where(x.lt(-w), c * x + c * w, where(x.gt(w), c * x - c * w + 1.0, middle));
    }
}
