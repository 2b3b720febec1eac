using MetaSpike.Neuromorphic;

namespace MetaSpike.Tests.Neuromorphic;

/// <summary>Fixed-pattern mismatch per chip seed, temporal noise per run, and the calibration that measures their effect.</summary>
public sealed class RealismTests
{
    private static readonly EmulatorOptions MismatchOnly = new() { MembraneNoiseLsb = 0, Adc = new AdcSettings { NoiseLsb = 0 } };

    [Fact]
    public void Mismatch_is_fixed_per_chip_seed_and_differs_between_chips()
    {
        var chip = RunTutorial(MismatchOnly with { ChipSeed = 11 });
        var sameChip = RunTutorial(MismatchOnly with { ChipSeed = 11 });
        var otherChip = RunTutorial(MismatchOnly with { ChipSeed = 12 });
        var ideal = RunTutorial(EmulatorOptions.Ideal);
        Assert.Equal(chip, sameChip);
        Assert.NotEqual(chip, otherChip);
        Assert.NotEqual(chip, ideal);

        var a = new ChipMismatch(512, 11, MismatchLevels.Typical).Apply(3, NeuronParameters.Default);
        var b = new ChipMismatch(512, 11, MismatchLevels.Typical).Apply(3, NeuronParameters.Default);
        var c = new ChipMismatch(512, 12, MismatchLevels.Typical).Apply(3, NeuronParameters.Default);
        Assert.Equal(a, b);
        Assert.NotEqual(a.ThresholdLsb, c.ThresholdLsb);
        Assert.NotEqual(a.TauMemUs, c.TauMemUs);
        Assert.Equal(NeuronParameters.Default, new ChipMismatch(512, 11, MismatchLevels.None).Apply(3, NeuronParameters.Default));
    }

    /// <summary>Each run draws fresh noise (runs differ), and a new emulator with the same seeds repeats the sequence of runs.</summary>
    [Fact]
    public void Noise_changes_every_run_and_repeats_with_the_seeds()
    {
        var options = EmulatorOptions.Realistic(chipSeed: 3, noiseSeed: 21);
        using var first = new TutorialSetup(options);
        using var second = new TutorialSetup(options);
        var runsOfFirst = new List<double[]>();
        var runsOfSecond = new List<double[]>();
        foreach (var (setup, runs) in new[] { (first, runsOfFirst), (second, runsOfSecond) })
        {
            setup.Input.SetSpikeTimes(TutorialSetup.BernoulliTimes(5));
            SignedWeights.Apply(setup.Excitatory, setup.Inhibitory, TutorialSetup.NormalWeights(123, 27, 1));
            for (int r = 0; r < 2; r++)
            {
                setup.Network.Run(TutorialSetup.DurationUs);
                using var data = setup.Output.GetData();
                runs.Add(TensorAssert.Values(data.Membrane));
                setup.Network.Reset();
            }
        }
        Assert.NotEqual(runsOfFirst[0], runsOfFirst[1]);
        Assert.Equal(runsOfFirst[0], runsOfSecond[0]);
        Assert.Equal(runsOfFirst[1], runsOfSecond[1]);
    }

    /// <summary>
    /// At rest the trace fluctuates with the membrane noise (stationary 2 LSB) and the ADC noise (1 LSB) and rounding
    /// (1/12 LSB^2) combined: sqrt(4 + 1 + 1/12) = 2.25 LSB; the time average stays at the leak.
    /// </summary>
    [Fact]
    public void Noise_at_rest_has_the_configured_size()
    {
        var emulator = new SubstrateEmulator(EmulatorOptions.Ideal with { MembraneNoiseLsb = 2, Adc = new AdcSettings { NoiseLsb = 1 }, NoiseSeed = 4 });
        using var network = new NeuromorphicNetwork(emulator);
        var neurons = network.CreatePopulation(8);
        using var data = Recorded(network, neurons, 400);
        var values = TensorAssert.Values(data.Membrane);
        double mean = values.Average(), std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
        TensorAssert.Close(300, mean, 0, 0.3, "mean at rest");
        TensorAssert.Close(Math.Sqrt(4 + 1 + 1.0 / 12), std, 0.15, 0, "noise at rest");
    }

    /// <summary>On an ideal chip the calibration returns the configured rest (leak) and range (threshold - leak).</summary>
    [Fact]
    public void Calibration_recovers_the_configured_range_on_an_ideal_chip()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var parameters = NeuronParameters.Default with { LeakLsb = 250, ThresholdLsb = 700, ResetLsb = 240 };
        var neurons = network.CreatePopulation(3, parameters);
        var calibration = Calibration.Measure(neurons, durationUs: 60, trials: 1);
        for (int n = 0; n < 3; n++)
        {
            Assert.Equal(250, calibration.ZeroLsb[n]);
            TensorAssert.Close(450, calibration.RangeLsb[n], 0, 1.0, $"range of neuron {n}");
        }
        Assert.False(neurons.HasData, "calibration leaves the network's data alone");
    }

    /// <summary>On a realistic chip it recovers each neuron's true leak and threshold, which differ by far more than the error.</summary>
    [Fact]
    public void Calibration_recovers_each_neurons_mismatched_range()
    {
        var emulator = new SubstrateEmulator(EmulatorOptions.Realistic(chipSeed: 7, noiseSeed: 1));
        using var network = new NeuromorphicNetwork(emulator);
        var neurons = network.CreatePopulation(8);
        var calibration = Calibration.Measure(neurons);
        var trueRanges = new double[8];
        for (int n = 0; n < 8; n++)
        {
            var truth = emulator.Mismatch.Apply(neurons.FirstHardwareNeuron + n, neurons.Parameters);
            trueRanges[n] = truth.ThresholdLsb - truth.LeakLsb;
            TensorAssert.Close(truth.LeakLsb, calibration.ZeroLsb[n], 0, 1.0, $"rest of neuron {n}");
            TensorAssert.Close(trueRanges[n], calibration.RangeLsb[n], 0, 4.0, $"range of neuron {n}");
        }
        Assert.True(trueRanges.Max() - trueRanges.Min() > 20, $"the chip's ranges spread: {string.Join(", ", trueRanges)}");

        using var data = Recorded(network, neurons);
        using var normalised = calibration.Normalize(data.Membrane);
        var values = TensorAssert.Values(normalised);
        Assert.InRange(values.Average(), -0.05, 0.05); // at rest without input
    }

    private static double[] RunTutorial(EmulatorOptions options)
    {
        using var setup = new TutorialSetup(options, neurons: 2);
        setup.Input.SetSpikeTimes(TutorialSetup.BernoulliTimes(9));
        SignedWeights.Apply(setup.Excitatory, setup.Inhibitory, TutorialSetup.NormalWeights(123, 27, 1, neurons: 2));
        setup.Network.Run(TutorialSetup.DurationUs);
        using var data = setup.Output.GetData();
        return TensorAssert.Values(data.Membrane);
    }

    private static RecordedData Recorded(NeuromorphicNetwork network, Population neurons, double durationUs = 20)
    {
        neurons.Record(Recordables.Membrane);
        network.Run(durationUs);
        return neurons.GetData();
    }
}
