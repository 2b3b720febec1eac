namespace MetaSpike.Tests.Surrogates;

/// <summary>
/// Independent float64 closed forms of G and F for every family, written from the formulas of
/// shared/spec/surrogates.md section 3 in plain C# arithmetic (no TorchSharp), used as the reference for
/// values and, by central finite differences, for second and hyperparameter derivatives.
/// </summary>
internal sealed record ClosedForm(
    string Family,
    string[] Parameters,
    double[] Defaults,
    Func<double, double[], double> G,
    Func<double, double[], double>? F,
    Func<double[], double[]> Kinks,
    int Harmonics = 0)
{
    /// <summary>True if x is at least <paramref name="margin"/> away from every kink or jump of G.</summary>
    public bool Smooth(double x, double[] p, double margin = 1e-3) =>
        Kinks(p).All(k => Math.Abs(x - k) > margin);

    /// <summary>A second, non-default parameter set (every value changed), inside each domain.</summary>
    public double[] Alternative => Defaults.Select((v, i) => v == 0 ? 0.2 : v * (1.3 + 0.1 * i)).ToArray();

    public static readonly ClosedForm[] All =
    [
        new("Sigmoid", ["alpha"], [4.0],
            (x, p) => { var s = Logistic(p[0] * x); return p[0] * s * (1 - s); },
            (x, p) => Logistic(p[0] * x),
            _ => []),
        new("PiecewiseQuadratic", ["alpha"], [1.0],
            (x, p) => Math.Abs(x) > 1 / p[0] ? 0 : p[0] - p[0] * p[0] * Math.Abs(x),
            (x, p) => x < -1 / p[0] ? 0 : x > 1 / p[0] ? 1 : (1 - p[0] * Math.Abs(x) / 2) * p[0] * x + 0.5,
            p => [0, 1 / p[0], -1 / p[0]]),
        new("PiecewiseExp", ["alpha"], [1.0],
            (x, p) => p[0] / 2 * Math.Exp(-p[0] * Math.Abs(x)),
            (x, p) => x < 0 ? Math.Exp(p[0] * x) / 2 : 1 - Math.Exp(-p[0] * x) / 2,
            _ => [0]),
        new("SoftSign", ["alpha"], [1.0],
            (x, p) => p[0] * 0.5 / Math.Pow(1 + Math.Abs(p[0] * x), 2),
            (x, p) => x / (2 / p[0] + 2 * Math.Abs(x)) + 0.5,
            _ => [0]),
        new("Arctan", ["alpha"], [1.0],
            (x, p) => p[0] * 0.5 / (1 + Math.Pow(Math.PI / 2 * p[0] * x, 2)),
            (x, p) => Math.Atan(Math.PI / 2 * p[0] * x) / Math.PI + 0.5,
            _ => []),
        new("NonzeroSignLog", ["alpha"], [1.0],
            (x, p) => 1 / (1 / p[0] + Math.Abs(x)),
            (x, p) => (x < 0 ? -1 : 1) * Math.Log(Math.Abs(p[0] * x) + 1),
            _ => [0]),
        new("Erf", ["alpha"], [1.0],
            (x, p) => p[0] / Math.Sqrt(Math.PI) * Math.Exp(-p[0] * p[0] * x * x),
            (x, p) => 0.5 * (1 + ErfSeries(p[0] * x)),
            _ => []),
        new("PiecewiseLeakyRelu", ["c", "w"], [0.01, 1.0],
            (x, p) => Math.Abs(x) > p[1] ? p[0] : 1 / (2 * p[1]),
            (x, p) => x < -p[1] ? p[0] * x + p[0] * p[1] : x > p[1] ? p[0] * x - p[0] * p[1] + 1 : 0.5 * x / p[1] + 0.5,
            p => [p[1], -p[1]]),
        new("SquarewaveFourierSeries", ["t_period"], [8.0],
            (x, p) => 4 / p[0] * Enumerable.Range(1, 2).Sum(i => Math.Cos((2 * i - 1) * 2 * Math.PI / p[0] * x)),
            (x, p) => 0.5 + 2 / Math.PI * Enumerable.Range(1, 2).Sum(i => Math.Sin((2 * i - 1) * 2 * Math.PI / p[0] * x) / (2 * i - 1)),
            _ => [], Harmonics: 2),
        new("S2NN", ["alpha", "beta", "epsilon"], [4.0, 1.0, 1e-8],
            (x, p) => { var s = Logistic(p[0] * x); return x < 0 ? p[0] * s * (1 - s) : p[1] / (x + 1); },
            (x, p) => x < 0 ? Logistic(p[0] * x) : p[1] * Math.Log(Math.Abs(x + 1) + p[2]) + 0.5,
            _ => [0]),
        new("QPseudoSpike", ["alpha"], [2.0],
            (x, p) => Math.Pow(1 + 2 * Math.Abs(x) / (p[0] + 1), -p[0]),
            (x, p) =>
            {
                var b = 1 + 2 * Math.Abs(x) / (p[0] + 1);
                var integral = p[0] == 1 ? (p[0] + 1) / 2 * Math.Log(b) : (p[0] + 1) / (2 * (1 - p[0])) * (Math.Pow(b, 1 - p[0]) - 1);
                return 0.5 + Math.Sign(x) * integral;
            },
            _ => [0]),
        new("LeakyRelu", ["alpha", "beta"], [0.1, 1.0],
            (x, p) => x < 0 ? p[0] : p[1],
            (x, p) => x < 0 ? p[0] * x : p[1] * x,
            _ => [0]),
        new("LogTailedRelu", ["alpha"], [0.0],
            (x, p) => x > 1 ? 1 / x : x > 0 ? 1 : p[0],
            (x, p) => x > 1 ? 1 + Math.Log(x) : x > 0 ? x : p[0] * x,
            _ => [0, 1]),
        new("ReluGrad", ["alpha", "width"], [0.3, 1.0],
            (x, p) => Math.Max(p[0] * p[1] - Math.Abs(x) * p[0], 0),
            null,
            p => [0, p[1], -p[1]]),
        new("GaussianGrad", ["sigma", "alpha"], [0.5, 0.5],
            (x, p) => p[1] * Normal(x, 0, p[0]),
            null,
            _ => []),
        new("MultiGaussianGrad", ["h", "s", "sigma", "scale"], [0.15, 6.0, 0.5, 0.5],
            (x, p) => p[3] * ((1 + p[0]) * Normal(x, 0, p[2]) - p[0] * Normal(x, p[2], p[1] * p[2]) - p[0] * Normal(x, -p[2], p[1] * p[2])),
            null,
            _ => []),
        new("InvSquareGrad", ["alpha"], [100.0],
            (x, p) => 1 / Math.Pow(p[0] * Math.Abs(x) + 1, 2),
            null,
            _ => [0]),
        new("SlayerGrad", ["alpha"], [1.0],
            (x, p) => Math.Exp(-p[0] * Math.Abs(x)),
            null,
            _ => [0]),
        new("FastSigmoid", ["slope"], [25.0],
            (x, p) => 1 / Math.Pow(p[0] * Math.Abs(x) + 1, 2),
            (x, p) => 0.5 + x / (1 + p[0] * Math.Abs(x)),
            _ => [0]),
    ];

    public static ClosedForm Of(string family) => All.Single(c => c.Family == family);

    private static double Logistic(double z) => 1 / (1 + Math.Exp(-z));

    private static double Normal(double x, double mean, double std) =>
        Math.Exp(-(x - mean) * (x - mean) / (2 * std * std)) / (Math.Sqrt(2 * Math.PI) * std);

    /// <summary>erf by its Maclaurin series; accurate to ~1e-13 for |z| &lt;= 3, the range the tests use.</summary>
    private static double ErfSeries(double z)
    {
        if (Math.Abs(z) > 3.5) return Math.Sign(z) * (1 - ErfcTail(Math.Abs(z)));
        double sum = 0, term = z;
        for (int n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -z * z / (n + 1);
            if (Math.Abs(term) < 1e-17) break;
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    /// <summary>erfc(z) for z &gt; 3.5 by its continued fraction (only the test vector at 2*alpha needs it).</summary>
    private static double ErfcTail(double z)
    {
        double f = 0;
        for (int k = 60; k >= 1; k--) f = k / 2.0 / (z + f);
        return Math.Exp(-z * z) / Math.Sqrt(Math.PI) / (z + f);
    }
}
