using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>
/// Functional forms: <c>Surrogate.Sigmoid(x, alpha)</c> equals <c>new Sigmoid(alpha).forward(x)</c> without
/// building a module. Hyperparameters are numbers or tensors (tensors that require grad receive gradients).
/// </summary>
public static class Surrogate
{
    private static readonly ConcurrentDictionary<(Type, int), SurrogateFunction> Shared = new();

    /// <summary>H(x) with the <see cref="Surrogates.Sigmoid"/> gradient.</summary>
    public static Tensor Sigmoid(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new Sigmoid(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.PiecewiseQuadratic"/> gradient.</summary>
    public static Tensor PiecewiseQuadratic(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new PiecewiseQuadratic(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.PiecewiseExp"/> gradient.</summary>
    public static Tensor PiecewiseExp(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new PiecewiseExp(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.SoftSign"/> gradient.</summary>
    public static Tensor SoftSign(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new SoftSign(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.Arctan"/> gradient.</summary>
    public static Tensor Arctan(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new Arctan(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.NonzeroSignLog"/> gradient.</summary>
    public static Tensor NonzeroSignLog(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new NonzeroSignLog(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.Erf"/> gradient.</summary>
    public static Tensor Erf(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new Erf(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.PiecewiseLeakyRelu"/> gradient.</summary>
    public static Tensor PiecewiseLeakyRelu(Tensor x, HyperValue? c = null, HyperValue? w = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new PiecewiseLeakyRelu(), x, hyperGradient, c, w);

    /// <summary>H(x) with the <see cref="Surrogates.SquarewaveFourierSeries"/> gradient.</summary>
    public static Tensor SquarewaveFourierSeries(Tensor x, int n = 2, HyperValue? tPeriod = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new SquarewaveFourierSeries(n), x, hyperGradient, [tPeriod], n);

    /// <summary>H(x) with the <see cref="Surrogates.S2NN"/> gradient.</summary>
    public static Tensor S2NN(Tensor x, HyperValue? alpha = null, HyperValue? beta = null, HyperValue? epsilon = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new S2NN(), x, hyperGradient, alpha, beta, epsilon);

    /// <summary>H(x) with the <see cref="Surrogates.QPseudoSpike"/> gradient.</summary>
    public static Tensor QPseudoSpike(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new QPseudoSpike(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.LeakyRelu"/> gradient.</summary>
    public static Tensor LeakyRelu(Tensor x, HyperValue? alpha = null, HyperValue? beta = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new LeakyRelu(), x, hyperGradient, alpha, beta);

    /// <summary>H(x) with the <see cref="Surrogates.LogTailedRelu"/> gradient.</summary>
    public static Tensor LogTailedRelu(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new LogTailedRelu(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.ReluGrad"/> gradient.</summary>
    public static Tensor ReluGrad(Tensor x, HyperValue? alpha = null, HyperValue? width = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new ReluGrad(), x, hyperGradient, alpha, width);

    /// <summary>H(x) with the <see cref="Surrogates.GaussianGrad"/> gradient.</summary>
    public static Tensor GaussianGrad(Tensor x, HyperValue? sigma = null, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new GaussianGrad(), x, hyperGradient, sigma, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.MultiGaussianGrad"/> gradient.</summary>
    public static Tensor MultiGaussianGrad(Tensor x, HyperValue? h = null, HyperValue? s = null, HyperValue? sigma = null, HyperValue? scale = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new MultiGaussianGrad(), x, hyperGradient, h, s, sigma, scale);

    /// <summary>H(x) with the <see cref="Surrogates.InvSquareGrad"/> gradient.</summary>
    public static Tensor InvSquareGrad(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new InvSquareGrad(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.SlayerGrad"/> gradient.</summary>
    public static Tensor SlayerGrad(Tensor x, HyperValue? alpha = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new SlayerGrad(), x, hyperGradient, alpha);

    /// <summary>H(x) with the <see cref="Surrogates.FastSigmoid"/> (SuperSpike) gradient.</summary>
    public static Tensor FastSigmoid(Tensor x, HyperValue? slope = null, HyperGradientMode hyperGradient = default) =>
        Apply(() => new FastSigmoid(), x, hyperGradient, slope);

    private static Tensor Apply<T>(Func<T> create, Tensor x, HyperGradientMode mode, params HyperValue?[] values)
        where T : SurrogateFunction => Apply(create, x, mode, values, 0);

    private static Tensor Apply<T>(Func<T> create, Tensor x, HyperGradientMode mode, HyperValue?[] values, int variant)
        where T : SurrogateFunction
    {
        ArgumentNullException.ThrowIfNull(x);
        var family = Shared.GetOrAdd((typeof(T), variant), _ => create());
        family.CheckSupports(mode);
        var theta = new Tensor[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var info = family.HyperparameterInfos[i];
            var value = values[i] ?? info.Default;
            info.Validate(family.Family, value);
            theta[i] = value.ToTensor(x.device);
        }
        return SurrogateKernel.Spike(family, x, theta, mode);
    }
}
