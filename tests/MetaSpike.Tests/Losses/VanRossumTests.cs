using MetaSpike.Losses;
using TorchSharp;
using static MetaSpike.Tests.Losses.ArgumentAssert;
using static MetaSpike.Tests.TensorAssert;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Losses;

public class VanRossumTests
{
    public static TheoryData<ScalarType> FloatTypes() => new() { ScalarType.Float32, ScalarType.Float64 };

    /// <summary>A fixed irregular 0/1 pattern, different for each seed.</summary>
    private static double[] Pattern(int n, int seed) =>
        Enumerable.Range(0, n).Select(i => (i * 37 + i * i * seed + seed * 11) % 7 < 3 ? 1.0 : 0.0).ToArray();

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void A_single_spike_against_silence_matches_the_closed_form_sum(ScalarType dtype)
    {
        using var _ = NewDisposeScope();
        const int T = 60;
        const double dt = 0.5, tau = 5;
        foreach (int spikeAt in new[] { 0, 17 })
        {
            var spikes = zeros(T, 1, 1, dtype: dtype);
            spikes[spikeAt, 0, 0] = tensor(1.0, dtype);
            var d = VanRossum.Distance(spikes, zeros_like(spikes), VanRossumKernel.Exponential(tau), dt);
            Assert.Equal(dtype, d.dtype);

            // The filtered spike is exp(-k dt / tau) for k = 0 .. T - 1 - spikeAt steps after it.
            double expected = 0;
            for (int k = 0; k < T - spikeAt; k++) expected += Math.Exp(-2 * k * dt / tau);
            expected *= 0.5 * dt;
            var (rel, abs) = Tolerance(dtype);
            Close(expected, Values(d)[0], rel * 10, abs, $"spike at {spikeAt}");
        }
    }

    [Fact]
    public void Reductions_work_over_the_non_time_dimensions()
    {
        using var _ = NewDisposeScope();
        const int T = 30;
        const double dt = 1, tau = 4;
        // [T, B = 2, N = 3]: element (b, n) has one spike at time 3 * (b * 3 + n), the target is silent.
        var spikes = zeros(T, 2, 3, dtype: ScalarType.Float64);
        var expected = new double[6];
        for (int e = 0; e < 6; e++)
        {
            spikes[3 * e, e / 3, e % 3] = tensor(1.0);
            for (int k = 0; k < T - 3 * e; k++) expected[e] += 0.5 * dt * Math.Exp(-2 * k * dt / tau);
        }
        var kernel = VanRossumKernel.Exponential(tau);
        var none = VanRossum.Distance(spikes, zeros_like(spikes), kernel, dt, Reduction.None);
        Assert.Equal(new long[] { 2, 3 }, none.shape);
        var values = Values(none);
        for (int e = 0; e < 6; e++) Close(expected[e], values[e], 1e-12, 1e-14, $"element {e}");
        Close(expected.Sum(), VanRossum.Distance(spikes, zeros_like(spikes), kernel, dt, Reduction.Sum).ToDouble(), 1e-12, 0, "sum");
        Close(expected.Average(), VanRossum.Distance(spikes, zeros_like(spikes), kernel, dt).ToDouble(), 1e-12, 0, "mean");
    }

    [Fact]
    public void Identical_trains_are_at_distance_zero_and_the_distance_is_symmetric()
    {
        using var _ = NewDisposeScope();
        var a = tensor(Pattern(40 * 6, 1), ScalarType.Float64).reshape(40, 2, 3);
        var b = tensor(Pattern(40 * 6, 2), ScalarType.Float64).reshape(40, 2, 3);
        foreach (var kernel in new[] { VanRossumKernel.Exponential(3), VanRossumKernel.DifferenceOfExponentials(10, 5) })
        {
            Assert.Equal(0.0, VanRossum.Distance(a, a.clone(), kernel, 0.5).ToDouble());
            var ab = VanRossum.Distance(a, b, kernel, 0.5).ToDouble();
            var ba = VanRossum.Distance(b, a, kernel, 0.5).ToDouble();
            Assert.True(ab > 0, $"{kernel}: different trains give {ab}");
            Assert.Equal(ab, ba);
        }
    }

