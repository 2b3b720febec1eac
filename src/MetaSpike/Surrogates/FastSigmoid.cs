using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>SuperSpike / snntorch fast sigmoid: G = 1 / (slope |x| + 1)^2 (Zenke and Ganguli 2018), with F = 0.5 + x / (1 + slope |x|). snntorch's default slope is 25; SpyTorch uses 100.</summary>
public sealed class FastSigmoid : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("slope", 25.0, HyperparameterDomain.Positive, "steepness"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="slope">Steepness (default 25.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public FastSigmoid(HyperValue? slope = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [slope], trainable, hyperGradient)
    {
    }

    internal override IElementwiseGrad ElementwiseGrad => InverseSquareKernel.Instance;

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return InvSquareGrad.Curve(x, theta[0]);
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        return 0.5 + x / (1.0 + theta[0] * x.abs());
    }
}
