using MetaSpike.MetaLearning;
using MetaSpike.Surrogates;

namespace MetaSpike.Tests.MetaLearning;

public class HyperparameterDerivativesTests
{
    private static double Sigma(double z) => 1 / (1 + Math.Exp(-z));

    [Fact]
    public void Sum_of_the_original_function_has_the_closed_form_derivative_and_matches_finite_differences()
    {
        double[] points = [0, 0.5, 1];
        double[] alphas = [0.5, 1, 2.5, 4, 8];
        var sweep = HyperparameterDerivatives.OriginalSumSweep(new Sigmoid(), "alpha", alphas, points);
        Assert.Equal(alphas.Length, sweep.Count);
        foreach (var p in sweep)
        {
            // L = sum sigma(alpha x), dL/dalpha = sum x sigma'(alpha x).
            double loss = points.Sum(x => Sigma(p.Value * x));
            double gradient = points.Sum(x => x * Sigma(p.Value * x) * (1 - Sigma(p.Value * x)));
            Assert.Equal(loss, p.Loss, 12);
            Assert.Equal(gradient, p.Gradient, 12);
            Assert.True(Math.Abs(p.Gradient - p.FiniteDifference) < 1e-8, $"alpha {p.Value}: autograd {p.Gradient} vs finite differences {p.FiniteDifference}");
            Assert.True(p.Gradient > 0);
        }
        // The loss really changes with alpha (the tutorial's sum of spikes would be constant).
        Assert.True(sweep[^1].Loss - sweep[0].Loss > 0.5);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(4.0)]
    [InlineData(8.0)]
    public void Sigmoid_peak_is_alpha_over_four_at_zero_and_grows_by_a_quarter_per_unit_alpha(double alpha)
    {
        var grid = Enumerable.Range(0, 401).Select(i => -2.0 + i / 100.0).ToArray();
        var family = new Sigmoid();
        var shape = HyperparameterDerivatives.GradientShape(family, "alpha", alpha, grid);
        Assert.Equal(alpha / 4, shape.Peak, 12);
        Assert.Equal(0.0, shape.PeakAt, 12);
        Assert.Equal(alpha / 4, shape.GradientAtZero, 12);
        Assert.Equal(0.25, shape.SensitivityAtZero, 12);
        Assert.Equal(grid.Length, shape.G.Length);
        Assert.Equal(4.0, family.Hyperparameter("alpha").item<double>()); // restored
    }

    [Fact]
    public void Gradient_only_families_and_bad_names_are_rejected()
    {
        Assert.Throws<NotSupportedException>(() => HyperparameterDerivatives.OriginalSumSweep(new GaussianGrad(), "sigma", [0.5], [0.0]));
        Assert.Throws<ArgumentException>(() => HyperparameterDerivatives.OriginalSumSweep(new Sigmoid(), "gamma", [1.0], [0.0]));
        Assert.Throws<ArgumentException>(() => HyperparameterDerivatives.OriginalSumSweep(new Sigmoid(), "alpha", [-1.0], [0.0]));
        Assert.Throws<ArgumentException>(() => HyperparameterDerivatives.GradientShape(new Sigmoid(trainable: true), "alpha", 2.0, [0.0]));
    }
}
