using System.Globalization;

namespace MetaSpike.Training;

/// <summary>
/// A learning rate as a pure function of the epoch (counted from 0), so that a run resumed from a checkpoint
/// needs only the epoch number, never scheduler state. Apply it with <see cref="Schedules.Apply(TorchSharp.torch.optim.Optimizer, LearningRateSchedule, int)"/> at the start
/// of each epoch.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The forms <see cref="Parse"/> accepts, for help texts.</summary>
    public const string Syntax = "constant | cosine[:MIN_LR] | step:STEP_SIZE[:GAMMA], optionally followed by +warmup:EPOCHS";

    /// <summary>The learning rate for <paramref name="epoch"/> (0 is the first epoch).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative.</exception>
    public double LearningRate(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return Compute(epoch);
    }

    /// <summary>The learning rate for a non-negative <paramref name="epoch"/>.</summary>
    protected abstract double Compute(int epoch);

    /// <summary>
    /// Parses a command-line schedule: <c>constant</c>; <c>cosine</c> (annealing to 0 at <paramref name="epochs"/>)
    /// or <c>cosine:MIN_LR</c>; <c>step:STEP_SIZE</c> (gamma 0.1) or <c>step:STEP_SIZE:GAMMA</c>; any of them
    /// followed by <c>+warmup:EPOCHS</c> for a linear warm-up. Names are case-insensitive, numbers invariant-culture.
    /// </summary>
    /// <param name="spec">The schedule text, e.g. <c>"step:30:0.5"</c>.</param>
    /// <param name="baseLr">The learning rate at epoch 0 (after warm-up); finite and &gt; 0.</param>
    /// <param name="epochs">The length of the run; the cosine schedule reaches its minimum there.</param>
    /// <exception cref="ArgumentException">Unknown name, malformed or out-of-range number; the message shows <see cref="Syntax"/>.</exception>
    public static LearningRateSchedule Parse(string spec, double baseLr, int epochs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try
        {
            var parts = spec.Split('+', StringSplitOptions.TrimEntries);
            if (parts.Length > 2) throw Malformed(spec, "at most one '+warmup:EPOCHS' suffix is allowed");
            var schedule = ParseBase(spec, parts[0], baseLr, epochs);
            if (parts.Length == 1) return schedule;
            var warmup = parts[1].Split(':', StringSplitOptions.TrimEntries);
            if (warmup.Length != 2 || !warmup[0].Equals("warmup", StringComparison.OrdinalIgnoreCase))
                throw Malformed(spec, $"'{parts[1]}' is not 'warmup:EPOCHS'");
            return new WarmupSchedule(schedule, ParseInt(spec, warmup[1], "warm-up epochs"));
        }
        catch (ArgumentException e) when (!e.Message.Contains(Syntax, StringComparison.Ordinal))
        {
            // A constructor's range check: keep its reason but not its "(Parameter ...)" and "Actual value" lines.
            throw Malformed(spec, e.Message.Split('\n')[0].Split(" (Parameter")[0].TrimEnd('.'));
        }
    }

    private static LearningRateSchedule ParseBase(string spec, string text, double baseLr, int epochs)
    {
        var fields = text.Split(':', StringSplitOptions.TrimEntries);
        var name = fields[0].ToLowerInvariant();
        int arguments = fields.Length - 1;
        return (name, arguments) switch
        {
            ("constant", 0) => new ConstantSchedule(baseLr),
            ("cosine", 0) => new CosineSchedule(baseLr, epochs),
            ("cosine", 1) => new CosineSchedule(baseLr, epochs, ParseDouble(spec, fields[1], "minimum learning rate")),
            ("step", 1) => new StepSchedule(baseLr, ParseInt(spec, fields[1], "step size")),
            ("step", 2) => new StepSchedule(baseLr, ParseInt(spec, fields[1], "step size"), ParseDouble(spec, fields[2], "gamma")),
            ("constant" or "cosine" or "step", _) => throw Malformed(spec, $"'{name}' does not take {arguments} argument(s)"),
            _ => throw Malformed(spec, $"unknown schedule '{fields[0]}'"),
        };
    }

    private static int ParseInt(string spec, string text, string what) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Malformed(spec, $"the {what} '{text}' is not an integer");

    private static double ParseDouble(string spec, string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Malformed(spec, $"the {what} '{text}' is not a number");

    private static ArgumentException Malformed(string spec, string problem) =>
        new($"learning-rate schedule '{spec}': {problem}. Expected {Syntax}.", nameof(spec));
}
