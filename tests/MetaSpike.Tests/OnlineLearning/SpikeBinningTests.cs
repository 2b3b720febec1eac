using MetaSpike.OnlineLearning;
using static MetaSpike.Tests.Losses.ArgumentAssert;
using static MetaSpike.Tests.TensorAssert;
using static TorchSharp.torch;

namespace MetaSpike.Tests.OnlineLearning;

public class SpikeBinningTests
{
    [Fact]
    public void Spike_times_fall_into_half_open_bins_and_the_last_bin_is_closed()
    {
        using var _ = NewDisposeScope();
        // 5 bins of 0.1: [0, .1) [.1, .2) [.2, .3) [.3, .4) [.4, .5]; 0.1 = 1 * 0.1 opens bin 1, 0.5 is the closed end.
        var binned = SpikeBinning.Bin([[0.0, 0.05, 0.1, 0.299, 0.5], [0.35, 0.35]], steps: 5, dt: 0.1);
        Assert.Equal(new long[] { 5, 2 }, binned.shape);
        Assert.Equal(new double[] { 2, 0, 1, 0, 1, 0, 0, 2, 1, 0 }, Values(binned));
        Assert.Equal(new double[] { 0, 1, 0, 0, 1 }, Values(SpikeBinning.Bin([0.15, 0.45], 5, 0.1)));
        Assert.Equal(new double[] { 0, 0, 0 }, Values(SpikeBinning.Bin(Array.Empty<double>(), 3, 0.1)));
    }

    [Fact]
    public void Edges_are_k_times_dt()
    {
        var edges = SpikeBinning.Edges(3, 0.1);
        Assert.Equal(new[] { 0.0, 0.1, 0.2, 3 * 0.1 }, edges);
    }

    [Fact]
    public void Bad_spike_times_are_refused_with_the_train_and_spike_named()
    {
        Throws(() => SpikeBinning.Bin([[0.1, double.NaN]], 5, 0.1), "spike 1 of train 0", "NaN");
        Throws(() => SpikeBinning.Bin([[0.1], [0.6]], 5, 0.1), "spike 0 of train 1", "outside the run");
        Throws(() => SpikeBinning.Bin([[-0.01]], 5, 0.1), "outside the run");
        Throws(() => SpikeBinning.Bin([[0.3, 0.2]], 5, 0.1), "not sorted");
        Throws(() => SpikeBinning.Bin([[0.1]], 0, 0.1), "steps");
        Throws(() => SpikeBinning.Bin([[0.1]], 5, 0), "dt");
        Throws(() => SpikeBinning.Bin(Array.Empty<IReadOnlyList<double>>(), 5, 0.1), "no spike trains");
    }
}
