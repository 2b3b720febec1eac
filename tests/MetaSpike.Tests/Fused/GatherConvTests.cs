using MetaSpike.Layers;
using MetaSpike.Layers.Fused;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// The gathered convolution of <see cref="Conv2d"/> with <c>Fused</c> on (inputs without a recorded gradient that are
/// at most half nonzero, such as hidden spikes in burn-in): numbers by hand, libtorch's convolution as reference in
/// float64 and float32 over register-block remainders, paddings and kernel sizes, and the inputs it leaves to libtorch.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class GatherConvTests
{
    [Fact]
    public void Each_output_sums_the_weight_rows_of_the_channels_that_fired_under_its_taps()
    {
        // 2 input channels on a 3 x 3 frame, kernel 3, padding 1; weight[co, ci, :, :] = (co + 1) · (1 if ci = 0 else 10).
        // Channel 0 fires 1 at the centre and channel 1 fires 2 there: the centre reaches all 9 outputs with 1 + 10·2 = 21.
        // Channel 1 also fires 0.5 at (0, 0), which reaches outputs (0..1, 0..1) with 10·0.5 = 5.
        // So output[co] = (co + 1) · [[26, 26, 21], [26, 26, 21], [21, 21, 21]].
        var x = zeros(1, 2, 3, 3, dtype: float64);
        x[0, 0, 1, 1] = tensor(1.0, float64);
        x[0, 1, 1, 1] = tensor(2.0, float64);
        x[0, 1, 0, 0] = tensor(0.5, float64);
        const int outChannels = 8;
        var w = zeros(outChannels, 2, 3, 3, dtype: float64);
        for (int co = 0; co < outChannels; co++)
        {
            w[co, 0] = full(3, 3, co + 1.0, dtype: float64);
            w[co, 1] = full(3, 3, 10.0 * (co + 1), dtype: float64);
        }
        Tensor y;
        using (no_grad()) y = GatherConv.TryConv(x, w, stride: 1, padding: 1)!;
        Assert.NotNull(y);
        double[] pattern = [26, 26, 21, 26, 26, 21, 21, 21, 21];
        for (int co = 0; co < outChannels; co++)
            Assert.Equal(pattern.Select(v => v * (co + 1)), TensorAssert.Values(y[0, co]));
    }

    [Theory]
    [InlineData(7, 32, 16, 8, 64, 5, 2)]   // workload (c)'s second layer: four-register blocks, five taps as three and two
    [InlineData(5, 64, 8, 4, 128, 5, 2)]   // its third layer: two blocks, taps mostly in the padding
    [InlineData(6, 64, 16, 8, 32, 5, 2)]   // its second layer's input gradient: two-register blocks, five taps a walk
    [InlineData(9, 3, 9, 7, 40, 3, 0)]     // no padding; 40 channels leave single registers after the blocks
    [InlineData(4, 5, 6, 11, 8, 3, 1)]     // fewer channels than one block
    [InlineData(3, 6, 7, 5, 48, 3, 1)]     // 48 channels: a block of two registers, then one
    [InlineData(2, 4, 9, 10, 64, 7, 3)]    // seven taps a row: three walks of four-register blocks
    [InlineData(2, 4, 9, 10, 32, 7, 2)]    // seven taps a row: two walks of two-register blocks
    public void Values_equal_libtorch(int samples, int inChannels, int height, int width, int outChannels, int kernel, int padding)
    {
        var generator = new Generator(31);
        var spikes = rand([samples, inChannels, height, width], dtype: float64, generator: generator).lt(0.35).to(float64);
        var graded = spikes * randn([samples, inChannels, height, width], dtype: float64, generator: generator);
        var weight = randn([outChannels, inChannels, kernel, kernel], dtype: float64, generator: generator);
        using var _ = no_grad();
        foreach (var x in new[] { spikes, graded })
        {
            var expected = nn.functional.conv2d(x, weight, padding: [padding, padding]);
            Close(expected, GatherConv.TryConv(x, weight, 1, padding)!, 1e-12, "float64 output");
            var single = GatherConv.TryConv(x.to(float32), weight.to(float32), 1, padding)!;
            Assert.Equal(ScalarType.Float32, single.dtype);
            Close(expected, single.to(float64), 2e-4, "float32 output");
        }
    }

    [Fact]
    public void Dense_strided_or_odd_channel_inputs_and_large_recorded_planes_are_left_to_libtorch()
    {
        var w = randn(16, 4, 3, 3);
        var spikes = rand(6, 4, 8, 8).lt(0.3).to(float32);
        var small = rand(6, 4, 4, 8).lt(0.3).to(float32); // 32 output positions per channel at padding 1
        using (no_grad())
        {
            Assert.NotNull(GatherConv.TryConv(spikes, w, 1, 1));
            Assert.NotNull(GatherConv.TryConv(spikes.clone().requires_grad_(), w.clone().requires_grad_(), 1, 1));
            Assert.Null(GatherConv.TryConv(spikes, w, 2, 1));
            Assert.Null(GatherConv.TryConv(rand(6, 4, 8, 8).lt(0.8).to(float32), w, 1, 1));
            Assert.Null(GatherConv.TryConv(spikes, randn(6, 4, 3, 3), 1, 1));
            Assert.Null(GatherConv.TryConv(spikes.to(float64), w, 1, 1));
            Assert.NotNull(GatherConv.TryConv(small, w, 1, 3));
        }
        Assert.Null(GatherConv.TryConv(spikes.clone().requires_grad_(), w, 1, 1)); // 64 positions: libtorch
        Assert.Null(GatherConv.TryConv(spikes, w.clone().requires_grad_(), 1, 1));
        Assert.NotNull(GatherConv.TryConv(small.clone().requires_grad_(), w, 1, 1));
        Assert.NotNull(GatherConv.TryConv(small, w.clone().requires_grad_(), 1, 1));
        Assert.Null(GatherConv.TryConv(small, w.clone().requires_grad_(), 1, 3)); // recorded padding past K - 1
        Assert.NotNull(GatherConv.TryConv(spikes, w, 1, 1));
    }

    [Fact]
    public void The_weight_gradient_sums_the_output_gradients_each_tap_reached_from_the_inputs_that_fired()
    {
        // 2 input channels on a 3 x 3 frame, kernel 3, padding 1, output gradient co + 1 everywhere. Channel 1 fires 2
        // at the centre: every tap reaches an output, so weight.grad[co, 1] = 2 (co + 1) at all 9 taps. Channel 0 fires
        // 0.5 at the corner (0, 0): tap (ky, kx) reaches output (1 - ky, 1 - kx), inside the frame for ky, kx <= 1 only.
        var x = zeros(1, 2, 3, 3, dtype: float64);
        x[0, 1, 1, 1] = tensor(2.0, float64);
        x[0, 0, 0, 0] = tensor(0.5, float64);
        const int outChannels = 8;
        var w = randn(outChannels, 2, 3, 3, dtype: float64).requires_grad_();
        var y = GatherConv.TryConv(x, w, stride: 1, padding: 1)!;
        Assert.NotNull(y);
        (y * arange(1.0, outChannels + 1, dtype: float64).view(1, -1, 1, 1)).sum().backward();
        double[] corner = [1, 1, 0, 1, 1, 0, 0, 0, 0];
        for (int co = 0; co < outChannels; co++)
        {
            Assert.Equal(Enumerable.Repeat(2.0 * (co + 1), 9), TensorAssert.Values(w.grad![co, 1]));
            Assert.Equal(corner.Select(v => 0.5 * v * (co + 1)), TensorAssert.Values(w.grad![co, 0]));
        }
    }

    [Theory]
    [InlineData(5, 64, 8, 4, 128, 5, 2)]   // workload (c)'s third layer in the gradient window
    [InlineData(6, 3, 4, 7, 40, 3, 1)]     // 40 channels: single registers after the paired taps' blocks
    [InlineData(3, 5, 3, 4, 8, 3, 2)]      // padding K - 1: every tap of every pixel reaches an output
    public void Gradients_equal_libtorch_to_second_order(int samples, int inChannels, int height, int width, int outChannels, int kernel, int padding)
    {
        var generator = new Generator(47);
        var x = (rand([samples, inChannels, height, width], dtype: float64, generator: generator).lt(0.35).to(float64)
            * randn([samples, inChannels, height, width], dtype: float64, generator: generator)).requires_grad_();
        var weight = randn([outChannels, inChannels, kernel, kernel], dtype: float64, generator: generator).requires_grad_();
        var probe = randn([samples, outChannels, height + 2 * padding - kernel + 1, width + 2 * padding - kernel + 1], dtype: float64, generator: generator);
        var results = new List<Tensor[]>();
        foreach (bool gathered in new[] { false, true })
        {
            var y = gathered ? GatherConv.TryConv(x, weight, 1, padding)! : nn.functional.conv2d(x, weight, padding: [padding, padding]);
            Assert.NotNull(y);
            var first = MetaSpike.Runtime.Autograd.Grad([(y * probe).sum()], [x, weight], createGraph: true);
            var second = MetaSpike.Runtime.Autograd.Grad([first[0].square().sum() + (first[1] * first[1].tanh()).sum()], [x, weight]);
            results.Add([y.detach(), .. first.Select(g => g.detach()), .. second]);
        }
        string[] names = ["output", "input gradient", "weight gradient", "second order in x", "second order in weight"];
        for (int i = 0; i < names.Length; i++) Close(results[0][i], results[1][i], 1e-10, names[i]);
        Assert.True(results[1][3].abs().sum().ToDouble() > 0 && results[1][4].abs().sum().ToDouble() > 0, "second-order gradient vanished");
    }

    [Fact]
    public void The_fused_layer_in_burn_in_gives_the_unfused_output_with_its_bias()
    {
        var layer = new Conv2d(32, 64, 5, padding: 2);
        var spikes = rand(2 * Conv2d.ChunkSamples / 16, 32, 16, 8, generator: new Generator(3)).lt(0.37).to(float32);
        using var _ = no_grad();
        var reference = layer.Step(spikes);
        layer.Fused = true;
        Assert.Null(SparseInputConv.TryConv(spikes, layer.get_parameter("weight")!, 1, 2)); // too dense for the event-driven path
        Close(reference.to(float64), layer.Step(spikes).to(float64), 2e-4, "fused layer output");
    }

    [Theory]
    [InlineData(2, 2)] // workload (c)'s windows
    [InlineData(3, 2)] // overlapping windows
    [InlineData(2, 3)] // gaps between windows, a row and a column left over
    public void Pooling_as_samples_are_written_keeps_the_routes_of_the_pooling_kernel(int window, int stride)
    {
        // Weights of 0 and 1 make many outputs equal (ties must keep the first maximum), and a NaN weight makes the
        // outputs it reaches through a nonzero input NaN (a NaN wins, as in PyTorch). The reference pools the same
        // kernel's full-size output with the pooling kernel (libtorch's convolution would also multiply NaN by the zeros).
        var generator = new Generator(11);
        var x = rand([4, 6, 7, 8], dtype: float64, generator: generator).lt(0.35).to(float64);
        var weight = rand([8, 6, 3, 3], dtype: float64, generator: generator).lt(0.3).to(float64);
        weight[5, 2, 1, 1] = tensor(double.NaN, float64);
        var pool = new PoolWindow(window, stride);
        var (values, routes) = GatherConv.TryPool(x, weight, 1, pool)!.Value;
        var full = GatherConv.TryConv(x, weight, 1, 1)!;
        var (expected, expectedRoutes) = MaxPoolKernels.Forward(full, MaxPoolKernels.GeometryOf(full, window, stride)!, withRoutes: true);
        Assert.Equal(TensorAssert.Values(expectedRoutes!.to(float64)), TensorAssert.Values(routes.to(float64)));
        Assert.True(expected.isnan().equal(values.isnan()).all().item<bool>(), "NaNs differ");
        Assert.True(values.isnan().any().item<bool>() && !values.isnan().all().item<bool>());
        Close(expected.nan_to_num(), values.nan_to_num(), 1e-12, "pooled values");
        Assert.True(full.eq(full.amax([2, 3], keepdim: true)).sum().item<long>() > full.shape[0] * full.shape[1], "no ties to test");
    }

    [Theory]
    [InlineData(6, 64, 16, 8, 32, 2, 2, ScalarType.Float32)] // workload (c)'s second layer's input gradient
    [InlineData(5, 128, 8, 4, 64, 2, 2, ScalarType.Float32)] // its third layer's
    [InlineData(3, 16, 9, 7, 8, 2, 3, ScalarType.Float64)]   // gaps between windows, a row and a column left over
    [InlineData(4, 8, 7, 9, 16, 3, 3, ScalarType.Float64)]   // 3 x 3 windows, nine routes
    public void A_routed_gradient_convolves_as_the_scattered_one(int samples, int channels, int height, int width, int outChannels, int window, int stride, ScalarType dtype)
    {
        // Pooled values with zeros (skipped) and a NaN, routed anywhere in their windows: the lists made from the routes
        // must be the lists the scan of the scattered input finds, in the same order, so the sums are the same bits.
        var generator = new Generator(17);
        var pool = new PoolWindow(window, stride);
        long[] pooledShape = [samples, channels, pool.Out(height), pool.Out(width)];
        var pooled = randn(pooledShape, dtype: dtype, generator: generator) * rand(pooledShape, dtype: dtype, generator: generator).lt(0.8).to(dtype);
        pooled[0, 1, 0, 0] = tensor(double.NaN, dtype);
        var routes = randint(0, window * window, pooledShape, dtype: ScalarType.Byte, generator: generator);
        var weight = randn([outChannels, channels, 5, 5], dtype: dtype, generator: generator);
        var g = new ConvGeometry(channels, height, width, outChannels, 5, 2);
        var routing = new PoolGeometry(samples * channels, height, width, window, stride);
        var scattered = MaxPoolKernels.Route(pooled, routes, routing, [samples, channels, height, width], scatter: true);
        var expected = GatherConv.Convolve(scattered, weight, g);
        var actual = GatherConv.ConvolveRouted(pooled, routes, routing, weight, g);
        Assert.True(expected.isnan().eq(actual.isnan()).all().item<bool>(), "NaNs differ");
        Assert.True(actual.isnan().any().item<bool>() && !actual.isnan().all().item<bool>());
        Assert.True(expected.nan_to_num().eq(actual.nan_to_num()).all().item<bool>(), "routed and scattered sums differ");
        var reference = nn.functional.conv2d(scattered.nan_to_num().to(float64), weight.to(float64), padding: [2, 2]);
        Close(reference, actual.nan_to_num().to(float64).where(expected.isnan().logical_not(), reference), dtype == ScalarType.Float32 ? 1e-4 : 1e-10, "against libtorch");
    }

    [Fact]
    public void Overlapping_windows_are_refused_for_routed_lists()
    {
        var pooled = zeros(1, 8, 3, 3);
        var routes = zeros(1, 8, 3, 3, dtype: ScalarType.Byte);
        var error = Assert.Throws<ArgumentException>(() => GatherConv.ConvolveRouted(pooled, routes, new PoolGeometry(8, 7, 7, 3, 2), zeros(8, 8, 3, 3), new ConvGeometry(8, 7, 7, 8, 3, 1)));
        Assert.Contains("overlapping", error.Message);
    }
}
