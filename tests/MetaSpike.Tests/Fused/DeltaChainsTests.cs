using MetaSpike.Layers;
using MetaSpike.Layers.Fused;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// Sequences convolved step by step as the output <c>lag</c> steps before plus the convolution of the change
/// (<see cref="DeltaChains"/>): which lag is chosen, which samples the segments cover, and values against the
/// convolution of every step from scratch and against libtorch.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class DeltaChainsTests
{
    /// <summary>
    /// Binary steps [T · B, C, H, W] about 35 % ones: each step the one <paramref name="period"/> steps before (1:
    /// persisting, 2: firing every other step) with a fraction <paramref name="flips"/> of its values flipped; period
    /// 0 draws every step afresh.
    /// </summary>
    private static Tensor Sequence(int steps, int batch, int period, double flips, Generator generator, long[] sample)
    {
        var frames = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            var fresh = rand([batch, .. sample], generator: generator).lt(0.35);
            frames[t] = period == 0 || t < period ? fresh : frames[t - period].logical_xor(rand([batch, .. sample], generator: generator).lt(flips));
        }
        return stack(frames).flatten(0, 1).to(float64);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(1, 1)]
    public void The_lag_of_the_sparsest_changes_is_chosen(int period, int expectedLag)
    {
        var x = Sequence(20, 3, period, 0.05, new Generator(1), [4, 6, 5]);
        var chains = Choose(x, 20, 3);
        Assert.Equal(new DeltaChains(20, 3, expectedLag), chains);
    }

    [Fact]
    public void Fresh_steps_or_a_single_chain_keep_the_plain_convolution()
    {
        Assert.Null(Choose(Sequence(20, 3, 0, 0, new Generator(2), [4, 6, 5]), 20, 3));
        // One batch entry persisting: lag 1 would be one chain (nothing to share); lag 2 gives two.
        Assert.Equal(2, Choose(Sequence(20, 1, 1, 0.02, new Generator(3), [4, 6, 5]), 20, 1)!.Value.Lag);
        Assert.Null(Choose(Sequence(1, 4, 1, 0.02, new Generator(3), [4, 6, 5]), 1, 4));
    }

    private static DeltaChains? Choose(Tensor x, int steps, int batch)
    {
        Assert.Equal(steps * batch, x.shape[0]);
        return DeltaChains.Choose(x.contiguous(), batch);
    }

    [Theory]
    [InlineData(35, 5, 2)]
    [InlineData(70, 5, 2)]
    [InlineData(17, 1, 2)]
    [InlineData(18, 3, 1)]
    [InlineData(40, 2, 1)]
    public void Segments_cover_every_sample_once_in_chain_order_and_start_afresh_often_enough(int steps, int batch, int lag)
    {
        var chains = new DeltaChains(steps, batch, lag);
        var seen = new int[steps * batch];
        for (int s = 0; s < chains.Segments; s++)
        {
            var (first, end) = chains.Range(s);
            int count = 0;
            for (int n = first; n < end; n += chains.Stride)
            {
                seen[n]++;
                count++;
                Assert.Equal(first % chains.Stride, n % chains.Stride); // one chain: one batch entry, one phase
            }
            Assert.True(count <= DeltaChains.MaxDeltaSteps + 1, $"segment {s} runs {count} steps");
        }
        Assert.All(seen, c => Assert.Equal(1, c));
    }

    [Theory]
    [InlineData(2, 32, 16, 8, 64, 2)]  // workload (c)'s second layer, pooled
    [InlineData(2, 64, 8, 4, 128, 2)]  // its third layer, pooled
    [InlineData(1, 8, 7, 5, 16, 0)]    // persisting input, no pooling
    public void Changes_give_the_convolution_of_every_step(int period, int inChannels, int height, int width, int outChannels, int window)
    {
        const int steps = 40, batch = 3;
        var generator = new Generator(7);
        var x = Sequence(steps, batch, period, 0.04, generator, [inChannels, height, width]);
        var weight = randn([outChannels, inChannels, 5, 5], dtype: float64, generator: generator);
        var pool = window == 0 ? null : new PoolWindow(window, window);
        using var _ = no_grad();
        var reference = nn.functional.conv2d(x, weight, padding: [2, 2]);
        if (pool is not null) reference = nn.functional.max_pool2d(reference, window, window);
        foreach (var dtype in new[] { float64, float32 })
        {
            var plain = GatherConv.TryConv(x.to(dtype), weight.to(dtype), 1, 2, pool)!;
            long before = GatherConv.DeltaSteps;
            var changed = GatherConv.TryConv(x.to(dtype), weight.to(dtype), 1, 2, pool, sequenceBatch: batch)!;
            // Every step after a segment's first is sparser as a change here.
            Assert.InRange(GatherConv.DeltaSteps - before, steps * batch * 3 / 4, steps * batch);
            double tolerance = dtype == float64 ? 1e-12 : 2e-4;
            Close(reference, plain.to(float64), tolerance, $"{dtype} every step");
            Close(reference, changed.to(float64), tolerance, $"{dtype} changes");
        }
    }

    [Fact]
    public void The_recorded_window_finds_the_same_maxima_from_changes()
    {
        // The pooled node's forward (gradient window): values and routes as from every step, and so the same gradients.
        const int steps = 30, batch = 2;
        var generator = new Generator(8);
        var x = Sequence(steps, batch, 2, 0.05, generator, [32, 16, 8]);
        var weight = randn([64, 32, 5, 5], dtype: float64, generator: generator);
        var shape = new PooledConvShape(new ConvGeometry(32, 16, 8, 64, 5, 2), new PoolWindow(2, 2));
        var (values, routes) = PooledConv.Pool(x, weight, shape);
        long before = GatherConv.DeltaSteps;
        var (changedValues, changedRoutes) = PooledConv.Pool(x, weight, shape with { SequenceBatch = batch });
        Assert.True(GatherConv.DeltaSteps > before, "no step was taken as a change");
        Close(values, changedValues, 1e-12, "pooled values");
        Assert.Equal(TensorAssert.Values(routes), TensorAssert.Values(changedRoutes));
        var w = weight.clone().requires_grad_();
        var layer = PooledConv.TryConv(x, w, 1, 2, new PoolWindow(2, 2), batch)!;
        var expected = nn.functional.max_pool2d(nn.functional.conv2d(x, w, padding: [2, 2]), 2, 2);
        Close(expected, layer, 1e-12, "recorded node");
        var g = randn(layer.shape, dtype: float64, generator: generator);
        Close(MetaSpike.Runtime.Autograd.Grad([expected], [w], [g])[0], MetaSpike.Runtime.Autograd.Grad([layer], [w], [g])[0], 1e-10, "weight gradient");
    }

    [Fact]
    public void The_fused_layer_in_burn_in_takes_changes_and_gives_the_unfused_output()
    {
        var (conv, pool) = (new Conv2d(32, 64, 5, padding: 2), new MaxPool2d(2));
        var x = Sequence(30, 4, 2, 0.05, new Generator(5), [32, 16, 8]).to(float32).unflatten(0, [30, 4]);
        using var _ = no_grad();
        var reference = pool.Step(conv.Step(x.flatten(0, 1))).unflatten(0, [30, 4]);
        (conv.Fused, pool.Fused) = (true, true);
        long before = GatherConv.DeltaSteps;
        var fused = conv.SequencePooled(x, pool)!;
        Assert.True(GatherConv.DeltaSteps > before, "no step was taken as a change");
        Close(reference.to(float64), fused.to(float64), 2e-4, "pooled output with bias");
    }
}
