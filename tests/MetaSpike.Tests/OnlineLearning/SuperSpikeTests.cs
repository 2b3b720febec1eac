using MetaSpike.OnlineLearning;
using TorchSharp;
using static MetaSpike.Tests.Losses.ArgumentAssert;
using static MetaSpike.Tests.TensorAssert;
using static TorchSharp.torch;

namespace MetaSpike.Tests.OnlineLearning;

public class SuperSpikeTests
{
    private static double[] Column(Tensor series, int column) =>
        Values(series.select(-1, column).contiguous());

    [Fact]
    public void Kernels_are_built_like_the_tutorial()
    {
        // window 0.5 / dt 0.1 = 5 taps (odd): centre and first half 0, then exp(-k / 2) and exp(-k / 2) - exp(-k / 4).
        var k = SuperSpikeKernels.Create(new SuperSpikeSettings { TauSyn = 0.2, TauMem = 0.4, Dt = 0.1, KernelWindow = 0.5 });
        Assert.Equal(new[] { 0, 0, 0, 1, Math.Exp(-0.5) }, k.Psc);
        Assert.Equal(new[] { 0, 0, 0, 0, Math.Exp(-0.5) - Math.Exp(-0.25) }, k.Psp);
        Assert.Same(k.Psp, k.VanRossum);
        // An even count is made odd: 0.4 / 0.1 = 4 taps -> 5.
        Assert.Equal(5, SuperSpikeKernels.Create(new SuperSpikeSettings { TauSyn = 0.2, TauMem = 0.4, Dt = 0.1, KernelWindow = 0.4 }).Length);
        var tutorial = SuperSpikeKernels.Create(new SuperSpikeSettings());
        Assert.Equal(1001, tutorial.Length);
        Assert.Equal(0, tutorial.Psc[500]);
        Assert.Equal(1, tutorial.Psc[501]);
        Close(Math.Exp(-10.0 / 50), tutorial.Psc[511], 1e-15, 0, "psc 10 steps after the onset");
        Close(Math.Exp(-10.0 / 50) - Math.Exp(-10.0 / 100), tutorial.Psp[511], 1e-15, 0, "psp 10 steps after the onset");
    }

    [Fact]
    public void Surrogate_matches_hand_values()
    {
        using var _ = NewDisposeScope();
        var v = tensor(new[] { 1.0, 0.0, 1.2, 0.5, -1.0 });
        var expected = new[] { 1.0, 1.0 / 36, 1.0 / 4, 1 / (3.5 * 3.5), 1.0 / 121 };
        var got = Values(SuperSpike.Surrogate(v, 5));
        for (int i = 0; i < expected.Length; i++) Close(expected[i], got[i], 1e-14, 0, $"v = {Values(v)[i]}");
        Close(1 / (1.2 * 1.2), SuperSpike.Surrogate(tensor(0.9), 2).ToDouble(), 1e-14, 0, "beta 2, v 0.9");
    }

    [Fact]
    public void Same_convolution_matches_numpy_same_from_its_definition()
    {
        using var _ = NewDisposeScope();
        var random = new Random(3);
        var a = Enumerable.Range(0, 40).Select(_ => random.NextDouble()).ToArray();
        var kernel = Enumerable.Range(0, 7).Select(_ => random.NextDouble() - 0.5).ToArray();
        var got = Values(SameConvolution.Apply(tensor(a).reshape(40, 1), kernel));
        var expected = SuperSpikeReference.ConvolveSame(a, kernel);
        for (int t = 0; t < 40; t++) Close(expected[t], got[t], 1e-12, 1e-14, $"step {t}");
        Throws(() => SameConvolution.Apply(tensor(a).reshape(40, 1), new double[] { 1, 2 }), "odd");
    }

