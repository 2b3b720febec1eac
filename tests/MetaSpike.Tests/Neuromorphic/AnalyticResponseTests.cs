using MetaSpike.Neuromorphic;

namespace MetaSpike.Tests.Neuromorphic;

/// <summary>On an ideal chip (no mismatch, no noise) the emulator follows the closed-form LIF solutions to within the ADC's rounding.</summary>
public sealed class AnalyticResponseTests
{
    private const double Rest = 300, Gain = 7.5, Dt = 0.1;

    /// <summary>
    /// One input spike at 10 µs through weight w: V - rest = q tau_s / (tau_m - tau_s) (exp(-t/tau_m) - exp(-t/tau_s)),
    /// q = w x gain, for t after the spike, and exactly rest before it. Excitatory raises, inhibitory lowers.
    /// </summary>
    [Theory]
    [InlineData(ReceptorType.Excitatory, 40, 10.0, 5.0)]
    [InlineData(ReceptorType.Inhibitory, 63, 10.0, 5.0)]
    [InlineData(ReceptorType.Excitatory, 20, 8.0, 2.0)]
    public void One_spike_gives_the_difference_of_exponentials(ReceptorType receptor, int weight, double tauMem, double tauSyn)
    {
        var parameters = NeuronParameters.Default with { TauMemUs = tauMem, TauSynExcUs = tauSyn, TauSynInhUs = tauSyn };
        using var data = RunOneSpike(receptor, weight, parameters, spikeUs: 10, durationUs: 60);
        double q = weight * Gain * (receptor == ReceptorType.Excitatory ? 1 : -1);
        var trace = TensorAssert.Values(data.Membrane);
        for (int k = 0; k < trace.Length; k++)
        {
            double t = data.SampleTimesUs[k] - 10;
            double expected = Rest + (t <= 0 ? 0 : q * tauSyn / (tauMem - tauSyn) * (Math.Exp(-t / tauMem) - Math.Exp(-t / tauSyn)));
            Assert.True(Math.Abs(expected - trace[k]) <= 0.5 + 1e-3, $"membrane at {data.SampleTimesUs[k]:F1} µs: {trace[k]} vs analytic {expected:F3}");
        }
        // The trace reaches the analytic peak, q tau_s / (tau_m - tau_s) (r^(tau_s/(tau_m - tau_s)) - r^(tau_m/(tau_m - tau_s))), r = tau_s / tau_m.
        double r = tauSyn / tauMem, peak = q * tauSyn / (tauMem - tauSyn) * (Math.Pow(r, tauSyn / (tauMem - tauSyn)) - Math.Pow(r, tauMem / (tauMem - tauSyn)));
        double extreme = q > 0 ? trace.Max() : trace.Min();
        Assert.True(Math.Abs(Rest + peak - extreme) <= 0.5 + 1e-3, $"peak {extreme} vs analytic {Rest + peak:F3}");
        Assert.Equal(0, data.Spikes.Count(0, 0));
    }

    /// <summary>Equal time constants give the alpha-shaped limit q (t / tau) exp(-t / tau).</summary>
    [Fact]
    public void Equal_time_constants_give_the_alpha_shape()
    {
        var parameters = NeuronParameters.Default with { TauMemUs = 6, TauSynExcUs = 6 };
        using var data = RunOneSpike(ReceptorType.Excitatory, 50, parameters, spikeUs: 5, durationUs: 40);
        var trace = TensorAssert.Values(data.Membrane);
        for (int k = 0; k < trace.Length; k++)
        {
            double t = Math.Max(0, data.SampleTimesUs[k] - 5);
            double expected = Rest + 50 * Gain * t / 6 * Math.Exp(-t / 6);
            Assert.True(Math.Abs(expected - trace[k]) <= 0.5 + 1e-3, $"membrane at {data.SampleTimesUs[k]:F1} µs: {trace[k]} vs {expected:F3}");
        }
    }

