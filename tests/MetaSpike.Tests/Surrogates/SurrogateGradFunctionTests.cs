using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Surrogates;

/// <summary>The recorded spike backward as one node (<see cref="SurrogateGradFunction"/>) against the tensor form, to third order.</summary>
[Collection(GlobalRandomCollection.Name)]
public class SurrogateGradFunctionTests
{
    public static TheoryData<string, double, double> Cases => new()
    {
        { "fast sigmoid", 0.0, 1.0 },
        { "fast sigmoid", 1.0, 1.0 },
        { "inverse square", 0.5, 0.25 },
    };

    private static SurrogateFunction Create(string name) => name == "fast sigmoid" ? new FastSigmoid(slope: 25.0) : new InvSquareGrad(alpha: 7.0);

    /// <summary>Potentials near the shift, far away, exactly at it (sign 0) and beyond the finite clamp; upstream and weights.</summary>
    private static (Tensor V, Tensor Upstream, Tensor W1, Tensor W2) Inputs(double shift, ScalarType dtype)
    {
        var generator = new Generator(11);
        var v = cat([randn([300], dtype: float64, generator: generator) * 0.2 + shift, tensor(new[] { shift, shift + 3.0, shift - 1e12, shift + 1e12 })]).to(dtype);
        return (v, randn(v.shape, dtype: dtype, generator: generator), randn(v.shape, dtype: dtype, generator: generator), randn(v.shape, dtype: dtype, generator: generator));
    }

    /// <summary>
    /// Values, the node's gradients in v and the upstream (second derivatives of the spike), and a third-order
    /// derivative, each from <paramref name="gradTimes"/>.
    /// </summary>
    private static Tensor[] Derivatives(Func<Tensor, Tensor, Tensor> gradTimes, Tensor v0, Tensor u0, Tensor w1, Tensor w2)
    {
        var (v, u) = (v0.clone().requires_grad_(), u0.clone().requires_grad_());
        var value = gradTimes(v, u);
        var second = Autograd.Grad([(value * w1).sum()], [v, u], createGraph: true);
        var third = Autograd.Grad([(second[0] * w2).sum() + (second[1] * w2).square().sum()], [v, u]);
        return [value.detach(), second[0].detach(), second[1].detach(), third[0], third[1]];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Values_and_derivatives_to_third_order_match_the_tensor_form(string name, double shift, double scale)
    {
        var family = Create(name);
        var theta = family.Hyperparameters();
        foreach (var dtype in new[] { float64, float32 })
        {
            var (v, u, w1, w2) = Inputs(shift, dtype);
            long before = SurrogateGradFunction.Recorded;
            var node = Derivatives((x, up) => SurrogateKernel.GradTimes(family, x, up, theta, shift, scale), v, u, w1, w2);
            Assert.True(SurrogateGradFunction.Recorded >= before + 2, "the value and the recorded second derivative take the node");
            var reference = Derivatives((x, up) => SurrogateKernel.TensorGradTimes(family, x, up, theta, shift, scale), v, u, w1, w2);
            var (rel, abs) = TensorAssert.Tolerance(dtype);
            string[] what = ["value", "d/dv", "d/dupstream", "third order in v", "third order in the upstream"];
            for (int k = 0; k < what.Length; k++)
            {
                var (expected, actual) = (TensorAssert.Values(reference[k]), TensorAssert.Values(node[k]));
                // Both first-order forms scale by 1/scale^2 and 1/scale^3: compare relative to the largest magnitude.
                double largest = expected.Max(Math.Abs);
                for (int i = 0; i < expected.Length; i++)
                    TensorAssert.Close(expected[i], actual[i], rel, abs + rel * largest, $"{name} {dtype} {what[k]} [{i}]");
            }
        }
    }

    [Fact]
    public void The_gradient_in_v_matches_finite_differences()
    {
        // d/dv [u · G(v)] = u · G'(v), with G(x) = 1 / (25 |x| + 1)^2.
        var family = new FastSigmoid(slope: 25.0);
        var theta = family.Hyperparameters();
        var v = tensor(new[] { -0.3, -0.02, 0.01, 0.2, 1.5 }).requires_grad_();
        var u = tensor(new[] { 0.7, -1.1, 2.0, 0.4, -0.9 });
        var value = SurrogateKernel.GradTimes(family, v, u, theta);
        var gradient = TensorAssert.Values(Autograd.Grad([value.sum()], [v])[0]);
        const double h = 1e-6;
        double G(double x) => 1.0 / Math.Pow(25.0 * Math.Abs(x) + 1.0, 2);
        var (vs, us) = (TensorAssert.Values(v), TensorAssert.Values(u));
        for (int i = 0; i < vs.Length; i++)
            TensorAssert.Close(us[i] * (G(vs[i] + h) - G(vs[i] - h)) / (2 * h), gradient[i], 1e-7, 1e-9, $"element {i}");
    }

    [Fact]
    public void A_trained_hyperparameter_keeps_the_tensor_form_and_gets_its_gradient()
    {
        var family = new FastSigmoid(slope: 25.0, trainable: true);
        var theta = family.Hyperparameters();
        var v = tensor(new[] { 0.1, -0.2 }).requires_grad_();
        long before = SurrogateGradFunction.Recorded;
        var value = SurrogateKernel.GradTimes(family, v, ones_like(v), theta);
        Assert.Equal(before, SurrogateGradFunction.Recorded);
        // d/dslope of 1 / (slope |x| + 1)^2 = -2 |x| / (slope |x| + 1)^3: -0.2 / 3.5^3 - 0.4 / 6^3.
        var slopeGrad = Autograd.Grad([value.sum()], [theta[0]])[0].ToDouble();
        Assert.Equal(-0.2 / Math.Pow(3.5, 3) - 0.4 / 216.0, slopeGrad, 12);
    }
}
