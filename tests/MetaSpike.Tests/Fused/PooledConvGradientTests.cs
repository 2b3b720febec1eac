using MetaSpike.Layers;
using MetaSpike.Layers.Fused;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// A convolution followed by max pooling in a gradient window, where <see cref="PooledConv"/> differentiates through
/// the pooled positions only: numbers by hand, libtorch's convolution and pooling as reference for values, gradients
/// and second-order gradients over several shapes and windows, a fused Sequential against the unfused one, and the
/// cases it leaves to the layers in turn.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class PooledConvGradientTests
{
    [Fact]
    public void Gradients_go_to_the_window_under_each_maximum()
    {
        // 1 x 1 kernel, 8 input channels on a 2 x 2 frame, one 2 x 2 window. Channel 0 is [[1, 2], [3, 4]], the others 0.
        // Weights: W[0, 0] = 1, W[1, 0] = -1 and W[co, 1] = 10: channel 0's maximum is 4 at (1, 1), channel 1's is -1 at (0, 0).
        // For output gradients (2, 5): the input gradient is W[co, ci] · g[co] at each channel's maximum,
        // so channel 0 gets [[-5, 0], [0, 2]] and channel 1 [[50, 0], [0, 20]]; the weight gradient is g[co] · x[ci] there:
        // W[0, 0] gets 2 · 4 = 8, W[1, 0] gets 5 · 1 = 5, the rest 0.
        var x = zeros(1, 8, 2, 2, dtype: float64);
        x[0, 0] = tensor(new double[] { 1, 2, 3, 4 }, float64).view(2, 2);
        x.requires_grad_();
        var weight = zeros(2, 8, 1, 1, dtype: float64);
        weight[0, 0] = tensor(1.0, float64);
        weight[1, 0] = tensor(-1.0, float64);
        weight[0, 1] = tensor(10.0, float64);
        weight[1, 1] = tensor(10.0, float64);
        weight.requires_grad_();
        var y = PooledConv.TryConv(x, weight, 1, 0, new PoolWindow(2, 2))!;
        Assert.NotNull(y);
        Assert.Equal([4.0, -1.0], TensorAssert.Values(y));
        (y.flatten() * tensor(new double[] { 2, 5 }, float64)).sum().backward();
        Assert.Equal([-5.0, 0, 0, 2, 50, 0, 0, 20], TensorAssert.Values(x.grad![0, ..2]));
        Assert.Equal(0.0, x.grad![0, 2..].abs().sum().ToDouble());
        Assert.Equal([8.0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0], TensorAssert.Values(weight.grad!));
    }

    [Theory]
    [InlineData(5, 32, 16, 8, 64, 5, 2, 2, 2, 0.35)] // workload (c)'s second layer: spikes, the gathered forward
    [InlineData(4, 64, 8, 4, 128, 5, 2, 2, 2, 0.35)] // its third layer: windows mostly in the padding
    [InlineData(3, 9, 7, 6, 5, 3, 1, 3, 2, 0.9)]     // dense input (libtorch's forward), overlapping windows, odd channels
    [InlineData(2, 8, 6, 9, 3, 3, 0, 2, 3, 0.5)]     // gaps between windows, rows and columns left over
    [InlineData(3, 16, 8, 6, 24, 3, 1, 2, 2, 0.35)]  // 16 input channels: the input gradient's gathered sums in pairs of registers
    public void Values_and_gradients_equal_libtorch_to_second_order(int samples, int inChannels, int height, int width, int outChannels,
        int kernel, int padding, int window, int stride, double density)
    {
        var generator = new Generator(53);
        var x = (rand([samples, inChannels, height, width], dtype: float64, generator: generator).lt(density).to(float64)
            * randn([samples, inChannels, height, width], dtype: float64, generator: generator)).requires_grad_();
        var weight = randn([outChannels, inChannels, kernel, kernel], dtype: float64, generator: generator).requires_grad_();
        var pool = new PoolWindow(window, stride);
        int pooledHeight = pool.Out(height + 2 * padding - kernel + 1), pooledWidth = pool.Out(width + 2 * padding - kernel + 1);
        var probe = randn([samples, outChannels, pooledHeight, pooledWidth], dtype: float64, generator: generator);
        var results = new List<Tensor[]>();
        foreach (bool pooled in new[] { false, true })
        {
            var y = pooled
                ? PooledConv.TryConv(x, weight, 1, padding, pool)!
                : nn.functional.max_pool2d(nn.functional.conv2d(x, weight, padding: [padding, padding]), [window, window], [stride, stride]);
            Assert.NotNull(y);
            var first = MetaSpike.Runtime.Autograd.Grad([(y * probe).sum()], [x, weight], createGraph: true);
            var second = MetaSpike.Runtime.Autograd.Grad([(first[0] * first[0].sin()).sum() + (first[1] * first[1].tanh()).sum() + (y * y).sum()], [x, weight]);
            results.Add([y.detach(), .. first.Select(g => g.detach()), .. second]);
        }
        string[] names = ["output", "input gradient", "weight gradient", "second order in x", "second order in weight"];
        for (int i = 0; i < names.Length; i++) Close(results[0][i], results[1][i], 1e-10, names[i]);
        Assert.True(results[1][3].abs().sum().ToDouble() > 0 && results[1][4].abs().sum().ToDouble() > 0, "second-order gradient vanished");
    }

    [Fact]
    public void A_fused_sequence_in_a_gradient_window_equals_the_unfused_one()
    {
        var generator = new Generator(5);
        // Event frames into a first pair (the event-driven pooled node), its pooled outputs into a second (PooledConv).
        var input = rand([3, 2, 2, 16, 12], dtype: float64, generator: generator).lt(0.05).to(float64);
        var results = new[] { false, true }.Select(fused =>
        {
            manual_seed(11);
            var net = new Sequential(new Conv2d(2, 16, 3, padding: 1) { Fused = fused }, new MaxPool2d(2) { Fused = fused },
                new Conv2d(16, 24, 3, padding: 1) { Fused = fused }, new MaxPool2d(2) { Fused = fused });
            net.to(float64);
            var parameters = net.parameters().ToArray();
            var y = net.Sequence(input);
            var first = MetaSpike.Runtime.Autograd.Grad([(y * y.cos()).sum()], parameters, createGraph: true);
            var second = MetaSpike.Runtime.Autograd.Grad([first.Select(g => (g * g).sum()).Aggregate((a, b) => a + b)], parameters);
            return new[] { y.detach() }.Concat(first.Select(g => g.detach())).Concat(second).ToArray();
        }).ToArray();
        Assert.Equal(9, results[0].Length);
        for (int i = 0; i < results[0].Length; i++) Close(results[0][i], results[1][i], 1e-10, $"result {i}");
    }

    [Fact]
    public void Inputs_it_does_not_take_are_left_to_the_layers_in_turn()
    {
        var weight = randn(16, 8, 3, 3, dtype: float64).requires_grad_();
        var x = randn(2, 8, 6, 6, dtype: float64);
        var pool = new PoolWindow(2, 2);
        Assert.NotNull(PooledConv.TryConv(x, weight, 1, 1, pool));
        using (no_grad()) Assert.Null(PooledConv.TryConv(x, weight, 1, 1, pool));                           // no gradient recorded
        Assert.Null(PooledConv.TryConv(x, weight.detach(), 1, 1, pool));                                        // nothing requires grad
        Assert.Null(PooledConv.TryConv(randn(2, 4, 6, 6, dtype: float64), randn(16, 4, 3, 3, dtype: float64).requires_grad_(), 1, 1, pool)); // 4 channels
        Assert.Null(PooledConv.TryConv(x, weight, 2, 1, pool));                                                 // stride 2
        Assert.Null(PooledConv.TryConv(x, weight, 1, 0, new PoolWindow(5, 1)));                                 // window past the 4 x 4 output
    }
}
