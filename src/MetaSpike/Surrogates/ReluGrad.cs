using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>Triangle surrogate (gradient-only): G = max(alpha*width - |x|*alpha, 0); peak alpha*width.</summary>
public sealed class ReluGrad : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 0.3, HyperparameterDomain.Positive, "height scale"),
        new("width", 1.0, HyperparameterDomain.Positive, "half-width"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Height scale (default 0.3); a number or a tensor.</param>
    /// <param name="width">Half-width (default 1.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public ReluGrad(HyperValue? alpha = null, HyperValue? width = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha, width], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var (alpha, width) = (theta[0], theta[1]);
        var ramp = alpha * width - x.abs() * alpha;
        return maximum(ramp, zeros_like(ramp));
    }
}
