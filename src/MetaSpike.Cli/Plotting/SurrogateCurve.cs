using MetaSpike.Surrogates;
using static TorchSharp.torch;

namespace MetaSpike.Cli.Plotting;

/// <summary>Sampled G(x) (and optionally F(x)) of one surrogate, ready to plot.</summary>
internal sealed record SurrogateCurve(string Label, double[] X, double[] G, double[]? F)
{
    public static SurrogateCurve Sample(SurrogateFunction family, double lo, double hi, int points, string label, bool withOriginal)
    {
        using var scope = NewDisposeScope();
        var x = linspace(lo, hi, points, ScalarType.Float64);
        var g = family.SurrogateGrad(x).data<double>().ToArray();
        var f = withOriginal && family.HasOriginalFunction ? family.OriginalFunction(x).data<double>().ToArray() : null;
        return new SurrogateCurve(label, x.data<double>().ToArray(), g, f);
    }
}
