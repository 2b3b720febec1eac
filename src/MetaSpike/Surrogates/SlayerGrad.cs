using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>SLAYER's exponential surrogate (gradient-only): G = exp(-alpha |x|); G(0) = 1, area 2/alpha.</summary>
public sealed class SlayerGrad : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 1.0, HyperparameterDomain.Positive, "decay rate"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Decay rate (default 1.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public SlayerGrad(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return (-theta[0] * x.abs()).exp();
    }
}
