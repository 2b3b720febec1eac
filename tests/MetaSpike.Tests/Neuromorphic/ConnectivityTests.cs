using MetaSpike.Neuromorphic;

namespace MetaSpike.Tests.Neuromorphic;

/// <summary>Connectors route spikes to the right neurons; neuron-to-neuron projections deliver one step later.</summary>
public sealed class ConnectivityTests
{
    private const double Rest = 300;

    [Fact]
    public void One_to_one_and_list_connectors_route_spikes_to_their_targets()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var sources = network.CreateSpikeSourceArray(3);
        sources.SetSpikeTimes([[], [5.0], []]);
        var diagonal = network.CreatePopulation(3, label: "diagonal");
        var listed = network.CreatePopulation(3, label: "listed");
        diagonal.Record(Recordables.Membrane);
        listed.Record(Recordables.Membrane);
        network.Connect(sources, diagonal, Connector.OneToOne, ReceptorType.Excitatory, weight: 30);
        network.Connect(sources, listed, Connector.FromList([(1, 2), (0, 0)]), ReceptorType.Excitatory, weight: 30);
        network.Run(20);
        Assert.Equal([false, true, false], Depolarised(diagonal));
        Assert.Equal([false, false, true], Depolarised(listed));
    }

    /// <summary>
    /// A neuron driven to fire excites a second one through a neuron-to-neuron projection: the second membrane follows
    /// the analytic PSP starting one step after the first neuron's spike.
    /// </summary>
    [Fact]
    public void Neuron_to_neuron_spikes_arrive_one_step_later()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var driver = network.CreatePopulation(1, NeuronParameters.Default with { OffsetCurrentLsb = 400, RefractoryUs = 100 });
        var follower = network.CreatePopulation(1);
        driver.Record(Recordables.Spikes);
        follower.Record(Recordables.Membrane);
        network.Connect(driver, follower, Connector.AllToAll, ReceptorType.Excitatory, weight: 40);
        network.Run(50);
        using var driverData = driver.GetData();
        using var followerData = follower.GetData();
        double spike = Assert.Single(driverData.Spikes.Times(0, 0).ToArray());
        double arrival = spike + 0.1, q = 40 * 7.5;
        var trace = TensorAssert.Values(followerData.Membrane);
        for (int k = 0; k < trace.Length; k++)
        {
            double t = followerData.SampleTimesUs[k] - arrival;
            double expected = Rest + (t <= 1e-9 ? 0 : q * (Math.Exp(-t / 10) - Math.Exp(-t / 5)));
            Assert.True(Math.Abs(expected - trace[k]) <= 0.5 + 1e-3, $"follower at {followerData.SampleTimesUs[k]:F1} µs: {trace[k]} vs {expected:F3}");
        }
    }

    /// <summary>
    /// A neuron-to-neuron projection (even with zero weights) switches the emulator from the closed-form chunk drive to
    /// step-by-step currents; both give the same spikes and, up to a rare flip of the ADC's rounding, the same trace.
    /// </summary>
    [Fact]
    public void Step_by_step_currents_equal_the_closed_form_chunk_drive()
    {
        var results = new List<(double[] Membrane, double[][][] Spikes)>();
        foreach (bool recurrent in new[] { false, true })
        {
            using var setup = new TutorialSetup(EmulatorOptions.Ideal with { Dtype = TorchSharp.torch.ScalarType.Float64 }, neurons: 3);
            setup.Input.SetSpikeTimes(SpikeTrains.FromTrials([TutorialSetup.BernoulliTimes(41), TutorialSetup.BernoulliTimes(42)]));
            SignedWeights.Apply(setup.Excitatory, setup.Inhibitory, TutorialSetup.NormalWeights(3, 20, 15, neurons: 3));
            if (recurrent) setup.Network.Connect(setup.Output, setup.Output, Connector.AllToAll, ReceptorType.Inhibitory, weight: 0);
            setup.Network.Run(TutorialSetup.DurationUs);
            using var data = setup.Output.GetData();
            results.Add((TensorAssert.Values(data.Membrane), data.Spikes.ToArray()));
        }
        Assert.Equal(results[0].Spikes, results[1].Spikes);
        Assert.True(results[0].Spikes.SelectMany(t => t).Sum(n => n.Length) > 0, "the comparison needs spikes");
        var difference = results[0].Membrane.Zip(results[1].Membrane, (a, b) => Math.Abs(a - b)).ToArray();
        Assert.True(difference.Max() <= 1, $"largest difference {difference.Max()} LSB");
        Assert.True(difference.Count(d => d > 0) <= difference.Length / 1000, $"{difference.Count(d => d > 0)} samples differ");
    }

    private static bool[] Depolarised(Population population)
    {
        using var data = population.GetData();
        using var peak = data.Membrane.amax([0L, 1L]);
        return [.. TensorAssert.Values(peak).Select(v => v > Rest + 10)];
    }
}
