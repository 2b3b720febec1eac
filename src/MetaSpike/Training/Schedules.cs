using System.Globalization;
using TorchSharp;

namespace MetaSpike.Training;

/// <summary>The same learning rate at every epoch.</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="learningRate">The learning rate; finite and &gt; 0.</param>
    public ConstantSchedule(double learningRate)
    {
        Schedules.CheckPositive(learningRate, nameof(learningRate));
        Rate = learningRate;
    }

    /// <summary>The learning rate.</summary>
    public double Rate { get; }

    /// <inheritdoc />
    protected override double Compute(int epoch) => Rate;

    /// <summary>E.g. <c>constant(lr=0.001)</c>.</summary>
    public override string ToString() => FormattableString.Invariant($"constant(lr={Rate})");
}

/// <summary>
/// Cosine annealing: lr(e) = minLr + (baseLr - minLr) (1 + cos(pi e / T)) / 2 for e &lt;= T, and minLr after T
/// (Loshchilov and Hutter 2017, without restarts).
/// </summary>
public sealed class CosineSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLr">The learning rate at epoch 0; finite and &gt; 0.</param>
    /// <param name="totalEpochs">T, the epoch at which <paramref name="minLr"/> is reached; &gt;= 1.</param>
    /// <param name="minLr">The final learning rate; finite, &gt;= 0 and &lt;= <paramref name="baseLr"/>.</param>
    public CosineSchedule(double baseLr, int totalEpochs, double minLr = 0)
    {
        Schedules.CheckPositive(baseLr, nameof(baseLr));
        ArgumentOutOfRangeException.ThrowIfLessThan(totalEpochs, 1);
        if (!(minLr >= 0 && minLr <= baseLr))
            throw new ArgumentOutOfRangeException(nameof(minLr), minLr, $"the minimum learning rate must be in [0, baseLr = {baseLr.ToString(CultureInfo.InvariantCulture)}].");
        BaseLr = baseLr;
        TotalEpochs = totalEpochs;
        MinLr = minLr;
    }

    /// <summary>The learning rate at epoch 0.</summary>
    public double BaseLr { get; }

    /// <summary>The epoch from which the learning rate stays at <see cref="MinLr"/>.</summary>
    public int TotalEpochs { get; }

    /// <summary>The final learning rate.</summary>
    public double MinLr { get; }

    /// <inheritdoc />
    protected override double Compute(int epoch)
    {
        double progress = Math.Min(epoch, TotalEpochs) / (double)TotalEpochs;
        return MinLr + (BaseLr - MinLr) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>E.g. <c>cosine(lr=0.001, epochs=100, min_lr=0)</c>.</summary>
    public override string ToString() => FormattableString.Invariant($"cosine(lr={BaseLr}, epochs={TotalEpochs}, min_lr={MinLr})");
}

/// <summary>Step decay: lr(e) = baseLr * gamma^floor(e / stepSize).</summary>
public sealed class StepSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLr">The learning rate at epoch 0; finite and &gt; 0.</param>
    /// <param name="stepSize">Epochs between decays; &gt;= 1.</param>
    /// <param name="gamma">The factor applied at each decay; finite and &gt; 0 (default 0.1, as in PyTorch).</param>
    public StepSchedule(double baseLr, int stepSize, double gamma = 0.1)
    {
        Schedules.CheckPositive(baseLr, nameof(baseLr));
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        Schedules.CheckPositive(gamma, nameof(gamma));
        BaseLr = baseLr;
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>The learning rate at epoch 0.</summary>
    public double BaseLr { get; }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    protected override double Compute(int epoch) => BaseLr * Math.Pow(Gamma, epoch / StepSize);

    /// <summary>E.g. <c>step(lr=0.1, step_size=30, gamma=0.5)</c>.</summary>
    public override string ToString() => FormattableString.Invariant($"step(lr={BaseLr}, step_size={StepSize}, gamma={Gamma})");
}

/// <summary>
/// Linear warm-up in front of another schedule: lr(e) = inner(e) * (e + 1) / W for e &lt; W, then inner(e).
/// The first epoch already trains (at inner(0) / W), and the inner schedule's epochs are not shifted.
/// </summary>
public sealed class WarmupSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="inner">The schedule being warmed up.</param>
    /// <param name="warmupEpochs">W, the number of warm-up epochs; &gt;= 0 (0 leaves <paramref name="inner"/> unchanged).</param>
    public WarmupSchedule(LearningRateSchedule inner, int warmupEpochs)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupEpochs);
        Inner = inner;
        WarmupEpochs = warmupEpochs;
    }

    /// <summary>The schedule being warmed up.</summary>
    public LearningRateSchedule Inner { get; }

    /// <summary>The number of warm-up epochs.</summary>
    public int WarmupEpochs { get; }

    /// <inheritdoc />
    protected override double Compute(int epoch)
    {
        var lr = Inner.LearningRate(epoch);
        return epoch < WarmupEpochs ? lr * (epoch + 1) / WarmupEpochs : lr;
    }

    /// <summary>E.g. <c>cosine(lr=0.001, epochs=100, min_lr=0)+warmup(5)</c>.</summary>
    public override string ToString() => FormattableString.Invariant($"{Inner}+warmup({WarmupEpochs})");
}

/// <summary>Applies learning rates to TorchSharp optimisers.</summary>
public static class Schedules
{
    /// <summary>Sets the learning rate of every parameter group of <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">Any TorchSharp optimiser.</param>
    /// <param name="learningRate">The new rate; finite and &gt;= 0 (a cosine schedule may end at 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is negative or not finite.</exception>
    public static void Apply(torch.optim.Optimizer optimizer, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!double.IsFinite(learningRate) || learningRate < 0)
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must be finite and >= 0.");
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = learningRate;
    }

    /// <summary>Sets every parameter group's learning rate to <paramref name="schedule"/>'s value for <paramref name="epoch"/> and returns it.</summary>
    public static double Apply(torch.optim.Optimizer optimizer, LearningRateSchedule schedule, int epoch)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var lr = schedule.LearningRate(epoch);
        Apply(optimizer, lr);
        return lr;
    }

    internal static void CheckPositive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and > 0.");
    }
}
