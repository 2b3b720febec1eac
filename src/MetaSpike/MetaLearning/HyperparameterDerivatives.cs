using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>A loss and its derivative in a hyperparameter θ at one value of θ.</summary>
/// <param name="Value">θ.</param>
/// <param name="Loss">L(θ).</param>
/// <param name="Gradient">dL/dθ by autograd.</param>
/// <param name="FiniteDifference">dL/dθ by central finite differences, (L(θ+h) - L(θ-h)) / 2h.</param>
public sealed record HyperparameterLossPoint(double Value, double Loss, double Gradient, double FiniteDifference);

/// <summary>The surrogate derivative G(x; θ) on a grid, with its peak and its sensitivity to θ at x = 0.</summary>
/// <param name="Value">θ.</param>
/// <param name="X">The grid.</param>
/// <param name="G">G(x; θ) on the grid.</param>
/// <param name="Peak">The largest value of G on the grid.</param>
/// <param name="PeakAt">Where on the grid it is reached.</param>
/// <param name="GradientAtZero">G(0; θ).</param>
/// <param name="SensitivityAtZero">dG(0; θ)/dθ by autograd.</param>
public sealed record SurrogateGradientShape(double Value, double[] X, double[] G, double Peak, double PeakAt, double GradientAtZero, double SensitivityAtZero);

/// <summary>
/// Derivatives of surrogate functions in their hyperparameters, all in float64 (the "hyperparameter derivatives"
/// part of braintools' meta-learning tutorial).
/// </summary>
public static class HyperparameterDerivatives
{
    /// <summary>
    /// L(θ) = Σ_x F(x; θ), the sum of the family's smooth original function over fixed points, with dL/dθ by autograd
    /// and by central finite differences. Unlike a sum of spikes, whose value is a step function and does not change
    /// with θ at all, this loss depends on θ smoothly. The family's hyperparameter is replaced while measuring.
    /// </summary>
    /// <param name="family">A family with an original function, e.g. <see cref="Sigmoid"/>.</param>
    /// <param name="hyperparameter">The hyperparameter to vary, e.g. "alpha".</param>
    /// <param name="values">The values of θ.</param>
    /// <param name="points">The fixed x values.</param>
    /// <param name="relativeStep">h = relativeStep × max(1, |θ|) for the finite differences (default 1e-6).</param>
    /// <exception cref="NotSupportedException">The family has no original function.</exception>
    /// <exception cref="ArgumentException">An unknown hyperparameter, a value outside its domain, no points.</exception>
    public static IReadOnlyList<HyperparameterLossPoint> OriginalSumSweep(SurrogateFunction family, string hyperparameter,
        IReadOnlyList<double> values, IReadOnlyList<double> points, double relativeStep = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(points);
        if (!family.HasOriginalFunction) throw new NotSupportedException($"{family.Family} is gradient-only: it has no original function to sum.");
        if (points.Count == 0) throw new ArgumentException("at least one point x is required.", nameof(points));
        if (!(relativeStep > 0) || !double.IsFinite(relativeStep)) throw new ArgumentException($"the relative step must be finite and > 0, got {relativeStep}.", nameof(relativeStep));
        TorchRuntime.EnsureLoaded();
        var original = Original(family, hyperparameter);
        try
        {
            using var scope = NewDisposeScope();
            var x = tensor(points.ToArray(), ScalarType.Float64);
            double Loss(double theta)
            {
                family.SetHyperparameter(hyperparameter, theta);
                using var _ = no_grad();
                return family.OriginalFunction(x).sum().item<double>();
            }
            var result = new List<HyperparameterLossPoint>(values.Count);
            foreach (var value in values)
            {
                var theta = tensor(value, ScalarType.Float64).requires_grad_();
                family.SetHyperparameter(hyperparameter, theta);
                var loss = family.OriginalFunction(x).sum();
                double gradient = Autograd.Grad([loss], [theta])[0].item<double>();
                double h = relativeStep * Math.Max(1.0, Math.Abs(value));
                double fd = (Loss(value + h) - Loss(value - h)) / (2 * h);
                result.Add(new HyperparameterLossPoint(value, loss.item<double>(), gradient, fd));
            }
            return result;
        }
        finally
        {
            family.SetHyperparameter(hyperparameter, original);
        }
    }

    private static Tensor Original(SurrogateFunction family, string hyperparameter)
    {
        var current = family.Hyperparameter(hyperparameter);
        if (current is TorchSharp.Modules.Parameter)
            throw new ArgumentException($"{family.Family}: '{hyperparameter}' is a trainable parameter; measure on a family created without trainable: true.", nameof(hyperparameter));
        return current.detach().clone();
    }

    /// <summary>
    /// G(x; θ) on <paramref name="x"/> for one θ, its peak, G(0; θ) and dG(0; θ)/dθ by autograd. The family's
    /// hyperparameter is replaced while measuring.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown hyperparameter, a value outside its domain, an empty grid.</exception>
    public static SurrogateGradientShape GradientShape(SurrogateFunction family, string hyperparameter, double value, IReadOnlyList<double> x)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Count == 0) throw new ArgumentException("the grid needs at least one point.", nameof(x));
        TorchRuntime.EnsureLoaded();
        var original = Original(family, hyperparameter);
        try
        {
            using var scope = NewDisposeScope();
            var theta = tensor(value, ScalarType.Float64).requires_grad_();
            family.SetHyperparameter(hyperparameter, theta);
            var grid = tensor(x.ToArray(), ScalarType.Float64);
            var g = family.SurrogateGrad(grid).detach().data<double>().ToArray();
            var atZero = family.SurrogateGrad(tensor(0.0, ScalarType.Float64));
            double sensitivity = Autograd.Grad([atZero], [theta])[0].item<double>();
            int peak = Array.IndexOf(g, g.Max());
            return new SurrogateGradientShape(value, [.. x], g, g[peak], x[peak], atZero.item<double>(), sensitivity);
        }
        finally
        {
            family.SetHyperparameter(hyperparameter, original);
        }
    }
}
