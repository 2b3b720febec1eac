using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests;

/// <summary>Small helpers to read tensors and compare them with expected numbers.</summary>
internal static class TensorAssert
{
    public static double[] Values(Tensor t) => t.detach().to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();

    public static void Close(double expected, double actual, double rel, double abs, string what)
    {
        var tol = abs + rel * Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= tol || (double.IsNaN(expected) && double.IsNaN(actual)),
            $"{what}: expected {expected:R}, got {actual:R} (tolerance {tol:G3})");
    }

    public static void AllFinite(Tensor t, string what)
    {
        var v = Values(t);
        for (int i = 0; i < v.Length; i++)
            Assert.True(double.IsFinite(v[i]), $"{what}: element {i} is {v[i]}");
    }

    /// <summary>Relative and absolute tolerances for comparing a dtype's results with float64 references.</summary>
    public static (double Rel, double Abs) Tolerance(ScalarType dtype) =>
        dtype == ScalarType.Float64 ? (1e-12, 1e-14) : (2e-5, 2e-7);
}
