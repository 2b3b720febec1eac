using MetaSpike.Layers;
using MetaSpike.Layers.Fused;
using MetaSpike.Modules;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// <see cref="MaxPool2d"/> with <c>Fused</c> on: MetaSpike's pooling kernel against libtorch's max_pool2d (values,
/// which tied element gets the gradient, gradients of first and second order), numbers by hand, and fallbacks.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class MaxPoolKernelTests
{
    private static Tensor Pool(MaxPool2d layer, Tensor x, bool fused)
    {
        layer.Fused = fused;
        return layer.Step(x);
    }

    [Fact]
    public void Pooling_by_hand_routes_the_gradient_to_the_first_maximum()
    {
        // One 2 x 4 plane, windows 2 x 2: [[1, 5, 2, 2], [3, 0, 2, 2]] -> maxima 5 (top right of the first window) and
        // 2 (a four-way tie, so the first element, top left, takes the whole gradient).
        var x = tensor(new double[] { 1, 5, 2, 2, 3, 0, 2, 2 }, [1, 1, 2, 4], requires_grad: true);
        var y = Pool(new MaxPool2d(2), x, fused: true);
        Assert.Equal([5.0, 2.0], TensorAssert.Values(y));
        var g = MetaSpike.Runtime.Autograd.Grad([(y * tensor(new double[] { 10, 20 }, [1, 1, 1, 2])).sum()], [x])[0];
        Assert.Equal([0.0, 10, 20, 0, 0, 0, 0, 0], TensorAssert.Values(g));
    }

    [Theory]
    [InlineData(2, 2, 32, 16, ScalarType.Float32)]
    [InlineData(2, 2, 7, 9, ScalarType.Float64)]
    [InlineData(3, 2, 9, 8, ScalarType.Float64)]
    [InlineData(3, 3, 10, 11, ScalarType.Float32)]
    public void Values_and_gradients_equal_libtorch_bit_for_bit(int kernel, int stride, int height, int width, ScalarType dtype)
    {
        var generator = new Generator(3);
        // Rounded values make ties common (as spikes and biases do), so the choice among equal maxima is exercised.
        var data = (randn([3, 5, height, width], dtype: float64, generator: generator) * 2).round().to(dtype);
        var upstream = randn([3, 5, (height - kernel) / stride + 1, (width - kernel) / stride + 1], dtype: float64, generator: generator).to(dtype);
        var layer = new MaxPool2d(kernel, stride);
        var results = new List<(Tensor Y, Tensor G)>();
        foreach (bool fused in new[] { false, true })
        {
            var x = data.clone().requires_grad_();
            var y = Pool(layer, x, fused);
            results.Add((y.detach(), MetaSpike.Runtime.Autograd.Grad([(y * upstream).sum()], [x])[0]));
        }
        Assert.Equal(TensorAssert.Values(results[0].Y), TensorAssert.Values(results[1].Y));
        Assert.Equal(TensorAssert.Values(results[0].G), TensorAssert.Values(results[1].G));
        Assert.True(results[1].G.ne(0).sum().ToInt64() > 0, "no gradient reached the input");
    }

    [Fact]
    public void Nan_wins_its_window_as_in_libtorch()
    {
        var x = tensor(new float[] { 1, float.NaN, 7, 2, 3, 4, 5, 6 }, [1, 1, 2, 4]);
        var reference = Pool(new MaxPool2d(2), x, fused: false);
        var fused = Pool(new MaxPool2d(2), x, fused: true);
        Assert.True(float.IsNaN(fused[0, 0, 0, 0].ToSingle()));
        Assert.Equal(reference[0, 0, 0, 1].ToSingle(), fused[0, 0, 0, 1].ToSingle());
    }

    [Fact]
    public void Second_order_gradients_equal_libtorch()
    {
        // d/dx of |dL/dx|^2 through a pooling between two smooth maps: the route is constant, so the second-order
        // terms come from the maps around it and must agree with libtorch's double backward.
        var generator = new Generator(11);
        var data = randn([2, 3, 6, 6], dtype: float64, generator: generator);
        var weight = randn([3, 3, 1, 1], dtype: float64, generator: generator);
        var results = new List<Tensor>();
        foreach (bool fused in new[] { false, true })
        {
            var x = data.clone().requires_grad_();
            var w = weight.clone().requires_grad_();
            var y = Pool(new MaxPool2d(2), nn.functional.conv2d(x, w).tanh(), fused);
            var loss = (y.pow(3)).sum();
            var gx = MetaSpike.Runtime.Autograd.Grad([loss], [x], createGraph: true)[0];
            results.AddRange(MetaSpike.Runtime.Autograd.Grad([gx.pow(2).sum()], [x, w]));
        }
        Close(results[0], results[2], 1e-12, "second order in x");
        Close(results[1], results[3], 1e-12, "second order in w");
        Assert.True(results[3].abs().sum().ToDouble() > 0, "second-order gradient vanished");
    }

    [Fact]
    public void Large_inputs_split_across_threads_and_other_inputs_fall_back()
    {
        var x = randn([100, 32, 32, 16]);
        var layer = new MaxPool2d(2);
        Assert.Equal(TensorAssert.Values(Pool(layer, x, false)), TensorAssert.Values(Pool(layer, x, true)));
        Assert.Null(MaxPoolKernels.GeometryOf(x.to(ScalarType.Float16), 2, 2));
        Assert.Null(MaxPoolKernels.GeometryOf(x, 17, 17));
        Assert.Null(MaxPoolKernels.GeometryOf(x[0], 2, 2));
        Assert.Equal(1, new Sequential(new MaxPool2d(2)).SetFused(true));
    }
}
