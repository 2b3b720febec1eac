using System.Runtime.InteropServices;
using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// The stimulus and weights of the BrainScaleS-2 SuperSpike tutorial: Bernoulli inputs (probability rate dt per
/// step), silent over the last <see cref="SilentEnd"/> µs, target weights from N(<see cref="TargetMean"/>,
/// <see cref="TargetStd"/>) and initial weights from N(<see cref="InitialMean"/>, <see cref="InitialStd"/>), all
/// [inputs, 1]. Draws come from <see cref="Random"/> seeded with <see cref="Seeds.Mix32"/>, so they are the same
/// in every process and leave torch's generator alone (they are not numpy's draws).
/// </summary>
public sealed record SuperSpikeTutorialSetup
{
    /// <summary>Number of inputs (default 25).</summary>
    public int Inputs { get; init; } = 25;

    /// <summary>Run duration (default 200 µs).</summary>
    public double Duration { get; init; } = 200;

    /// <summary>Time step (default 0.1 µs).</summary>
    public double Dt { get; init; } = 0.1;

    /// <summary>Input rate in spikes per µs (default 0.01, the tutorial's 10 kHz).</summary>
    public double Rate { get; init; } = 0.01;

    /// <summary>Input-free time at the end of the run (default 20 µs).</summary>
    public double SilentEnd { get; init; } = 20;

    /// <summary>Mean of the target weights (default 27).</summary>
    public double TargetMean { get; init; } = 27;

    /// <summary>Standard deviation of the target weights (default 1).</summary>
    public double TargetStd { get; init; } = 1;

    /// <summary>Mean of the initial weights (default 10).</summary>
    public double InitialMean { get; init; } = 10;

    /// <summary>Standard deviation of the initial weights (default 20).</summary>
    public double InitialStd { get; init; } = 20;

    /// <summary>Number of steps, int(duration / dt) as in the tutorial (with a guard against rounding down).</summary>
    public int Steps => (int)Math.Floor(Duration / Dt + 1e-9);

    /// <summary>Throws unless the setup is usable.</summary>
    /// <exception cref="ArgumentException">A value out of range; the message names it.</exception>
    public void Validate()
    {
        const string fn = nameof(SuperSpikeTutorialSetup);
        if (Inputs < 1) throw new ArgumentException($"{fn}: {nameof(Inputs)} must be >= 1, got {Inputs}.", nameof(Inputs));
        OnlineChecks.Positive(fn, Duration, nameof(Duration));
        OnlineChecks.Positive(fn, Dt, nameof(Dt));
        if (Steps < 1) throw new ArgumentException($"{fn}: {nameof(Duration)} ({Duration}) is shorter than one step of {Dt}.", nameof(Duration));
        OnlineChecks.InUnitInterval(fn, Rate * Dt, "Rate * Dt");
        if (!double.IsFinite(SilentEnd) || SilentEnd < 0)
            throw new ArgumentException($"{fn}: {nameof(SilentEnd)} must be finite and >= 0, got {SilentEnd}.", nameof(SilentEnd));
        OnlineChecks.Finite(fn, TargetMean, nameof(TargetMean));
        OnlineChecks.Finite(fn, InitialMean, nameof(InitialMean));
        if (!double.IsFinite(TargetStd) || TargetStd < 0) throw new ArgumentException($"{fn}: {nameof(TargetStd)} must be finite and >= 0, got {TargetStd}.", nameof(TargetStd));
        if (!double.IsFinite(InitialStd) || InitialStd < 0) throw new ArgumentException($"{fn}: {nameof(InitialStd)} must be finite and >= 0, got {InitialStd}.", nameof(InitialStd));
    }

    /// <summary>Binned input spikes [steps, inputs], float64 0/1, for <paramref name="seed"/>.</summary>
    public Tensor InputSpikes(long seed)
    {
        Validate();
        var random = new Random(Seeds.Mix32(seed, 1));
        int steps = Steps;
        var spikes = zeros([steps, Inputs], ScalarType.Float64);
        var values = MemoryMarshal.Cast<byte, double>(spikes.bytes);
        double p = Rate * Dt;
        for (int t = 0; t < steps; t++)
        {
            bool silent = t * Dt > Duration - SilentEnd;
            for (int i = 0; i < Inputs; i++)
                if (random.NextDouble() < p && !silent) values[t * Inputs + i] = 1;
        }
        return spikes;
    }

    /// <summary>The target weights [inputs, 1] for <paramref name="seed"/>.</summary>
    public Tensor TargetWeights(long seed) => Normal(seed, 2, TargetMean, TargetStd);

    /// <summary>The initial weights [inputs, 1] for <paramref name="seed"/>.</summary>
    public Tensor InitialWeights(long seed) => Normal(seed, 3, InitialMean, InitialStd);

    private Tensor Normal(long seed, long stream, double mean, double std)
    {
        Validate();
        return RandomMatrix.Normal(Inputs, 1, mean, std, seed, stream);
    }
}
