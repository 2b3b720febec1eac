using MetaSpike.Neuromorphic;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Neuromorphic;

/// <summary>Every bad input gets an ArgumentException naming the problem, before anything runs.</summary>
public sealed class BadInputTests
{
    private static NeuromorphicNetwork NewNetwork() => new(new SubstrateEmulator(EmulatorOptions.Ideal));

    private static void Refused(Action action, string expected) =>
        Assert.Contains(expected, Assert.ThrowsAny<ArgumentException>(action).Message);

    [Fact]
    public void Empty_and_oversized_populations()
    {
        using var network = NewNetwork();
        Refused(() => network.CreatePopulation(0), "at least one neuron");
        Refused(() => network.CreateSpikeSourceArray(0), "at least one neuron");
        Refused(() => network.CreatePopulation(-3), "at least one neuron");
        network.CreatePopulation(500);
        Refused(() => network.CreatePopulation(13), "only 12 of 512 are free");
    }

    [Fact]
    public void Connectors_that_do_not_fit()
    {
        using var network = NewNetwork();
        var sources = network.CreateSpikeSourceArray(3);
        var neurons = network.CreatePopulation(2);
        Refused(() => network.Connect(sources, neurons, Connector.OneToOne, ReceptorType.Excitatory), "same size");
        Refused(() => network.Connect(sources, neurons, Connector.FromList([(3, 0)]), ReceptorType.Excitatory), "(3, 0) lies outside");
        Refused(() => network.Connect(sources, neurons, Connector.FromList([(0, 2)]), ReceptorType.Excitatory), "(0, 2) lies outside");
        Refused(() => network.Connect(sources, neurons, Connector.FromList([(-1, 0)]), ReceptorType.Excitatory), "lies outside");
        Refused(() => network.Connect(sources, neurons, Connector.FromList([(1, 1), (1, 1)]), ReceptorType.Excitatory), "twice");
        Refused(() => network.Connect(sources, neurons, Connector.AllToAll, (ReceptorType)7), "receptor");
        using var other = NewNetwork();
        Refused(() => network.Connect(sources, other.CreatePopulation(1), Connector.AllToAll, ReceptorType.Excitatory), "this network");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-5.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Run_durations_that_are_not_positive(double duration)
    {
        using var network = NewNetwork();
        network.CreatePopulation(1);
        Refused(() => network.Run(duration), "duration must be finite and > 0");
    }

    [Fact]
    public void Spike_times_outside_the_run_negative_unsorted_or_nan()
    {
        using var network = NewNetwork();
        network.CreatePopulation(1);
        var sources = network.CreateSpikeSourceArray(2);
        sources.SetSpikeTimes([[1.0, 20.0], []]);
        Refused(() => network.Run(20), "outside the run [0, 20)");
        Refused(() => sources.SetSpikeTimes([[-0.1], []]), "finite and >= 0");
        Refused(() => sources.SetSpikeTimes([[double.NaN], []]), "finite and >= 0");
        Refused(() => sources.SetSpikeTimes([[], [5.0, 3.0]]), "increase strictly: 3 µs follows 5 µs");
        Refused(() => sources.SetSpikeTimes([[], [5.0, 5.0]]), "increase strictly");
        Refused(() => sources.SetSpikeTimes([[1.0]]), "2 sources");
        Refused(() => sources.SetBinnedSpikes(full(1, 10, 2, 2f)), "0 or 1");
        Refused(() => sources.SetBinnedSpikes(zeros(10, 2)), "[trials, steps, neurons]");
        network.Run(20.5); // 20 µs lies inside [0, 20.5)
    }

    [Fact]
    public void Sources_with_incompatible_trial_counts()
    {
        using var network = NewNetwork();
        network.CreatePopulation(1);
        var a = network.CreateSpikeSourceArray(1);
        var b = network.CreateSpikeSourceArray(1);
        a.SetSpikeTimes(SpikeTrains.FromTrials([[[1.0]], [[2.0]]]));
        b.SetSpikeTimes(SpikeTrains.FromTrials([[[1.0]], [[2.0]], [[3.0]]]));
        Refused(() => network.Run(10), "1 or the same number of trials");
        Refused(() => SpikeTrains.FromTrials([[[1.0]], [[2.0], [3.0]]]), "trial 1 has 2 spike trains");
    }

    [Theory]
    [InlineData(nameof(NeuronParameters.TauMemUs), double.NaN, "must be finite")]
    [InlineData(nameof(NeuronParameters.ThresholdLsb), double.NaN, "must be finite")]
    [InlineData(nameof(NeuronParameters.LeakLsb), double.PositiveInfinity, "must be finite")]
    [InlineData(nameof(NeuronParameters.TauSynExcUs), 0.0, "must be > 0")]
    [InlineData(nameof(NeuronParameters.TauSynInhUs), -1.0, "must be > 0")]
    [InlineData(nameof(NeuronParameters.RefractoryUs), -1.0, "must be >= 0")]
    [InlineData(nameof(NeuronParameters.ResetLsb), 700.0, "must lie above")]
    public void Invalid_neuron_parameters(string name, double value, string expected)
    {
        var parameters = name switch
        {
            nameof(NeuronParameters.TauMemUs) => NeuronParameters.Default with { TauMemUs = value },
            nameof(NeuronParameters.ThresholdLsb) => NeuronParameters.Default with { ThresholdLsb = value },
            nameof(NeuronParameters.LeakLsb) => NeuronParameters.Default with { LeakLsb = value },
            nameof(NeuronParameters.TauSynExcUs) => NeuronParameters.Default with { TauSynExcUs = value },
            nameof(NeuronParameters.TauSynInhUs) => NeuronParameters.Default with { TauSynInhUs = value },
            nameof(NeuronParameters.RefractoryUs) => NeuronParameters.Default with { RefractoryUs = value },
            _ => NeuronParameters.Default with { ResetLsb = value },
        };
        using var network = NewNetwork();
        Refused(() => network.CreatePopulation(1, parameters), expected);
        var population = network.CreatePopulation(1);
        Refused(() => population.Parameters = parameters, name);
        Assert.Equal(NeuronParameters.Default, population.Parameters);
    }

    [Fact]
    public void Invalid_emulator_options()
    {
        Refused(() => new SubstrateEmulator(new EmulatorOptions { DtUs = double.NaN }), "integration step");
        Refused(() => new SubstrateEmulator(new EmulatorOptions { DtUs = 0 }), "integration step");
        Refused(() => new SubstrateEmulator(new EmulatorOptions { MembraneNoiseLsb = -1 }), "membrane noise");
        Refused(() => new SubstrateEmulator(new EmulatorOptions { Adc = new AdcSettings { SamplePeriodUs = 0.25 } }), "whole multiple");
        Refused(() => new SubstrateEmulator(new EmulatorOptions { Adc = new AdcSettings { NoiseLsb = double.NaN } }), "ADC noise");
        Refused(() => new SubstrateEmulator(new EmulatorOptions { Mismatch = MismatchLevels.Typical with { ThresholdLsb = double.NaN } }), "ThresholdLsb");
    }

    [Fact]
    public void Calibration_and_normalisation_arguments()
    {
        using var network = NewNetwork();
        var neurons = network.CreatePopulation(2);
        Refused(() => Calibration.Measure(neurons, durationUs: 0), "duration");
        Refused(() => Calibration.Measure(neurons, trials: 0), "trial");
        var calibration = new NeuronCalibration([300, 300], [300, 300]);
        Refused(() => calibration.Normalize(zeros(1, 10, 3)), "2 calibrated neurons");
    }

    [Fact]
    public void Data_before_a_run_is_an_invalid_operation()
    {
        using var network = NewNetwork();
        var neurons = network.CreatePopulation(1);
        Assert.Throws<InvalidOperationException>(() => neurons.GetData());
        network.Run(5);
        using var data = neurons.GetData();
        Assert.Throws<InvalidOperationException>(() => data.Membrane); // nothing was recorded
        Assert.Throws<InvalidOperationException>(() => data.Spikes);
    }
}
