using MetaSpike.Layers;
using MetaSpike.Layers.Fused;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// A convolution followed by max pooling without a recorded gradient (burn-in, evaluation), where the event-driven
/// and gathered convolutions pool each sample's output before writing it: the running maximum's rule by hand,
/// libtorch's convolution and pooling as reference for both kernels and several windows, bit-for-bit agreement with
/// the layers run one after the other, and the cases left to the unpooled path.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class PooledConvTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pooling_as_written_keeps_the_first_maximum_lets_NaN_win_and_covers_every_channel(bool single)
    {
        // 19 output channels: whole registers and three channels left over. Inputs and weights of 0 and 1 make exact,
        // often equal sums: the recorded routes must keep the first maximum, as libtorch's pooling does, or the weight
        // gradient (which follows the routes) differs from libtorch's.
        var generator = new Generator(23);
        var dtype = single ? float32 : float64;
        var x = rand([5, 2, 9, 8], dtype: float64, generator: generator).lt(0.08).to(dtype);
        var w = rand([19, 2, 3, 3], dtype: float64, generator: generator).lt(0.4).to(dtype);
        var grad = randn([5, 19, 4, 4], dtype: float64, generator: generator).to(dtype);
        var pool = new PoolWindow(2, 2);
        var (fused, reference) = (w.clone().requires_grad_(), w.clone().requires_grad_());
        var pooled = SparseInputConv.TryConv(x, fused, 1, 1, pool)!;
        var expected = nn.functional.max_pool2d(nn.functional.conv2d(x, reference, padding: [1, 1]), [2, 2], [2, 2]);
        Assert.True(expected.eq(pooled).all().item<bool>(), "pooled values");
        (pooled * grad).sum().backward();
        (expected * grad).sum().backward();
        Assert.True(reference.grad!.allclose(fused.grad!, rtol: 1e-5, atol: 1e-5), "weight gradient through the routes");
        // A NaN weight makes the sums it reaches NaN; a NaN wins its window, in the leftover channels too.
        using var noGrad = no_grad();
        w[18, 1, 1, 1] = tensor(double.NaN, dtype);
        var nan = SparseInputConv.TryConv(x, w, 1, 1, pool)!;
        var full = SparseInputConv.TryConv(x, w, 1, 1)!;
        var (expectedNan, _) = MaxPoolKernels.Forward(full, MaxPoolKernels.GeometryOf(full, 2, 2)!, withRoutes: false);
        Assert.True(expectedNan.isnan().eq(nan.isnan()).all().item<bool>() && nan[.., 18].isnan().any().item<bool>(), "NaNs differ");
        Assert.True(expectedNan.nan_to_num().eq(nan.nan_to_num()).all().item<bool>(), "values beside the NaNs");
    }

    [Theory]
    [InlineData(2, 2)] // workload (c)'s windows
    [InlineData(3, 2)] // overlapping windows, a row and a column left over
    [InlineData(2, 3)] // gaps between windows
    public void Both_kernels_equal_libtorchs_convolution_then_pooling(int window, int stride)
    {
        var generator = new Generator(47);
        var events = rand([6, 2, 11, 9], dtype: float64, generator: generator).lt(0.06).to(float64);      // event frames: the event-driven kernel
        var spikes = rand([5, 6, 11, 9], dtype: float64, generator: generator).lt(0.35).to(float64);      // hidden spikes: the gathered kernel
        var graded = spikes * randn([5, 6, 11, 9], dtype: float64, generator: generator);
        using var _ = no_grad();
        var pool = new PoolWindow(window, stride);
        foreach (var (x, outChannels, padding) in new[] { (events, 32, 2), (spikes, 16, 1), (graded, 24, 0) })
        {
            var weight = randn([outChannels, x.shape[1], 3, 3], dtype: float64, generator: generator);
            var expected = nn.functional.max_pool2d(nn.functional.conv2d(x, weight, padding: [padding, padding]), [window, window], [stride, stride]);
            var pooled = (x.shape[1] == 2 ? SparseInputConv.TryConv(x, weight, 1, padding, pool) : GatherConv.TryConv(x, weight, 1, padding, pool))!;
            Assert.NotNull(pooled);
            Close(expected, pooled, 1e-12, $"float64, {x.shape[1]} input channels");
            var single = (x.shape[1] == 2
                ? SparseInputConv.TryConv(x.to(float32), weight.to(float32), 1, padding, pool)
                : GatherConv.TryConv(x.to(float32), weight.to(float32), 1, padding, pool))!;
            Close(expected.to(float32), single, 1e-4, $"float32, {x.shape[1]} input channels");
        }
    }

    [Theory]
    [InlineData(0.05)] // event frames: the event-driven kernel
    [InlineData(0.35)] // hidden spikes: the gathered kernel
    [InlineData(0.9)]  // dense: libtorch's convolution, then the pooling kernel
    public void A_fused_sequence_equals_its_layers_run_one_after_the_other_bit_for_bit(double density)
    {
        manual_seed(5);
        var conv = new Conv2d(3, 16, 5, padding: 2) { Fused = true };
        var pool = new MaxPool2d(2) { Fused = true };
        var net = new Sequential(conv, pool);
        var x = rand([7, 4, 3, 12, 10]).lt(density).to(float32);
        using var _ = no_grad();
        var pooled = net.Sequence(x);
        var separate = pool.Sequence(conv.Sequence(x));
        Assert.Equal([7, 4, 16, 6, 5], pooled.shape);
        Assert.True(pooled.eq(separate).all().item<bool>(), "the bias added after pooling gives the same bits as before it");
        Assert.NotNull(conv.SequencePooled(x, pool));
    }

    [Fact]
    public void Dense_narrow_inputs_with_a_gradient_unfused_layers_and_windows_past_the_output_take_the_layers_in_turn()
    {
        manual_seed(6);
        var conv = new Conv2d(2, 8, 3, padding: 1) { Fused = true };
        var pool = new MaxPool2d(2) { Fused = true };
        var x = rand([3, 2, 2, 6, 6]).lt(0.05).to(float32);
        Assert.NotNull(conv.SequencePooled(x, pool));               // event frames with a recorded gradient: one pooled node
        Assert.Null(conv.SequencePooled(rand([3, 2, 2, 6, 6]), pool)); // two dense channels with one: neither pooled node takes them
        using (no_grad())
        {
            Assert.NotNull(conv.SequencePooled(x, pool));
            Assert.Null(conv.SequencePooled(x, new MaxPool2d(2)));
            Assert.Null(conv.SequencePooled(x, new MaxPool2d(7) { Fused = true }));
            conv.Fused = false;
            Assert.Null(conv.SequencePooled(x, pool));
            conv.Fused = true;
            var error = Assert.Throws<ArgumentException>(() => conv.SequencePooled(rand([3, 2, 5, 6, 6]), pool));
            Assert.Contains("Conv2d(2, 8, kernel 3)", error.Message);
        }
        var seq = new Sequential(conv, pool);
        var y = seq.Sequence(x);
        Assert.True(y.requires_grad);
        y.sum().backward();
        Assert.NotNull(conv.parameters().First().grad);
    }
}