    [Fact]
    public void Van_rossum_error_of_identical_trains_is_zero_and_of_a_shifted_spike_matches_the_kernel()
    {
        using var _ = NewDisposeScope();
        var rule = new SuperSpike();
        var train = SpikeBinning.Bin([12.3, 50.0, 120.7], 2000, 0.1).unsqueeze(1);
        Assert.All(Values(rule.Error(train, train)), e => Assert.Equal(0, e));
        Assert.Equal(0, SuperSpike.Loss(rule.Error(train, train)).ToDouble());

        // Target at step 10, output at step 12: a spike at s acts from s + 1 as g(t - s - 1), g(m) = exp(-m/50) - exp(-m/100) for m < 500.
        var target = zeros(2000, 1, dtype: ScalarType.Float64);
        var output = zeros(2000, 1, dtype: ScalarType.Float64);
        target[10, 0] = tensor(1.0);
        output[12, 0] = tensor(1.0);
        static double G(int m) => m is >= 0 and < 500 ? Math.Exp(-m / 50.0) - Math.Exp(-m / 100.0) : 0;
        var error = Values(rule.Error(output, target));
        double loss = 0;
        for (int t = 0; t < 2000; t++)
        {
            double expected = G(t - 11) - G(t - 13);
            Close(expected, error[t], 1e-12, 1e-14, $"error at step {t}");
            loss += Math.Abs(expected);
        }
        var result = rule.Compute(zeros(2000, 3, dtype: ScalarType.Float64), zeros(2000, 1, dtype: ScalarType.Float64), output, target);
        Close(loss, result.Loss, 1e-12, 0, "loss");
        Assert.True(Math.Abs(error[11]) < 1e-15 && error[12] < 0, "the error starts one step after the target spike, negative (the tutorial's kernel sign)");
    }

    [Fact]
    public void Vectorised_update_equals_the_per_synapse_tutorial_loop()
    {
        using var _ = NewDisposeScope();
        // Batch 2, 160 steps, 4 inputs, 3 outputs, 51-tap kernels (window 5, dt 0.1, tauSyn 0.5, tauMem 1).
        var settings = new SuperSpikeSettings { TauSyn = 0.5, TauMem = 1, Dt = 0.1, KernelWindow = 5, Eta = 20, Beta = 5 };
        var rule = new SuperSpike(settings);
        var random = new Random(11);
        const int B = 2, T = 160, I = 4, O = 3;
        double[] Draw(int n, Func<double> f) => Enumerable.Range(0, n).Select(_ => f()).ToArray();
        var input = tensor(Draw(B * T * I, () => random.NextDouble() < 0.05 ? 1 : 0)).reshape(B, T, I);
        var membrane = tensor(Draw(B * T * O, () => 1.3 * random.NextDouble() - 0.1)).reshape(B, T, O);
        var output = tensor(Draw(B * T * O, () => random.NextDouble() < 0.02 ? 1 : 0)).reshape(B, T, O);
        var target = tensor(Draw(B * T * O, () => random.NextDouble() < 0.02 ? 1 : 0)).reshape(B, T, O);

        var result = rule.Compute(input, membrane, output, target);
        Assert.Equal(new long[] { B, I, O }, result.WeightUpdate.shape);
        var (psc, psp) = SuperSpikeReference.Kernels(0.5, 1, 0.1, 5);
        for (int b = 0; b < B; b++)
        {
            var stimuli = Enumerable.Range(0, I).Select(i => Column(input[b], i)).ToArray();
            for (int o = 0; o < O; o++)
            {
                var diff = Column(target[b], o).Zip(Column(output[b], o), (x, y) => x - y).ToArray();
                var error = SuperSpikeReference.ConvolveSame(diff, psp);
                var got = Values(result.Error[b].select(1, o));
                for (int t = 0; t < T; t++) Close(error[t], got[t], 1e-12, 1e-14, $"error b{b} o{o} t{t}");
                Close(error.Sum(Math.Abs), result.LossPerOutput[b, o].ToDouble(), 1e-12, 1e-14, $"loss b{b} o{o}");

                var dw = SuperSpikeReference.WeightUpdate(stimuli, Column(membrane[b], o), error, psc, psp, 20, 5);
                for (int i = 0; i < I; i++)
                    Close(dw[i], result.WeightUpdate[b, i, o].ToDouble(), 1e-10, 1e-15, $"dW b{b} i{i} o{o}");
            }
        }
        // Unbatched input gives the first trial's update, and WeightUpdate with the error gives the same numbers.
        var single = rule.Compute(input[0], membrane[0], output[0], target[0]);
        Assert.Equal(Values(result.WeightUpdate[0]), Values(single.WeightUpdate), new Tolerant(1e-12));
        Assert.Equal(Values(single.WeightUpdate), Values(rule.WeightUpdate(input[0], membrane[0], single.Error)), new Tolerant(1e-12));
    }

