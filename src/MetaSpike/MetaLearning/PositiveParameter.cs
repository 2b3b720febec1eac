using System.Globalization;
using MetaSpike.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>
/// A scalar hyperparameter kept above a minimum by construction: an unconstrained leaf tensor <see cref="Raw"/>
/// is optimised, and the value is <c>minimum + softplus(raw)</c>. No clipping is needed and no update can make the
/// value reach the minimum; the gradient of the value in raw is <c>sigmoid(raw)</c>, never zero.
/// </summary>
/// <remarks>
/// Give <see cref="Raw"/> to an optimiser and call <see cref="Value"/> again after every step: the value is
/// recomputed from raw each time, so it carries the graph back to raw. Raw is a float64 scalar (a 0-dim tensor,
/// which combines with float32 tensors without promoting them), on the CPU. In floating point the value can round
/// to the minimum only when softplus(raw) falls below the minimum's rounding unit (for minimum 0: raw below about
/// -745), which no sensible learning rate reaches.
/// </remarks>
public sealed class PositiveParameter
{
    /// <summary>Creates the parameter with raw = InverseSoftplus(initialValue - minimum).</summary>
    /// <param name="initialValue">The starting value; finite and greater than <paramref name="minimum"/>.</param>
    /// <param name="minimum">The lower bound the value stays above (default 0); finite and &gt;= 0.</param>
    /// <exception cref="ArgumentException">A value is not finite, the minimum is negative, or the initial value is not above it.</exception>
    public PositiveParameter(double initialValue, double minimum = 0)
    {
        if (!double.IsFinite(minimum) || minimum < 0)
            throw new ArgumentException($"PositiveParameter: the minimum must be finite and >= 0, got {Text(minimum)}.", nameof(minimum));
        if (!double.IsFinite(initialValue) || !(initialValue > minimum))
            throw new ArgumentException($"PositiveParameter: the initial value must be finite and > the minimum {Text(minimum)}, got {Text(initialValue)}.", nameof(initialValue));
        TorchRuntime.EnsureLoaded();
        Minimum = minimum;
        Raw = new Parameter(tensor(InverseSoftplus(initialValue - minimum), ScalarType.Float64), requires_grad: true);
    }

    /// <summary>The unconstrained leaf tensor (a float64 scalar that requires grad); optimise this.</summary>
    public Parameter Raw { get; }

    /// <summary>The lower bound.</summary>
    public double Minimum { get; }

    /// <summary>minimum + softplus(raw), a float64 scalar attached to <see cref="Raw"/>'s graph. Call it again after each update.</summary>
    public Tensor Value() => Minimum + nn.functional.softplus(Raw);

    /// <summary>The current value as a number (no graph).</summary>
    public double Current
    {
        get
        {
            using var _ = no_grad();
            using var value = Value();
            return value.item<double>();
        }
    }

    /// <summary>Sets raw so that the value becomes <paramref name="value"/> (in place; optimisers keep their reference).</summary>
    /// <exception cref="ArgumentException">The value is not finite or not above the minimum.</exception>
    public void Set(double value)
    {
        if (!double.IsFinite(value) || !(value > Minimum))
            throw new ArgumentException($"PositiveParameter: the value must be finite and > the minimum {Text(Minimum)}, got {Text(value)}.", nameof(value));
        using var _ = no_grad();
        Raw.fill_(InverseSoftplus(value - Minimum));
    }

    /// <summary>
    /// The inverse of softplus(r) = log(1 + e^r): r = log(e^y - 1), computed as y + log(1 - e^-y) so that it stays
    /// exact for large y and for y near 0.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is not finite or not &gt; 0 (softplus only takes positive values).</exception>
    public static double InverseSoftplus(double y)
    {
        if (!double.IsFinite(y) || !(y > 0))
            throw new ArgumentException($"InverseSoftplus: softplus takes only finite positive values, got {Text(y)}.", nameof(y));
        return y + Math.Log(-ExpM1(-y));
    }

    /// <summary>e^x - 1 without cancellation for small |x| (Kahan's formula: (u - 1) x / log u with u = e^x).</summary>
    private static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : um1 * x / Math.Log(u);
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"PositiveParameter(value={Current:G6}, minimum={Minimum:G6})");

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
