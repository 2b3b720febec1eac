using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Gaussian surrogate (gradient-only): G = alpha N(x; 0, sigma); peak alpha/(sigma sqrt(2 pi)), area alpha. Constructor order: sigma, alpha.</summary>
public sealed class GaussianGrad : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("sigma", 0.5, HyperparameterDomain.Positive, "standard deviation"),
        new("alpha", 0.5, HyperparameterDomain.Positive, "area"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="sigma">Standard deviation (default 0.5); a number or a tensor.</param>
    /// <param name="alpha">Area (default 0.5); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public GaussianGrad(HyperValue? sigma = null, HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [sigma, alpha], trainable, hyperGradient)
    {
    }

    /// <summary>braintools prints alpha before sigma, although the constructor takes sigma first.</summary>
    protected override IEnumerable<string> ReprParts() => base.ReprParts().Reverse();

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return theta[1] * Normal(x, null, theta[0]);
    }
}