    [Fact]
    public void Bad_inputs_are_refused_with_the_argument_named()
    {
        using var _ = NewDisposeScope();
        var rule = new SuperSpike();
        var x = zeros(100, 4, dtype: ScalarType.Float64);
        var v = zeros(100, 2, dtype: ScalarType.Float64);
        Throws(() => rule.Compute(x, v, v, zeros(100, 3, dtype: ScalarType.Float64)), "outputSpikes", "targetSpikes", "same shape");
        Throws(() => rule.Compute(zeros(90, 4, dtype: ScalarType.Float64), v, v, v), "inputSpikes", "membrane", "steps");
        Throws(() => rule.Compute(x.unsqueeze(0), v, v, v), "batched");
        Throws(() => rule.Compute(x, v.clone().fill_(double.NaN), v, v), "membrane", "NaN");
        Throws(() => rule.Compute(zeros(100), v, v, v), "inputSpikes", "[steps, channels]");
        Throws(() => rule.WeightUpdate(x, v, zeros(100, 3, dtype: ScalarType.Float64)), "error", "same shape");
        Throws(() => new SuperSpike(new SuperSpikeSettings { Beta = -1 }), "Beta");
        Throws(() => new SuperSpike(new SuperSpikeSettings { Dt = double.NaN }), "Dt");
        Throws(() => SuperSpike.Surrogate(v, 0), "beta");
        Throws(() => SoftwareLif.Run(x, zeros(3, 1)), "weights", "[4, N]");
        Throws(() => MembraneNormalization.FromTrace(zeros(5)), "flat");
    }

    [Fact]
    public void Tutorial_run_on_the_software_neuron_learns_the_target_spike_train()
    {
        using var _ = NewDisposeScope();
        // The tutorial: 25 Bernoulli inputs at 10 kHz for 200 µs (silent for the last 20 µs), target weights
        // N(27, 1), start N(10, 20), eta 20, beta 5, weights clipped to ±63 and rounded. Seed 1's target has 5 spikes.
        var setup = new SuperSpikeTutorialSetup();
        const long seed = 1;
        var input = setup.InputSpikes(seed);
        Assert.Equal(new long[] { 2000, 25 }, input.shape);
        Assert.Equal(0, input.narrow(0, 1801, 199).sum().ToDouble());
        var constraint = new WeightConstraint();
        var target = SoftwareLif.Run(input, constraint.Apply(setup.TargetWeights(seed))).Spikes;
        Assert.Equal(5, target.sum().ToDouble());

        var result = SuperSpikeTraining.Train(w => SoftwareLif.Run(input, w), input, target, setup.InitialWeights(seed), epochs: 100);
        Assert.Equal(100, result.Losses.Count);
        Assert.True(result.LossReduction(window: 5) >= 0.8,
            $"loss {result.Losses[0]:F1} -> {result.Losses.TakeLast(5).Average():F1} (mean of the last 5 epochs)");
    }

    private sealed class Tolerant(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));
        public int GetHashCode(double obj) => 0;
    }
}
