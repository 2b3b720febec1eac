using System.Globalization;

namespace MetaSpike.MetaLearning;

/// <summary>
/// A hyperparameter value as a pure function of the training step (annealing a surrogate's alpha, say from a
/// wide gradient at the start to a narrow one at the end). Progress is <c>f = step / (totalSteps - 1)</c>, so the
/// first step gets <see cref="Start"/> and the last step <see cref="End"/>; steps past the end keep the end value.
/// </summary>
public abstract class HyperparameterSchedule
{
    /// <summary>The forms <see cref="Parse"/> accepts, for help texts.</summary>
    public const string Syntax = "linear:START:END | cosine:START:END | exponential:START:END | constant:VALUE";

    private protected HyperparameterSchedule(double start, double end)
    {
        if (!double.IsFinite(start)) throw new ArgumentException($"{Name} schedule: the start value must be finite, got {Text(start)}.", nameof(start));
        if (!double.IsFinite(end)) throw new ArgumentException($"{Name} schedule: the end value must be finite, got {Text(end)}.", nameof(end));
        (Start, End) = (start, end);
    }

    /// <summary>The value at the first step.</summary>
    public double Start { get; }

    /// <summary>The value at the last step.</summary>
    public double End { get; }

    /// <summary>The schedule's name as <see cref="Parse"/> reads it, e.g. "cosine".</summary>
    public abstract string Name { get; }

    /// <summary>The value at <paramref name="step"/> (0 is the first) of a run of <paramref name="totalSteps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative or <paramref name="totalSteps"/> is below 1.</exception>
    public double ValueAt(int step, int totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        double f = totalSteps == 1 ? 0.0 : Math.Min(1.0, (double)step / (totalSteps - 1));
        return At(f);
    }

    /// <summary>The value at progress <paramref name="fraction"/> in [0, 1].</summary>
    protected abstract double At(double fraction);

    /// <summary>The text <see cref="Parse"/> turns back into this schedule, e.g. <c>cosine:1:8</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}:{Start:R}:{End:R}");

    /// <summary>
    /// Parses <c>linear:START:END</c>, <c>cosine:START:END</c>, <c>exponential:START:END</c> (or <c>exp:</c>) and
    /// <c>constant:VALUE</c>. Names are case-insensitive, numbers invariant-culture.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name, wrong number of fields, a malformed or out-of-range number; the message shows <see cref="Syntax"/>.</exception>
    public static HyperparameterSchedule Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var fields = spec.Split(':', StringSplitOptions.TrimEntries);
        var name = fields[0].ToLowerInvariant();
        try
        {
            return (name, fields.Length - 1) switch
            {
                ("linear", 2) => new Linear(Number(spec, fields[1]), Number(spec, fields[2])),
                ("cosine", 2) => new Cosine(Number(spec, fields[1]), Number(spec, fields[2])),
                ("exponential" or "exp", 2) => new Exponential(Number(spec, fields[1]), Number(spec, fields[2])),
                ("constant", 1) => new Constant(Number(spec, fields[1])),
                ("linear" or "cosine" or "exponential" or "exp" or "constant", var n) => throw Malformed(spec, $"'{name}' takes {(name == "constant" ? 1 : 2)} number(s), got {n}"),
                _ => throw Malformed(spec, $"unknown schedule '{fields[0]}'"),
            };
        }
        catch (ArgumentException e) when (!e.Message.Contains(Syntax, StringComparison.Ordinal))
        {
            throw Malformed(spec, e.Message.Split(" (Parameter")[0].TrimEnd('.'));
        }
    }

    private static double Number(string spec, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Malformed(spec, $"'{text}' is not a number");

    private static ArgumentException Malformed(string spec, string problem) =>
        new($"hyperparameter schedule '{spec}': {problem}. Expected {Syntax}.", nameof(spec));

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Straight line from start to end: <c>start + (end - start) f</c>.</summary>
    public sealed class Linear(double start, double end) : HyperparameterSchedule(start, end)
    {
        /// <inheritdoc />
        public override string Name => "linear";

        /// <inheritdoc />
        protected override double At(double fraction) => Start + (End - Start) * fraction;
    }

    /// <summary>Half a cosine from start to end: <c>end + (start - end)(1 + cos(pi f)) / 2</c>; flat at both ends.</summary>
    public sealed class Cosine(double start, double end) : HyperparameterSchedule(start, end)
    {
        /// <inheritdoc />
        public override string Name => "cosine";

        /// <inheritdoc />
        protected override double At(double fraction) => End + (Start - End) * (1 + Math.Cos(Math.PI * fraction)) / 2;
    }

    /// <summary>Geometric from start to end: <c>start (end / start)^f</c>, equal ratios per step; both must be &gt; 0.</summary>
    public sealed class Exponential : HyperparameterSchedule
    {
        /// <summary>Creates the schedule.</summary>
        /// <exception cref="ArgumentException">A value is not finite or not &gt; 0.</exception>
        public Exponential(double start, double end) : base(start, end)
        {
            if (!(start > 0) || !(end > 0))
                throw new ArgumentException($"exponential schedule: start and end must be > 0, got {Text(start)} and {Text(end)}.", start > 0 ? nameof(end) : nameof(start));
        }

        /// <inheritdoc />
        public override string Name => "exponential";

        /// <inheritdoc />
        protected override double At(double fraction) =>
            fraction >= 1 ? End : Start * Math.Pow(End / Start, fraction);
    }

    /// <summary>The same value at every step (a fixed hyperparameter).</summary>
    public sealed class Constant(double value) : HyperparameterSchedule(value, value)
    {
        /// <inheritdoc />
        public override string Name => "constant";

        /// <inheritdoc />
        protected override double At(double fraction) => Start;

        /// <inheritdoc />
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"constant:{Start:R}");
    }
}
