using MetaSpike.Losses;
using MetaSpike.Surrogates;
using TorchSharp;
using static MetaSpike.Tests.Losses.ArgumentAssert;
using static MetaSpike.Tests.TensorAssert;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Losses;

public class SpikeRegularizerTests
{
    // [T = 4, B = 2, N = 3]. Counts per (sample, neuron): sample 0 -> [2, 0, 4], sample 1 -> [1, 3, 0].
    private static readonly double[,,] Raster =
    {
        { { 1, 0, 1 }, { 0, 1, 0 } },
        { { 0, 0, 1 }, { 1, 1, 0 } },
        { { 1, 0, 1 }, { 0, 1, 0 } },
        { { 0, 0, 1 }, { 0, 0, 0 } },
    };

    private static Tensor Spikes(ScalarType dtype = ScalarType.Float64) => tensor(Raster, dtype);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Spike_count_rate_and_l2_count_on_a_hand_made_raster(ScalarType dtype)
    {
        using var _ = NewDisposeScope();
        var spikes = Spikes(dtype);
        var count = SpikeRegularizers.SpikeCount(spikes);
        Assert.Equal(dtype, count.dtype);
        Close((2 + 0 + 4 + 1 + 3 + 0) / 6.0, count.ToDouble(), 1e-6, 0, "spike count");
        // T * dt = 4 * 2 ms = 8 ms.
        Close((10 / 6.0) / 0.008, SpikeRegularizers.FiringRate(spikes, 2).ToDouble(), 1e-6, 0, "rate in Hz");
        Close((4 + 0 + 16 + 1 + 9 + 0) / 6.0, SpikeRegularizers.L2SpikeCount(spikes).ToDouble(), 1e-6, 0, "L2 count");
    }

    [Fact]
    public void Rate_regularizer_penalises_rates_outside_the_band()
    {
        using var _ = NewDisposeScope();
        const double dt = 2, seconds = 4 * dt / 1000;
        // Per-neuron rates, averaged over the batch: [1.5, 1.5, 2] spikes in 8 ms = [187.5, 187.5, 250] Hz.
        double[] rates = [1.5 / seconds, 1.5 / seconds, 2 / seconds];
        double Penalty(double lower, double upper) =>
            rates.Select(r => Math.Pow(Math.Max(lower - r, 0), 2) + Math.Pow(Math.Max(r - upper, 0), 2)).Average();

        Close(Penalty(200, 240), SpikeRegularizers.RateRegularizer(Spikes(), 200, 240, dt).ToDouble(), 1e-12, 0, "both bounds active");
        Assert.Equal((12.5 * 12.5 * 2 + 10 * 10) / 3, Penalty(200, 240));
        Assert.Equal(0.0, SpikeRegularizers.RateRegularizer(Spikes(), 100, 300, dt).ToDouble());
        Close(Penalty(0, 200), SpikeRegularizers.RateRegularizer(Spikes(), 0, 200, dt).ToDouble(), 1e-12, 0, "upper only");
        Close(Penalty(300, double.PositiveInfinity), SpikeRegularizers.RateRegularizer(Spikes(), 300, double.PositiveInfinity, dt).ToDouble(), 1e-12, 0, "lower only");

        // Gradient: d/ds[t, b, i] = 2 (rate_i - upper) / (B * seconds) / N above the band, -2 (lower - rate_i) / (B * seconds) / N below.
        var s = Spikes().requires_grad_();
        SpikeRegularizers.RateRegularizer(s, 200, 240, dt).backward();
        var grad = Values(s.grad!);
        double[] perNeuron = [-2 * (200 - rates[0]) / (2 * seconds) / 3, -2 * (200 - rates[1]) / (2 * seconds) / 3, 2 * (rates[2] - 240) / (2 * seconds) / 3];
        for (int i = 0; i < grad.Length; i++)
            Close(perNeuron[i % 3], grad[i], 1e-12, 1e-12, $"grad[{i}]");
    }

    [Fact]
    public void Gradients_flow_through_surrogate_spikes()
    {
        using var _ = NewDisposeScope();
        var membrane = tensor(Enumerable.Range(0, 24).Select(i => Math.Sin(0.9 * i)).ToArray(), ScalarType.Float64).reshape(4, 2, 3).requires_grad_();
        var spikes = new Sigmoid().forward(membrane);
        (SpikeRegularizers.SpikeCount(spikes) + SpikeRegularizers.L2SpikeCount(spikes)).backward();
        var grad = Values(membrane.grad!);
        Assert.All(grad, g => Assert.True(g > 0, $"every membrane value gets a positive gradient, got {g}"));
    }

    [Fact]
    public void Regularizers_reject_bad_input()
    {
        using var _ = NewDisposeScope();
        Throws(() => SpikeRegularizers.SpikeCount(zeros(5)), "SpikeRegularizers.SpikeCount", "[T, B, ...]", "[5]");
        Throws(() => SpikeRegularizers.L2SpikeCount(zeros(5, 2, ScalarType.Int32)), "SpikeRegularizers.L2SpikeCount", "floating-point", "Int32");
        Throws(() => SpikeRegularizers.FiringRate(zeros(5, 2), 0), "SpikeRegularizers.FiringRate", "dt", "> 0");
        Throws(() => SpikeRegularizers.FiringRate(zeros(0, 2), 1), "SpikeRegularizers.FiringRate", "empty");
        Throws(() => SpikeRegularizers.RateRegularizer(zeros(5, 2), 10, 5, 1), "SpikeRegularizers.RateRegularizer", "upper", ">= lower");
        Throws(() => SpikeRegularizers.RateRegularizer(zeros(5, 2), double.NaN, 5, 1), "lower", "NaN");
        Throws(() => SpikeRegularizers.RateRegularizer(zeros(5, 2), -1, 5, 1), "lower", ">= 0");
        Throws(() => SpikeRegularizers.RateRegularizer(zeros(5, 2), 1, 5, double.NaN), "dt", "NaN");
    }
}
