using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Fused;

/// <summary>The fused scan operation on its own: finite differences, the adjoint/tangent pair, hand-worked numbers and bad inputs.</summary>
[Collection(GlobalRandomCollection.Name)]
public class FusedScanKernelTests
{
    private static readonly ScanSpec Spec = new(HasSynapse: true, A: Math.Exp(-0.1), B: Math.Exp(-0.05), G: 1.0, VRest: 0.0,
        new SpikeRule(Threshold: 1.0, Scale: 1.0, ResetMode.ToValue, VReset: 0.0, SubtractAmount: 1.0, RefractorySteps: 1));

    private static ScanResult Run(Tensor x, Tensor v0, Tensor syn0, ScanSpec? spec = null) =>
        FusedScan.Run(x, v0, syn0, spec ?? Spec, zeros_like(v0), zeros_like(v0), "test");

    private static (Tensor X, Tensor V0, Tensor Syn0) Inputs(long seed)
    {
        manual_seed(seed);
        return (randn([16, 3, 5], dtype: float64) * 0.5 + 0.2, randn([3, 5], dtype: float64) * 0.3, randn([3, 5], dtype: float64) * 0.3);
    }

    [Fact]
    public void First_derivative_matches_central_differences_where_the_spike_pattern_is_stable()
    {
        var (x, v0, syn0) = Inputs(61);
        var weights = randn([16, 3, 5], dtype: float64);
        var lastWeights = randn([3, 5], dtype: float64);
        double Objective(Tensor input, Tensor initialV, Tensor initialSyn, out Tensor spikes)
        {
            var r = Run(input, initialV, initialSyn);
            spikes = r.V.ge(1.0);
            return ((r.V * weights).sum() + (r.SynLast! * lastWeights).sum()).ToDouble();
        }
        var xg = x.detach().requires_grad_();
        var v0g = v0.detach().requires_grad_();
        var syn0g = syn0.detach().requires_grad_();
        var result = Run(xg, v0g, syn0g);
        var grads = Autograd.Grad([(result.V * weights).sum() + (result.SynLast! * lastWeights).sum()], [xg, v0g, syn0g]);
        Objective(x, v0, syn0, out var pattern);
        Assert.InRange(pattern.to_type(float64).mean().ToDouble(), 0.05, 0.6);

        const double eps = 1e-6;
        int checkedCount = 0;
        var tensors = new[] { x, v0, syn0 };
        for (int which = 0; which < 3; which++)
        {
            var flat = TensorAssert.Values(grads[which]);
            for (int i = 0; i < flat.Length; i += 3)
            {
                var plus = tensors.Select(t => t.clone()).ToArray();
                var minus = tensors.Select(t => t.clone()).ToArray();
                plus[which].view(-1)[i] += eps;
                minus[which].view(-1)[i] -= eps;
                double up = Objective(plus[0], plus[1], plus[2], out var upPattern);
                double down = Objective(minus[0], minus[1], minus[2], out var downPattern);
                if (!upPattern.eq(pattern).all().ToBoolean() || !downPattern.eq(pattern).all().ToBoolean()) continue;
                TensorAssert.Close((up - down) / (2 * eps), flat[i], 1e-6, 1e-7, $"input {which} element {i}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 40, $"only {checkedCount} elements had a stable spike pattern");
    }

    [Fact]
    public void Backward_and_its_backward_are_adjoint_linear_maps()
    {
        // <tangent(dx, dsyn0, dv0), (gv, gsyn)> = <(dx, dsyn0, dv0), adjoint(gv, gsyn)> for the masks of a real run.
        var (x, v0, syn0) = Inputs(62);
        var xg = x.detach().requires_grad_();
        var result = Run(xg, v0, syn0);
        var gv = randn_like(x).requires_grad_();
        var gSyn = randn_like(v0).requires_grad_();
        var adjoint = Autograd.Grad([(result.V * gv).sum() + (result.SynLast! * gSyn).sum()], [xg], createGraph: true)[0];
        var dx = randn_like(x);
        // d<adjoint, dx>/d(gv, gsyn) is the tangent applied to dx.
        var tangent = Autograd.Grad([(adjoint * dx).sum()], [gv, gSyn]);
        double left = ((tangent[0] * gv).sum() + (tangent[1] * gSyn).sum()).ToDouble();
        double right = (adjoint * dx).sum().ToDouble();
        TensorAssert.Close(right, left, 1e-12, 1e-12, "<T dx, g> vs <dx, A g>");
        // The tangent of dx through the masked scan equals the change of V for a tiny step along dx (no spike flips).
        var moved = Run(x + 1e-7 * dx, v0, syn0);
        var expected = (moved.V - Run(x, v0, syn0).V) / 1e-7;
        FusedTestNets.Close(expected, tangent[0], 1e-5, "tangent vs difference");
    }

    [Fact]
    public void Hand_worked_two_neuron_trace()
    {
        // a = 0.5, b = 0.5, threshold 1, reset to 0 one step later, no refractory period; constant input 0.6.
        var spec = new ScanSpec(true, 0.5, 0.5, 1.0, 0.0, new SpikeRule(1.0, 1.0, ResetMode.ToValue, 0.0, 1.0, 0));
        var x = full([5, 1, 2], 0.6, dtype: float64);
        x[.., 0, 1] = tensor(0.3, float64);
        var r = FusedScan.Run(x, zeros([1, 2], dtype: float64), zeros([1, 2], dtype: float64), spec, zeros([1, 2], dtype: float64), null, "test");
        // Neuron 0: syn 0.6, 0.9, 1.05, 1.125, 1.1625; v 0.6, 1.2 (spike), reset -> 0, 1.125 (spike), reset -> 0.
        var expected0 = new[] { 0.6, 1.2, 0.0, 1.125, 0.0 };
        // Neuron 1: syn 0.3, 0.45, 0.525, 0.5625, 0.58125; v 0.3, 0.6, 0.825, 0.975, 1.06875.
        var expected1 = new[] { 0.3, 0.6, 0.825, 0.975, 1.06875 };
        var v = TensorAssert.Values(r.V);
        for (int t = 0; t < 5; t++)
        {
            TensorAssert.Close(expected0[t], v[2 * t], 1e-15, 1e-15, $"v0[{t}]");
            TensorAssert.Close(expected1[t], v[2 * t + 1], 1e-15, 1e-15, $"v1[{t}]");
        }
        TensorAssert.Close(1.1625, r.SynLast!.view(-1)[0].ToDouble(), 1e-15, 1e-15, "last trace");
    }

    [Fact]
    public void Bad_inputs_throw_argument_exceptions()
    {
        var v0 = zeros([3, 5], dtype: float64);
        var x = zeros([4, 3, 5], dtype: float64);
        Assert.Throws<ArgumentException>(() => Run(zeros([5], dtype: float64), v0, v0));
        Assert.Throws<ArgumentException>(() => Run(zeros([4, 3, 5], dtype: ScalarType.Int32), v0, v0));
        Assert.Throws<ArgumentException>(() => Run(x, zeros([3, 5], dtype: float32), v0));
        Assert.Throws<ArgumentException>(() => Run(x, v0, zeros([3, 4], dtype: float64)));
        Assert.Throws<ArgumentException>(() => FusedScan.Run(x, v0, null, Spec, v0, v0, "test"));
        var nan = x.clone();
        nan[2, 1, 1] = tensor(double.NaN, float64);
        var e = Assert.Throws<ArgumentException>(() => Run(nan, v0, v0));
        Assert.Contains("1 NaN", e.Message);
    }

    [Fact]
    public void Layers_reject_bad_sequences_and_handle_non_contiguous_ones()
    {
        var lif = new Lif(5, input: InputKind.VoltageJump) { Fused = true };
        lif.ResetState(3);
        Assert.Throws<ArgumentException>(() => lif.Sequence(zeros([5], dtype: float64)));
        Assert.Throws<ArgumentException>(() => lif.Sequence(zeros([4, 3, 6], dtype: float64)));
        // A float32 sequence after a float64 one without a reset: the state's dtype no longer matches.
        lif.Sequence(ones([4, 3, 5], dtype: float64));
        var mismatch = Assert.Throws<ArgumentException>(() => lif.Sequence(ones([4, 3, 5], dtype: float32)));
        Assert.Contains("Float64", mismatch.Message);
        // The same through an Expon + Lif pair, which runs as one operation.
        var pair = new MetaSpike.Layers.Sequential(new Expon(5) { Fused = true }, new Lif(5) { Fused = true });
        pair.ResetState(3);
        pair.forward(ones([4, 3, 5], dtype: float64));
        Assert.StartsWith("Expon+Lif", Assert.Throws<ArgumentException>(() => pair.forward(ones([4, 3, 5], dtype: float32))).Message);

        manual_seed(71);
        var data = randn([3, 4, 5], dtype: float64) + 0.5; // [batch, T, N]
        var transposed = data.transpose(0, 1);               // [T, batch, N], not contiguous
        Assert.False(transposed.is_contiguous());
        lif.ResetState(3);
        var fromView = lif.Sequence(transposed);
        lif.ResetState(3);
        Assert.Equal(TensorAssert.Values(lif.Sequence(transposed.contiguous())), TensorAssert.Values(fromView));
    }

    [Fact]
    public void Unsupported_configurations_refuse_to_fuse_and_stay_unfused_in_networks()
    {
        Assert.Throws<NotSupportedException>(() => new Lif(4, trainTau: true) { Fused = true });
        Assert.Throws<NotSupportedException>(() => new Lif(4, detachReset: false) { Fused = true });
        Assert.Throws<NotSupportedException>(() => new Lif(4, reset: ResetMode.Subtract, trainThreshold: true) { Fused = true });
        var alif = new Alif(4);
        var e = Assert.Throws<NotSupportedException>(() => alif.Fused = true);
        Assert.Contains("Alif", e.Message);
        var net = new MetaSpike.Layers.Sequential(new Expon(4), new Lif(4, trainTau: true), new Alif(4), new LeakyReadout(4));
        Assert.Equal(2, net.SetFused(true));
        Assert.False(((Lif)net.Layers[1]).Fused);
    }
}
