using MetaSpike.Neuromorphic;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Neuromorphic;

/// <summary>Trials of a batch are independent; recorded data convert to the dt grid; reset clears data and keeps the configuration.</summary>
public sealed class BatchAndDataTests
{
    /// <summary>On an ideal chip, a batch of three trials gives each trial exactly what running it alone gives.</summary>
    [Fact]
    public void A_batch_of_trials_equals_each_trial_run_alone()
    {
        int[] seeds = [31, 32, 33];
        using var batch = new TutorialSetup(neurons: 2);
        batch.Input.SetSpikeTimes(SpikeTrains.FromTrials([.. seeds.Select(s => (IReadOnlyList<IReadOnlyList<double>>)TutorialSetup.BernoulliTimes(s))]));
        SignedWeights.Apply(batch.Excitatory, batch.Inhibitory, TutorialSetup.NormalWeights(5, 20, 15, neurons: 2));
        batch.Network.Run(TutorialSetup.DurationUs);
        Assert.Equal(3, batch.Network.LastRunTrials);
        using var together = batch.Output.GetData();
        Assert.Equal([3L, 2000, 2], together.Membrane.shape);
        Assert.True(together.Spikes.TotalCount > 0, "the batch must spike for the comparison to mean something");

        for (int t = 0; t < seeds.Length; t++)
        {
            using var alone = new TutorialSetup(neurons: 2);
            alone.Input.SetSpikeTimes(TutorialSetup.BernoulliTimes(seeds[t]));
            SignedWeights.Apply(alone.Excitatory, alone.Inhibitory, TutorialSetup.NormalWeights(5, 20, 15, neurons: 2));
            alone.Network.Run(TutorialSetup.DurationUs);
            using var single = alone.Output.GetData();
            using var trial = together.Membrane.narrow(0, t, 1);
            Assert.Equal(TensorAssert.Values(single.Membrane), TensorAssert.Values(trial));
            for (int n = 0; n < 2; n++) Assert.Equal(single.Spikes.Times(0, n).ToArray(), together.Spikes.Times(t, n).ToArray());
        }
    }

