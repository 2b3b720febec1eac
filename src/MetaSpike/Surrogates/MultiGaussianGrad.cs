using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Mexican-hat surrogate (gradient-only): scale[(1+h)N(x;0,sigma) - h N(x;sigma,s sigma) - h N(x;-sigma,s sigma)]; negative in the tails.</summary>
public sealed class MultiGaussianGrad : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("h", 0.15, HyperparameterDomain.NonNegative, "weight of the side lobes"),
        new("s", 6.0, HyperparameterDomain.Positive, "width factor of the side lobes"),
        new("sigma", 0.5, HyperparameterDomain.Positive, "standard deviation"),
        new("scale", 0.5, HyperparameterDomain.Positive, "overall scale"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="h">Weight of the side lobes (default 0.15); a number or a tensor.</param>
    /// <param name="s">Width factor of the side lobes (default 6.0); a number or a tensor.</param>
    /// <param name="sigma">Standard deviation (default 0.5); a number or a tensor.</param>
    /// <param name="scale">Overall scale (default 0.5); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public MultiGaussianGrad(HyperValue? h = null, HyperValue? s = null, HyperValue? sigma = null, HyperValue? scale = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [h, s, sigma, scale], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var (h, s, sigma, scale) = (theta[0], theta[1], theta[2], theta[3]);
        var wide = s * sigma;
        var centre = (1.0 + h) * Normal(x, null, sigma);
        var sides = h * (Normal(x, sigma, wide) + Normal(x, -sigma, wide));
        return scale * (centre - sides);
    }
}
