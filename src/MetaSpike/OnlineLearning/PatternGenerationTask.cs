using System.Runtime.InteropServices;
using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// Bellec et al.'s pattern-generation task in small: a frozen Poisson input pattern must drive the readout along
/// fixed target traces, each a sum of three sinusoids (periods T, T/2 and T/3 steps, seeded amplitudes in
/// [0.5, 1.5] and phases). Draws come from <see cref="Random"/> seeded with <see cref="Seeds.Mix32"/>.
/// </summary>
public sealed record PatternGenerationTask
{
    /// <summary>Number of input channels (default 20).</summary>
    public int Inputs { get; init; } = 20;

    /// <summary>Number of target traces (default 2).</summary>
    public int Outputs { get; init; } = 2;

    /// <summary>Number of steps T (default 100).</summary>
    public int Steps { get; init; } = 100;

    /// <summary>Input spike probability per step (default 0.05).</summary>
    public double InputRate { get; init; } = 0.05;

    /// <summary>Seed of the pattern and the targets (default 0).</summary>
    public long Seed { get; init; }

    /// <summary>The frozen input spikes [1, T, I], float64 0/1.</summary>
    /// <exception cref="ArgumentException">A size &lt; 1 or a rate outside [0, 1).</exception>
    public Tensor InputSpikes()
    {
        Validate();
        var random = new Random(Seeds.Mix32(Seed, 1));
        var spikes = zeros([1, Steps, Inputs], ScalarType.Float64);
        var values = MemoryMarshal.Cast<byte, double>(spikes.bytes);
        for (int i = 0; i < values.Length; i++) values[i] = random.NextDouble() < InputRate ? 1 : 0;
        return spikes;
    }

    /// <summary>The target traces [1, T, K].</summary>
    /// <exception cref="ArgumentException">A size &lt; 1 or a rate outside [0, 1).</exception>
    public Tensor Target()
    {
        Validate();
        var random = new Random(Seeds.Mix32(Seed, 2));
        var target = zeros([1, Steps, Outputs], ScalarType.Float64);
        var values = MemoryMarshal.Cast<byte, double>(target.bytes);
        for (int k = 0; k < Outputs; k++)
        {
            for (int harmonic = 1; harmonic <= 3; harmonic++)
            {
                double amplitude = 0.5 + random.NextDouble(), phase = 2 * Math.PI * random.NextDouble();
                for (int t = 0; t < Steps; t++)
                    values[t * Outputs + k] += amplitude * Math.Sin(2 * Math.PI * harmonic * t / Steps + phase);
            }
        }
        return target;
    }

    private void Validate()
    {
        const string fn = nameof(PatternGenerationTask);
        if (Inputs < 1 || Outputs < 1 || Steps < 1)
            throw new ArgumentException($"{fn}: Inputs, Outputs and Steps must be >= 1, got {Inputs}, {Outputs}, {Steps}.", nameof(Inputs));
        OnlineChecks.InUnitInterval(fn, InputRate, nameof(InputRate));
    }
}
