using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>
/// Fourier-series surrogate: G = (4/T) sum_{i=1..n} cos((2i-1) 2 pi x / T). Smooth, periodic with period T,
/// negative in places; G(0) = 4n/T. The number of harmonics n is a fixed integer (not differentiable).
/// </summary>
public sealed class SquarewaveFourierSeries : SurrogateFunction
{
    /// <summary>The tensor hyperparameters, in constructor order (n is a plain integer setting).</summary>
    public static readonly IReadOnlyList<HyperparameterInfo> Infos =
    [
        new("t_period", 8.0, HyperparameterDomain.Positive, "period T"),
    ];

    /// <summary>Creates the surrogate.</summary>
    /// <param name="n">Number of harmonics, at least 1 (default 2).</param>
    /// <param name="tPeriod">Period T (default 8.0); a number or a tensor.</param>
    /// <param name="trainable">Register T as a trainable parameter.</param>
    /// <param name="hyperGradient">How T gets a direct gradient through the spike.</param>
    public SquarewaveFourierSeries(int n = 2, HyperValue? tPeriod = null, bool trainable = false,
        HyperGradientMode hyperGradient = HyperGradientMode.BraintoolsCompatible)
        : base(Infos, [tPeriod], trainable, hyperGradient)
    {
        if (n < 1) throw new ArgumentException($"{nameof(SquarewaveFourierSeries)}: hyperparameter 'n' must be an integer >= 1, got {n}.", nameof(n));
        Harmonics = n;
    }

    /// <summary>The number of harmonics n.</summary>
    public int Harmonics { get; }

    /// <inheritdoc />
    public override bool HasOriginalFunction => true;

    /// <inheritdoc />
    protected override IEnumerable<string> ReprParts() => base.ReprParts().Prepend($"n={Harmonics}");

    /// <inheritdoc />
    protected internal override Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var period = theta[0];
        var phase = 2.0 * Math.PI / period * x;
        var sum = phase.cos();
        for (int i = 2; i <= Harmonics; i++)
            sum = sum + ((2 * i - 1) * phase).cos();
        return 4.0 / period * sum;
    }

    /// <inheritdoc />
    protected internal override Tensor Original(Tensor x, IReadOnlyList<Tensor> theta)
    {
        var phase = 2.0 * Math.PI / theta[0] * x;
        var sum = phase.sin();
        for (int i = 2; i <= Harmonics; i++)
            sum = sum + ((2 * i - 1) * phase).sin() / (2 * i - 1);
        return 0.5 + 2.0 / Math.PI * sum;
    }
}
