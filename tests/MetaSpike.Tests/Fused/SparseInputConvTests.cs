using MetaSpike.Layers;
using MetaSpike.Layers.Fused;
using MetaSpike.Modules;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// The event-driven convolution of <see cref="Conv2d"/> with <c>Fused</c> on (stride-1 inputs without gradient that
/// are at most 10 % nonzero) and its chunked dense path: numbers by hand, libtorch's convolution as reference in
/// float64 to first and second order, and fallbacks.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class SparseInputConvTests
{
    [Fact]
    public void One_event_spreads_the_flipped_kernel_around_itself()
    {
        // A single event of value 2 at the centre (2, 2) of a 5 x 5 frame (4 % nonzero), kernel 3 x 3 with weights
        // 1..9, padding 1: output (oy, ox) = 2 · w[3 - oy, 3 - ox] around the event, i.e. the kernel flipped:
        // rows 1..3 = 2·[9, 8, 7], 2·[6, 5, 4], 2·[3, 2, 1]; zeros elsewhere.
        var x = zeros(1, 1, 5, 5, dtype: float64);
        x[0, 0, 2, 2] = tensor(2.0, float64);
        var w = arange(1.0, 10.0, dtype: float64).reshape(1, 1, 3, 3);
        var y = SparseInputConv.TryConv(x, w, stride: 1, padding: 1)!;
        Assert.Equal([18.0, 16, 14, 12, 10, 8, 6, 4, 2], TensorAssert.Values(y[0, 0, TensorIndex.Slice(1, 4), TensorIndex.Slice(1, 4)]));
        Assert.Equal(90.0, y.sum().ToDouble());
        Assert.Equal(TensorAssert.Values(nn.functional.conv2d(x, w, padding: [1, 1])), TensorAssert.Values(y));
    }

    [Theory]
    [InlineData(6, 2, 32, 16, 5, 2)]
    [InlineData(40, 3, 9, 7, 3, 0)]
    public void Values_and_gradients_equal_libtorch_to_second_order(int samples, int inChannels, int height, int width, int kernel, int padding)
    {
        var generator = new Generator(12);
        var frames = rand([samples, inChannels, height, width], dtype: float64, generator: generator).lt(0.05).to(float64)
            * randn([samples, inChannels, height, width], dtype: float64, generator: generator);
        var weight = randn([5, inChannels, kernel, kernel], dtype: float64, generator: generator);
        var outSize = new long[] { samples, 5, height + 2 * padding - kernel + 1, width + 2 * padding - kernel + 1 };
        var upstream = randn(outSize, dtype: float64, generator: generator);
        EqualToSecondOrder(weight, upstream, w => nn.functional.conv2d(frames, w, padding: [padding, padding]), w => SparseInputConv.TryConv(frames, w, 1, padding));
    }

    [Theory]
    [InlineData(6, 2, 32, 16, 5, 2, 2, 2)] // workload (c)'s first layer
    [InlineData(5, 3, 9, 7, 3, 1, 3, 2)]   // overlapping windows: a position can be two windows' maximum
    [InlineData(4, 2, 8, 11, 3, 0, 2, 3)]  // gaps between windows, a row and columns left over
    public void Pooled_in_a_gradient_window_it_equals_libtorch_to_second_order(int samples, int inChannels, int height, int width,
        int kernel, int padding, int window, int stride)
    {
        var generator = new Generator(13);
        var frames = rand([samples, inChannels, height, width], dtype: float64, generator: generator).lt(0.08).to(float64)
            * randn([samples, inChannels, height, width], dtype: float64, generator: generator);
        var weight = randn([8, inChannels, kernel, kernel], dtype: float64, generator: generator);
        var pool = new PoolWindow(window, stride);
        var outSize = new long[] { samples, 8, pool.Out(height + 2 * padding - kernel + 1), pool.Out(width + 2 * padding - kernel + 1) };
        var upstream = randn(outSize, dtype: float64, generator: generator);
        EqualToSecondOrder(weight, upstream,
            w => nn.functional.max_pool2d(nn.functional.conv2d(frames, w, padding: [padding, padding]), [window, window], [stride, stride]),
            w => SparseInputConv.TryConv(frames, w, 1, padding, pool));
    }

    /// <summary>
    /// The event-driven layer against libtorch's, both as functions of the weight: output, weight gradient, and the
    /// gradient of |dL/dW|² to 1e-11. The loss is quadratic in W, so that last one exercises the transposed node's own backward.
    /// </summary>
    private static void EqualToSecondOrder(Tensor weight, Tensor upstream, Func<Tensor, Tensor> libtorch, Func<Tensor, Tensor?> events)
    {
        var results = new List<Tensor[]>();
        foreach (var layer in new[] { libtorch, events })
        {
            var w = weight.clone().requires_grad_();
            var y = layer(w);
            Assert.NotNull(y);
            var loss = (y * upstream).sum() + y.square().sum();
            var gw = MetaSpike.Runtime.Autograd.Grad([loss], [w], createGraph: true)[0];
            var second = MetaSpike.Runtime.Autograd.Grad([gw.square().sum()], [w])[0];
            results.Add([y.detach(), gw.detach(), second]);
        }
        string[] names = ["output", "weight gradient", "second order"];
        for (int i = 0; i < names.Length; i++) Close(results[0][i], results[1][i], 1e-11, names[i]);
        Assert.True(results[1][2].abs().sum().ToDouble() > 0, "second-order gradient vanished");
    }

    [Fact]
    public void The_layer_with_its_bias_gives_the_unfused_values_and_gradients_to_second_order()
    {
        var frames = rand([12, 2, 10, 8], dtype: float64, generator: new Generator(6)).lt(0.06).to(float64) * 10;
        var layer = new Conv2d(2, 6, 5, padding: 2).to(float64);
        var results = new List<Tensor[]>();
        foreach (bool fused in new[] { false, true })
        {
            layer.Fused = fused;
            var parameters = layer.parameters().ToArray();
            var y = layer.Step(frames);
            var grads = MetaSpike.Runtime.Autograd.Grad([y.tanh().sum()], parameters, createGraph: true);
            var second = MetaSpike.Runtime.Autograd.Grad([grads[0].square().sum() + grads[1].square().sum()], parameters);
            results.Add([y.detach(), .. grads.Select(g => g.detach()), .. second]);
        }
        string[] names = ["output", "weight gradient", "bias gradient", "second order in weight", "second order in bias"];
        for (int i = 0; i < names.Length; i++) Close(results[0][i], results[1][i], 1e-11, names[i]);
    }

    [Fact]
    public void Dense_gradient_carrying_or_strided_inputs_fall_back_and_large_batches_are_chunked()
    {
        var w = randn(4, 2, 3, 3, dtype: float64);
        var sparse = rand(3, 2, 8, 8, dtype: float64).lt(0.05).to(float64);
        Assert.NotNull(SparseInputConv.TryConv(sparse, w, 1, 1));
        Assert.Null(SparseInputConv.TryConv(sparse, w, 2, 1));
        Assert.Null(SparseInputConv.TryConv(sparse.clone().requires_grad_(), w, 1, 1));
        Assert.Null(SparseInputConv.TryConv(ones(3, 2, 8, 8, dtype: float64), w, 1, 1));
        Assert.Null(SparseInputConv.TryConv(sparse.to(float32), w, 1, 1));

        // More samples than one chunk, with a gradient-carrying (so dense) input: same numbers as one call.
        var layer = new Conv2d(2, 4, 3, padding: 1).to(float64);
        var input = randn(Conv2d.ChunkSamples + 37, 2, 6, 5, dtype: float64).requires_grad_();
        var whole = layer.Step(input);
        layer.Fused = true;
        var chunked = layer.Step(input);
        Close(whole, chunked, 1e-12, "chunked convolution");
        var (g0, g1) = (MetaSpike.Runtime.Autograd.Grad([whole.square().sum()], [input])[0], MetaSpike.Runtime.Autograd.Grad([chunked.square().sum()], [input])[0]);
        Close(g0, g1, 1e-12, "chunked input gradient");
        Assert.Equal(1, new Sequential(new Conv2d(2, 4, 3)).SetFused(true));
    }
}