    [Fact]
    public void The_difference_of_exponentials_filter_of_a_unit_impulse_is_the_sampled_kernel()
    {
        using var _ = NewDisposeScope();
        const int T = 50;
        const double dt = 0.25, tauMem = 6, tauSyn = 2;
        var impulse = zeros(T, dtype: ScalarType.Float64);
        impulse[0] = tensor(1.0);
        var kernel = VanRossumKernel.DifferenceOfExponentials(tauMem, tauSyn);
        var filtered = Values(VanRossum.Filter(impulse, kernel, dt));
        Assert.Equal(0.0, filtered[0]);
        for (int t = 0; t < T; t++)
        {
            double k = Math.Exp(-t * dt / tauMem) - Math.Exp(-t * dt / tauSyn);
            Close(k, filtered[t], 1e-12, 1e-15, $"t = {t}");
            Assert.True(t == 0 || filtered[t] > 0, $"the kernel is positive after 0 for tauMem > tauSyn, got {filtered[t]} at {t}");
            Close(k, kernel.Evaluate(t * dt), 1e-15, 0, $"Evaluate at {t}");
        }
        Assert.Equal(0.0, kernel.Evaluate(-1));
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void Filter_is_the_causal_convolution_with_the_sampled_kernel(ScalarType dtype)
    {
        using var _ = NewDisposeScope();
        const int T = 25, N = 3;
        const double dt = 0.7;
        var x = Enumerable.Range(0, T * N).Select(i => Math.Cos(0.37 * i) + 0.1).ToArray();
        var input = tensor(x, dtype).reshape(T, N);
        Func<double, double>[] kernels = [t => Math.Exp(-t / 4.0), t => Math.Exp(-t / 3.0) - Math.Exp(-t / 8.0)];
        var made = new[] { VanRossumKernel.Exponential(4), VanRossumKernel.DifferenceOfExponentials(3, 8) };
        var (rel, abs) = dtype == ScalarType.Float64 ? (1e-12, 1e-13) : (1e-5, 1e-5);
        for (int kIdx = 0; kIdx < 2; kIdx++)
        {
            var filtered = VanRossum.Filter(input, made[kIdx], dt);
            Assert.Equal(dtype, filtered.dtype);
            Assert.Equal(new long[] { T, N }, filtered.shape);
            var got = Values(filtered);
            for (int t = 0; t < T; t++)
                for (int n = 0; n < N; n++)
                {
                    double expected = 0;
                    for (int s = 0; s <= t; s++) expected += kernels[kIdx]((t - s) * dt) * x[s * N + n];
                    Close(expected, got[t * N + n], rel, abs, $"{made[kIdx]} at t = {t}, n = {n}");
                }
        }
    }

    [Fact]
    public void Gradient_matches_central_finite_differences()
    {
        using var _ = NewDisposeScope();
        const int T = 12;
        const double dt = 0.7, h = 1e-6;
        var x0 = Enumerable.Range(0, T * 4).Select(i => 0.5 + 0.4 * Math.Sin(1.7 * i)).ToArray();
        var target = tensor(Pattern(T * 4, 3), ScalarType.Float64).reshape(T, 2, 2);
        foreach (var kernel in new[] { VanRossumKernel.Exponential(5), VanRossumKernel.DifferenceOfExponentials(5, 2) })
        {
            double Loss(double[] values) =>
                VanRossum.Distance(tensor(values, ScalarType.Float64).reshape(T, 2, 2), target, kernel, dt).ToDouble();

            var x = tensor(x0, ScalarType.Float64).reshape(T, 2, 2).requires_grad_();
            VanRossum.Distance(x, target, kernel, dt).backward();
            var grad = Values(x.grad!);
            for (int i = 0; i < x0.Length; i++)
            {
                var plus = (double[])x0.Clone();
                var minus = (double[])x0.Clone();
                plus[i] += h;
                minus[i] -= h;
                Close((Loss(plus) - Loss(minus)) / (2 * h), grad[i], 1e-6, 1e-9, $"{kernel}: d/dx[{i}]");
            }
        }
    }

    [Fact]
    public void Kernels_validate_their_time_constants()
    {
        Throws(() => VanRossumKernel.Exponential(0), "VanRossumKernel.Exponential", "tau", "> 0");
        Throws(() => VanRossumKernel.Exponential(-2), "tau", "-2");
        Throws(() => VanRossumKernel.Exponential(double.NaN), "tau", "NaN");
        Throws(() => VanRossumKernel.Exponential(double.PositiveInfinity), "tau", "finite");
        Throws(() => VanRossumKernel.DifferenceOfExponentials(10, 0), "VanRossumKernel.DifferenceOfExponentials", "tauSyn");
        Throws(() => VanRossumKernel.DifferenceOfExponentials(double.NaN, 5), "tauMem", "NaN");
        Throws(() => VanRossumKernel.DifferenceOfExponentials(5, 5), "tauMem and tauSyn must differ");
        Assert.Equal("Exponential(tau=2.5)", VanRossumKernel.Exponential(2.5).ToString());
        Assert.Equal("DifferenceOfExponentials(tauMem=10, tauSyn=5)", VanRossumKernel.DifferenceOfExponentials(10, 5).ToString());
    }

    [Fact]
    public void Distance_and_filter_reject_bad_input()
    {
        using var _ = NewDisposeScope();
        var k = VanRossumKernel.Exponential(5);
        Throws(() => VanRossum.Distance(zeros(10, 2, 3), zeros(10, 3, 2), k), "VanRossum.Distance", "[10, 2, 3]", "[10, 3, 2]");
        Throws(() => VanRossum.Distance(zeros(10, 2), zeros(10, 2), k, 0), "VanRossum.Distance", "dt", "> 0");
        Throws(() => VanRossum.Distance(zeros(10, 2), zeros(10, 2), k, -1), "dt", "-1");
        Throws(() => VanRossum.Distance(zeros(10, 2), zeros(10, 2), k, double.NaN), "dt", "NaN");
        Throws(() => VanRossum.Distance(zeros(0, 2), zeros(0, 2), k), "VanRossum.Distance", "T >= 1", "[0, 2]");
        Throws(() => VanRossum.Distance(zeros(10, 2, ScalarType.Int64), zeros(10, 2), k), "spikes", "floating-point");
        Throws(() => VanRossum.Distance(zeros(10, 2), zeros(10, 2, ScalarType.Bool), k), "target", "floating-point");
        Throws(() => VanRossum.Filter(tensor(1.0), k), "VanRossum.Filter", "[T, ...]", "[]");
        Throws(() => VanRossum.Filter(zeros(4), k, 0), "VanRossum.Filter", "dt");
    }
}
