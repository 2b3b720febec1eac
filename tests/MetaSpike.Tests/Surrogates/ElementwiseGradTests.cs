using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Surrogates;

/// <summary>The one-pass first-order backward of the inverse-square families against their tensor form.</summary>
[Collection(GlobalRandomCollection.Name)]
public class ElementwiseGradTests
{
    public static TheoryData<string> Families => new() { "fast sigmoid", "inverse square" };

    private static SurrogateFunction Create(string name) => name == "fast sigmoid" ? new FastSigmoid(slope: 25.0) : new InvSquareGrad(alpha: 7.0);

    [Theory]
    [MemberData(nameof(Families))]
    public void First_order_backward_equals_the_tensor_form_exactly_and_runs_in_one_pass(string name)
    {
        var family = Create(name);
        foreach (var dtype in new[] { float32, float64 })
        {
            var generator = new Generator(3);
            // Values near the threshold, far away, beyond the finite clamp, and non-finite.
            var x = cat([randn([1000], dtype: dtype, generator: generator) * 0.3, tensor(new[] { 0.0, -0.0, 1e12, -1e12, double.PositiveInfinity, double.NaN }).to(dtype)]).requires_grad_();
            var upstream = randn([1006], dtype: dtype, generator: generator);
            long before = ElementwiseGrads.Calls;
            var fast = Autograd.Grad([(family.forward(x) * upstream).sum()], [x])[0];
            Assert.Equal(before + 1, ElementwiseGrads.Calls);
            Tensor reference;
            using (no_grad()) reference = SurrogateKernel.TensorGradTimes(family, x, upstream, family.Hyperparameters());
            Assert.Equal(TensorAssert.Values(reference), TensorAssert.Values(fast));
            Assert.True(double.IsNaN(TensorAssert.Values(fast)[^1]), "a NaN input keeps a NaN gradient");
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Large_shifted_and_scaled_inputs_split_across_threads_equal_the_tensor_form_exactly(string name)
    {
        // Over 2^16 elements the pass runs as two halves; a unit scale skips both divisions (x / 1 is exact).
        var family = Create(name);
        foreach (var dtype in new[] { float32, float64 })
        foreach (var (shift, scale) in new[] { (1.0, 1.0), (0.5, 0.25) })
        {
            var generator = new Generator(4);
            var v = randn([(1 << 17) + 37], dtype: dtype, generator: generator) * 0.3 + shift;
            var upstream = randn(v.shape, dtype: dtype, generator: generator);
            Tensor fast;
            long before = ElementwiseGrads.Calls;
            using (no_grad()) fast = SurrogateKernel.GradTimes(family, v, upstream, family.Hyperparameters(), shift, scale);
            Assert.Equal(before + 1, ElementwiseGrads.Calls);
            var reference = SurrogateKernel.TensorGradTimes(family, v, upstream, family.Hyperparameters(), shift, scale);
            Assert.Equal(TensorAssert.Values(reference), TensorAssert.Values(fast));
        }
    }

    [Fact]
    public void Matches_the_curve_worked_out_by_hand()
    {
        // G(x) = 1 / (25 |x| + 1)^2: at x = 0.1, 1 / 3.5^2 = 0.0816326530612245; at x = -0.2, 1 / 36 = 0.02777...; times the upstream.
        var x = tensor(new[] { 0.1, -0.2 }).requires_grad_();
        var g = Autograd.Grad([(new FastSigmoid(slope: 25.0).forward(x) * tensor(new[] { 2.0, 3.0 })).sum()], [x])[0];
        Assert.Equal(2.0 / 12.25, g[0].ToDouble(), 14);
        Assert.Equal(3.0 / 36.0, g[1].ToDouble(), 14);
    }

    [Fact]
    public void Per_neuron_hyperparameters_take_the_tensor_form()
    {
        var family = new FastSigmoid(slope: tensor(new[] { 10.0, 20.0 }));
        var x = tensor(new[] { 0.1, 0.1 }).requires_grad_();
        long before = ElementwiseGrads.Calls;
        var g = Autograd.Grad([family.forward(x).sum()], [x])[0];
        Assert.Equal(before, ElementwiseGrads.Calls);
        Assert.Equal(1.0 / 4.0, g[0].ToDouble(), 14);
        Assert.Equal(1.0 / 9.0, g[1].ToDouble(), 14);
    }
}