    /// <summary>
    /// A constant current I (LSB above rest) charges V = rest + I (1 - exp(-t/tau_m)) and the first spike comes at
    /// tau_m ln(I / (I - theta)) (rounded up to the grid); V then sits at the reset for the refractory period and the
    /// next spike follows after refractory + tau_m ln((I + rest - reset) / (I - theta)).
    /// </summary>
    [Fact]
    public void Constant_current_charges_analytically_and_fires_at_tau_ln()
    {
        const double current = 400, theta = 300, reset = 280, refractory = 2;
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var neuron = network.CreatePopulation(1, NeuronParameters.Default with { OffsetCurrentLsb = current });
        neuron.Record(Recordables.All);
        network.Run(40);
        using var data = neuron.GetData();
        var spikes = data.Spikes.Times(0, 0).ToArray();
        double first = 10 * Math.Log(current / (current - theta));
        Assert.True(spikes.Length >= 2, $"expected at least two spikes in 40 µs, got {spikes.Length}");
        Assert.InRange(spikes[0], first, first + Dt + 1e-9);
        double interval = refractory + 10 * Math.Log((current + Rest - reset) / (current - theta));
        Assert.InRange(spikes[1] - spikes[0], interval - Dt, interval + 2 * Dt);

        var trace = TensorAssert.Values(data.Membrane);
        for (int k = 0; data.SampleTimesUs[k] < spikes[0]; k++)
        {
            double expected = Rest + current * (1 - Math.Exp(-data.SampleTimesUs[k] / 10));
            Assert.True(Math.Abs(expected - trace[k]) <= 0.5 + 1e-3, $"membrane at {data.SampleTimesUs[k]:F1} µs: {trace[k]} vs {expected:F3}");
        }
        int spikeSample = (int)Math.Round(spikes[0] / Dt);
        for (int k = spikeSample; k <= spikeSample + (int)Math.Round(refractory / Dt); k++)
            Assert.Equal(reset, trace[k]);
        Assert.True(trace[spikeSample + (int)Math.Round(refractory / Dt) + 1] > reset, "the membrane must rise again after the refractory period");
    }

    /// <summary>Spike-triggered adaptation (AdEx b) lengthens successive inter-spike intervals under a constant current.</summary>
    [Fact]
    public void Adaptation_lengthens_inter_spike_intervals()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var plain = network.CreatePopulation(1, NeuronParameters.Default with { OffsetCurrentLsb = 500 });
        var adapting = network.CreatePopulation(1, NeuronParameters.Default with { OffsetCurrentLsb = 500, AdaptationJumpLsb = 40, TauAdaptationUs = 50 });
        plain.Record(Recordables.Spikes);
        adapting.Record(Recordables.Spikes);
        network.Run(100);
        using var plainData = plain.GetData();
        using var adaptingData = adapting.GetData();
        var regular = Intervals(plainData.Spikes.Times(0, 0).ToArray());
        var adapted = Intervals(adaptingData.Spikes.Times(0, 0).ToArray());
        Assert.True(regular.Max() - regular.Min() <= 0.1 + 1e-9, $"without adaptation the intervals are equal: {string.Join(", ", regular)}");
        Assert.True(adapted[^1] > adapted[0] + 2, $"with adaptation the intervals grow: {string.Join(", ", adapted)}");
        Assert.True(adapted.Length < regular.Length, "adaptation lowers the rate");
    }

    private static RecordedData RunOneSpike(ReceptorType receptor, int weight, NeuronParameters parameters, double spikeUs, double durationUs)
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var neuron = network.CreatePopulation(1, parameters);
        neuron.Record(Recordables.All);
        var source = network.CreateSpikeSourceArray(1);
        source.SetSpikeTimes([[spikeUs]]);
        network.Connect(source, neuron, Connector.AllToAll, receptor, weight);
        network.Run(durationUs);
        return neuron.GetData();
    }

    private static double[] Intervals(double[] spikes) => [.. spikes.Zip(spikes.Skip(1), (a, b) => b - a)];
}
