using MetaSpike.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>
/// A scalar that must stay above a minimum (e.g. a surrogate's alpha &gt; 0), learned in an unconstrained space:
/// the optimiser moves <see cref="Raw"/> freely and the value is <c>minimum + softplus(raw)</c>, so no step, however
/// large, can leave the domain. Clipping after the step (braintools' tutorial) cannot promise that.
/// </summary>
public sealed class PositiveParameter
{
    private readonly double _minimum;

    /// <summary>Creates the parameter with value <paramref name="initialValue"/>.</summary>
    /// <param name="initialValue">The starting value; finite and above <paramref name="minimum"/>.</param>
    /// <param name="minimum">The lower bound (default 0), never reached; finite and &gt;= 0.</param>
    /// <exception cref="ArgumentException">A value out of range.</exception>
    public PositiveParameter(double initialValue, double minimum = 0)
    {
        if (!(minimum >= 0) || !double.IsFinite(minimum))
            throw new ArgumentException($"PositiveParameter: the minimum must be finite and >= 0, got {minimum}.", nameof(minimum));
        if (!(initialValue > minimum) || !double.IsFinite(initialValue))
            throw new ArgumentException($"PositiveParameter: the initial value must be finite and above the minimum {minimum}, got {initialValue}.", nameof(initialValue));
        TorchRuntime.EnsureLoaded();
        _minimum = minimum;
        Raw = new Parameter(tensor(InverseSoftplus(initialValue - minimum), float32), requires_grad: true);
    }

    /// <summary>The unconstrained leaf tensor (a <see cref="Parameter"/> requiring grad); give it to the optimiser.</summary>
    public Tensor Raw { get; }

    /// <summary>The value, <c>minimum + softplus(raw)</c>: a scalar tensor differentiable in <see cref="Raw"/>.</summary>
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

    /// <summary>
    /// The inverse of softplus, log(e^y - 1), for y &gt; 0: the raw value whose softplus is <paramref name="y"/>. For large y
    /// it is computed as y + log(1 - e^-y), which neither overflows nor loses the small correction.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is not finite and positive.</exception>
    public static double InverseSoftplus(double y)
    {
        if (!(y > 0) || !double.IsFinite(y))
            throw new ArgumentException($"InverseSoftplus: the value must be finite and > 0, got {y}.", nameof(y));
        return y > 20 ? y + Math.Log(-ExpM1(-y)) : Math.Log(ExpM1(y));
    }

    /// <summary>e^x - 1 to a few ulps, also for tiny x (Kahan's method; .NET's <c>double.ExpM1</c> is exp(x) - 1, which cancels).</summary>
    private static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : um1 * x / Math.Log(u);
    }
}
