using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>Settings of a <see cref="SubstrateEmulator"/>: integration step, chip size, seeds, mismatch, noise and ADC.</summary>
public sealed record EmulatorOptions
{
    /// <summary>Integration step in µs. Default 0.1.</summary>
    public double DtUs { get; init; } = 0.1;

    /// <summary>Hardware neurons on the chip (populations are placed on consecutive neurons). Default 512.</summary>
    public int NeuronCount { get; init; } = 512;

    /// <summary>Seed of the fixed-pattern mismatch: the same seed is the same chip.</summary>
    public long ChipSeed { get; init; }

    /// <summary>Base seed of the temporal noise; run r of the emulator draws its noise from <c>Seeds.Mix(NoiseSeed, r)</c>.</summary>
    public long NoiseSeed { get; init; }

    /// <summary>Fixed-pattern mismatch levels. Default <see cref="MismatchLevels.Typical"/>.</summary>
    public MismatchLevels Mismatch { get; init; } = MismatchLevels.Typical;

    /// <summary>Stationary standard deviation of the membrane's temporal noise in LSB (an Ornstein-Uhlenbeck process with tau_mem). Default 2.</summary>
    public double MembraneNoiseLsb { get; init; } = 2.0;

    /// <summary>The membrane ADC. Default 10 bits, one sample per step, 1 LSB read-out noise.</summary>
    public AdcSettings Adc { get; init; } = new();

    /// <summary>Floating-point type of the integration. Default float32.</summary>
    public ScalarType Dtype { get; init; } = ScalarType.Float32;

    /// <summary>Integration steps per chunk (one dispose scope and one input matmul per chunk). Default 64.</summary>
    public int ChunkSteps { get; init; } = 64;

    /// <summary>An ideal chip: no mismatch, no membrane or ADC noise (ADC rounding and clipping remain).</summary>
    public static EmulatorOptions Ideal { get; } = new()
    {
        Mismatch = MismatchLevels.None, MembraneNoiseLsb = 0, Adc = new AdcSettings { NoiseLsb = 0 },
    };

    /// <summary>A realistic chip with the given seeds and the default mismatch and noise.</summary>
    public static EmulatorOptions Realistic(long chipSeed, long noiseSeed = 0) => new() { ChipSeed = chipSeed, NoiseSeed = noiseSeed };

    internal void Validate()
    {
        if (!double.IsFinite(DtUs) || DtUs <= 0) throw new ArgumentException($"the integration step must be finite and > 0 µs, got {DtUs}.");
        if (NeuronCount < 1) throw new ArgumentException($"the chip needs at least one neuron, got {NeuronCount}.");
        if (!double.IsFinite(MembraneNoiseLsb) || MembraneNoiseLsb < 0)
            throw new ArgumentException($"membrane noise must be finite and >= 0 LSB, got {MembraneNoiseLsb}.");
        if (ChunkSteps < 1) throw new ArgumentException($"chunks need at least one step, got {ChunkSteps}.");
        if (Dtype is not (ScalarType.Float32 or ScalarType.Float64)) throw new ArgumentException($"the emulator integrates in float32 or float64, not {Dtype}.");
        ArgumentNullException.ThrowIfNull(Mismatch);
        ArgumentNullException.ThrowIfNull(Adc);
        Mismatch.Validate();
        Adc.Validate(DtUs);
    }
}
