using MetaSpike.InTheLoop;
using MetaSpike.Neuromorphic;
using static MetaSpike.Tests.Losses.ArgumentAssert;

namespace MetaSpike.Tests.InTheLoop;

public class EmulatorSuperSpikeTests
{
    [Fact]
    public void Seeded_tutorial_run_on_the_realistic_emulator_lowers_the_loss_by_at_least_80_percent()
    {
        // Seed 1: five target spikes; the chip has mismatch, membrane and ADC noise. 40 of the tutorial's 100 epochs.
        using var tutorial = new EmulatorSuperSpikeTutorial(new SubstrateEmulator(EmulatorOptions.Realistic(1, 2)), null, seed: 1);
        Assert.InRange(tutorial.TargetSpikesUs.Length, 3, 7);
        var result = tutorial.Train(40);
        Assert.Equal(40, result.Training.Losses.Count);
        Assert.True(result.Training.LossReduction(5) >= 0.8, $"loss {result.Training.Losses[0]:F1} -> {result.Training.Losses[^1]:F1}");
        Assert.Equal(0, result.Timing.Missing);
        Assert.Equal(0, result.Timing.Extra);
        Assert.True(result.Timing.MaxAbsErrorUs < 5, $"max |dt| {result.Timing.MaxAbsErrorUs} µs");
        Assert.Equal(0, result.First.Epoch);
        Assert.Equal(39, result.Last.Epoch);
        Assert.Equal(2000, result.Last.Membrane.Length);
        Assert.Equal(2000, result.Last.Error.Length);
    }

    [Fact]
    public void Each_target_spike_is_matched_to_its_nearest_output_spike()
    {
        var report = SpikeTiming.Compare([10, 50, 90], [11, 48.5, 120, 130]);
        Assert.Equal(new[] { 1.0, -1.5, 30.0 }, report.Matches.Select(m => Math.Round(m.ErrorUs, 9)));
        Assert.Equal(30, report.MaxAbsErrorUs, 9);
        Assert.Equal(32.5 / 3, report.MeanAbsErrorUs, 9);
        Assert.Equal(0, report.Missing);
        Assert.Equal(1, report.Extra); // 130 is nobody's nearest

        var shared = SpikeTiming.Compare([10, 12], [11]);
        Assert.Equal(1, shared.Missing); // both targets' nearest is the one output spike
        Assert.Equal(0, shared.Extra);

        var silent = SpikeTiming.Compare([10, 12], []);
        Assert.Equal(2, silent.Missing);
        Assert.True(double.IsNaN(silent.MaxAbsErrorUs));
        Throws(() => SpikeTiming.Compare([12, 10], [1]), "targetUs", "not sorted");
        Throws(() => SpikeTiming.Compare([10], [double.NaN]), "outputUs");
    }

    [Fact]
    public void A_backend_on_another_time_grid_is_refused()
    {
        var options = EmulatorOptions.Ideal with { DtUs = 0.2, Adc = new AdcSettings { SamplePeriodUs = 0.2, NoiseLsb = 0 } };
        Throws(() => new EmulatorSuperSpikeTutorial(new SubstrateEmulator(options), null, 1), "time grid", "0.2");
    }
}
