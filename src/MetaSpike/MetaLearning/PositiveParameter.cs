using MetaSpike.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>
/// A hyperparameter that stays above a minimum by construction: value = minimum + softplus(raw), with the
/// unconstrained <see cref="Raw"/> the tensor an optimiser updates. No clipping is needed, and the gradient
/// never vanishes at a bound.
/// </summary>
public sealed class PositiveParameter
{
    private readonly double _minimum;

    /// <summary>Creates the parameter at <paramref name="initialValue"/>.</summary>
    /// <param name="initialValue">The starting value; must exceed <paramref name="minimum"/>.</param>
    /// <param name="minimum">The lower bound (default 0), never reached.</param>
    /// <exception cref="ArgumentException">A non-finite value or bound, or a value not above the bound.</exception>
    public PositiveParameter(double initialValue, double minimum = 0)
    {
        if (!double.IsFinite(minimum)) throw new ArgumentException($"the minimum must be finite, got {minimum}.", nameof(minimum));
        if (!double.IsFinite(initialValue) || initialValue <= minimum)
            throw new ArgumentException($"the initial value must be finite and above the minimum {minimum}, got {initialValue}.", nameof(initialValue));
        TorchRuntime.EnsureLoaded();
        _minimum = minimum;
        Raw = new Parameter(tensor(InverseSoftplus(initialValue - minimum), float32), requires_grad: true);
    }

    /// <summary>The unconstrained leaf parameter (requires grad); give it to the optimiser.</summary>
    public Tensor Raw { get; }

    /// <summary>minimum + softplus(raw), differentiable in <see cref="Raw"/>.</summary>
    public Tensor Value() => nn.functional.softplus(Raw) + _minimum;

    /// <summary>The current value as a number.</summary>
    public double Current
    {
        get
        {
            using var _ = no_grad();
            using var value = Value();
            return value.ToDouble();
        }
    }

    /// <summary>The raw value whose softplus is <paramref name="y"/> (y &gt; 0): log(exp(y) - 1), computed stably.</summary>
    /// <exception cref="ArgumentException">y is not positive and finite.</exception>
    public static double InverseSoftplus(double y)
    {
        if (!double.IsFinite(y) || y <= 0) throw new ArgumentException($"softplus only takes positive values; got {y}.", nameof(y));
        // log(e^y - 1): y + log(1 - e^-y) for large y (no overflow), a series for e^y - 1 near 0 (no cancellation).
        if (y > 20) return y + Math.Log(1 - Math.Exp(-y));
        return Math.Log(y < 1e-4 ? y * (1 + y / 2 * (1 + y / 3)) : Math.Exp(y) - 1);
    }
}
