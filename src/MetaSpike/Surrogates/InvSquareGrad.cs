using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>SuperSpike's fast-sigmoid derivative (gradient-only): G = 1 / (alpha |x| + 1)^2; G(0) = 1, area 2/alpha.</summary>
public sealed class InvSquareGrad : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 100.0, HyperparameterDomain.Positive, "steepness"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Steepness (default 100.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public InvSquareGrad(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    internal override IElementwiseGrad ElementwiseGrad => InverseSquareKernel.Instance;

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return Curve(x, theta[0]);
    }

    /// <summary>1 / (alpha |x| + 1)^2, shared with <see cref="FastSigmoid"/>.</summary>
    internal static Tensor Curve(Tensor x, Tensor alpha) => (alpha * x.abs() + 1.0).square().reciprocal();
}
