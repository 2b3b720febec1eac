using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>q-PseudoSpike surrogate: G = (1 + 2|x|/(alpha + 1))^(-alpha); G(0) = 1 and power-law tails (alpha = tail fatness q).</summary>
public sealed class QPseudoSpike : SurrogateFunction
{
    /// <summary>The hyperparameters, in constructor order.</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("alpha", 2.0, HyperparameterDomain.Positive, "tail fatness q"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="alpha">Tail fatness q (default 2.0); a number or a tensor.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    public QPseudoSpike(HyperValue? alpha = null, bool trainable = false, HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [alpha], trainable, hyperGradient)
    {
    }

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var alpha = theta[0];
        var b = 1.0 + 2.0 * x.abs() / (alpha + 1.0);
        return b.pow(-alpha);
    }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var alpha = theta[0];
        var logB = (1.0 + 2.0 * x.abs() / (alpha + 1.0)).log();
        var isOne = alpha.eq(1.0);
        // expm1 keeps alpha near 1 accurate; the denominator is guarded so alpha == 1 never divides by zero.
        var oneMinus = where(isOne, ones_like(alpha), 1.0 - alpha);
        var general = (alpha + 1.0) / (2.0 * oneMinus) * (oneMinus * logB).expm1();
        var integral = where(isOne, (alpha + 1.0) / 2.0 * logB, general);
        return 0.5 + x.sign() * integral;
    }
}