    /// <summary>A source with one trial is shared by all trials of a batch.</summary>
    [Fact]
    public void Single_trial_sources_are_shared_across_the_batch()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var neuron = network.CreatePopulation(1);
        neuron.Record(Recordables.Membrane);
        var shared = network.CreateSpikeSourceArray(1);
        var varying = network.CreateSpikeSourceArray(1);
        shared.SetSpikeTimes([[2.0]]);
        varying.SetSpikeTimes(SpikeTrains.FromTrials([[[]], [[10.0]]]));
        network.Connect(shared, neuron, Connector.AllToAll, ReceptorType.Excitatory, 30);
        network.Connect(varying, neuron, Connector.AllToAll, ReceptorType.Excitatory, 30);
        network.Run(20);
        using var data = neuron.GetData();
        var trace = TensorAssert.Values(data.Membrane); // [2 trials, 200 samples, 1]
        Assert.Equal(trace[..100], trace[200..300]); // identical until the second trial's extra spike at 10 µs
        Assert.True(trace[399] > trace[199] + 10, "the second trial got the extra input");
        Assert.True(trace[50] > 310, "both trials got the shared input");
    }

    /// <summary>Binned spikes sit on the dt grid at the spike times; a coarser ADC is interpolated linearly onto the grid.</summary>
    [Fact]
    public void Data_convert_to_the_dt_grid()
    {
        var options = EmulatorOptions.Ideal with { Adc = new AdcSettings { NoiseLsb = 0, SamplePeriodUs = 0.5 } };
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(options));
        var neuron = network.CreatePopulation(1, NeuronParameters.Default with { OffsetCurrentLsb = 400 });
        neuron.Record(Recordables.All);
        network.Run(30);
        using var data = neuron.GetData();
        Assert.Equal(60, data.SampleTimesUs.Count);
        Assert.Equal(29.5, data.SampleTimesUs[^1], 9);

        using var binned = data.BinnedSpikes();
        Assert.Equal([1L, 300, 1], binned.shape);
        var spikeSteps = TensorAssert.Values(binned).Select((v, k) => (v, k)).Where(x => x.v > 0).Select(x => x.k).ToArray();
        Assert.Equal(data.Spikes.Times(0, 0).ToArray().Select(t => (int)Math.Round(t / 0.1)).ToArray(), spikeSteps);
        Assert.NotEmpty(spikeSteps);

        using var grid = data.MembraneOnGrid();
        Assert.Equal([1L, 300, 1], grid.shape);
        var samples = TensorAssert.Values(data.Membrane);
        var onGrid = TensorAssert.Values(grid);
        for (int k = 0; k < 300; k++)
        {
            int left = Math.Min(k / 5, 59), right = Math.Min(left + 1, 59);
            double a = left == 59 ? 0 : (k % 5) / 5.0;
            TensorAssert.Close(samples[left] + a * (samples[right] - samples[left]), onGrid[k], 0, 1e-4, $"grid value {k}");
        }
        using var coarse = data.BinnedSpikes(1.0);
        Assert.Equal([1L, 30, 1], coarse.shape);
        Assert.Equal(data.Spikes.Count(0, 0), (int)TensorAssert.Values(coarse).Sum());
    }

    /// <summary>Binned spikes set on a source become spike times at k dt, and round-trip.</summary>
    [Fact]
    public void Binned_input_round_trips()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var sources = network.CreateSpikeSourceArray(2);
        var binned = zeros(2, 50, 2);
        binned[0, 3, 1] = tensor(1f);
        binned[1, 49, 0] = tensor(1f);
        binned[1, 7, 0] = tensor(1f);
        sources.SetBinnedSpikes(binned);
        Assert.Equal([0.3], sources.Spikes.Times(0, 1).ToArray().Select(t => Math.Round(t, 9)));
        Assert.Equal([0.7, 4.9], sources.Spikes.Times(1, 0).ToArray().Select(t => Math.Round(t, 9)));
        using var back = sources.Spikes.ToBinned(0.1, 50);
        Assert.Equal(TensorAssert.Values(binned), TensorAssert.Values(back));
    }

    /// <summary>Reset discards the data and keeps populations, sources, weights and recording choices.</summary>
    [Fact]
    public void Reset_clears_data_and_keeps_the_configuration()
    {
        using var setup = new TutorialSetup();
        setup.Input.SetSpikeTimes(TutorialSetup.BernoulliTimes(2));
        SignedWeights.Apply(setup.Excitatory, setup.Inhibitory, TutorialSetup.NormalWeights(123, 27, 1));
        setup.Network.Run(TutorialSetup.DurationUs);
        double[] before;
        using (var data = setup.Output.GetData()) before = TensorAssert.Values(data.Membrane);
        setup.Network.Reset();
        Assert.False(setup.Output.HasData);
        Assert.Null(setup.Network.LastRunDurationUs);
        Assert.Throws<InvalidOperationException>(() => setup.Output.GetData());
        setup.Network.Run(TutorialSetup.DurationUs);
        using var again = setup.Output.GetData();
        Assert.Equal(before, TensorAssert.Values(again.Membrane));
    }

    /// <summary>GetData hands out copies: disposing one leaves the population's data intact.</summary>
    [Fact]
    public void Get_data_returns_an_owned_copy()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var neuron = network.CreatePopulation(1);
        neuron.Record(Recordables.Membrane);
        network.Run(1);
        neuron.GetData().Dispose();
        using var data = neuron.GetData();
        Assert.Equal(Enumerable.Repeat(300.0, 10), TensorAssert.Values(data.Membrane));
    }

    /// <summary>The training loop's pattern (set weights, run, read, reset) leaves the live-tensor count where one round left it.</summary>
    [Fact]
    public void Repeated_runs_leak_no_tensors()
    {
        using var setup = new TutorialSetup(EmulatorOptions.Realistic(1, 2));
        setup.Input.SetSpikeTimes(TutorialSetup.BernoulliTimes(4));
        var counts = new List<long>();
        for (int round = 0; round < 6; round++)
        {
            SignedWeights.Apply(setup.Excitatory, setup.Inhibitory, TutorialSetup.NormalWeights(round, 10, 20));
            setup.Network.Run(TutorialSetup.DurationUs);
            using (var data = setup.Output.GetData())
            using (var grid = data.MembraneOnGrid())
            using (var binned = data.BinnedSpikes()) { }
            setup.Network.Reset();
            counts.Add(TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
        }
        Assert.All(counts.Skip(1), c => Assert.Equal(counts[1], c));
    }
}
