using MetaSpike.Modules;
using MetaSpike.Neurons.Fused;
using MetaSpike.Neurons;
using MetaSpike.Runtime;
using MetaSpike.Simulation;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// The fused synapse + LIF and readout kernels against the unfused tensor-operation path (the reference), in
/// float64: values, first-order gradients and second-order quantities (gradient of a gradient norm, a MAML
/// meta-gradient) for resets, refractory periods, resting potentials, several surrogate families and truncation windows.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class FusedAgreementTests
{
    private const double Tight = 1e-10;

    public static TheoryData<string> Setups => new(SetupByName.Keys);

    private static readonly Dictionary<string, LifSetup> SetupByName = new()
    {
        ["workload neuron (fast sigmoid 25)"] = new LifSetup(),
        ["sigmoid, reset to -0.5, refractory 2 ms"] = new LifSetup { Surrogate = () => new Sigmoid(alpha: 4.0), VReset = -0.5, Refractory = 2 },
        ["arctan, subtractive reset, rest 0.2"] = new LifSetup { Surrogate = () => new Arctan(), Reset = ResetMode.Subtract, VRest = 0.2 },
        ["piecewise quadratic, no reset, current input"] = new LifSetup { Surrogate = () => new PiecewiseQuadratic(), Reset = ResetMode.None, Input = InputKind.Current },
        ["gaussian, trainable threshold, refractory 3 ms"] = new LifSetup { Surrogate = () => new GaussianGrad(), TrainThreshold = true, Refractory = 3 },
    };

    [Theory]
    [MemberData(nameof(Setups))]
    public void Values_and_gradients_agree(string name)
    {
        var setup = SetupByName[name];
        var x = Input(30, 4, 6, seed: 11);
        var (reference, fused) = (Dense(6, 9, 3, setup, fused: false), Dense(6, 9, 3, setup, fused: true));
        double rate = SpikeRate(reference, x);
        Assert.InRange(rate, 0.02, 0.9);

        var (outRef, gradRef) = ForwardBackward(reference, x);
        var (outFused, gradFused) = ForwardBackward(fused, x);
        Close(outRef, outFused, Tight, $"{name}: readout");
        for (int i = 0; i < gradRef.Length; i++) Close(gradRef[i], gradFused[i], Tight, $"{name}: gradient {i}");
        Assert.Contains(TensorAssert.Values(gradRef[0]), g => g != 0);
    }

    [Fact]
    public void Float32_spikes_are_identical_and_gradients_close()
    {
        var setup = new LifSetup { Refractory = 1 };
        var x = Input(40, 5, 6, seed: 3).to(float32);
        var reference = Dense(6, 12, 3, setup, fused: false).to(float32);
        var fused = Dense(6, 12, 3, setup, fused: true).to(float32);
        var lifRef = (Lif)reference.Layers[2];
        var lifFused = (Lif)fused.Layers[2];
        var (outRef, gradRef) = ForwardBackward(reference, x);
        var (outFused, gradFused) = ForwardBackward(fused, x);
        Assert.Equal(TensorAssert.Values(lifRef.State("V")!), TensorAssert.Values(lifFused.State("V")!));
        Assert.Equal(TensorAssert.Values(lifRef.State("refractory")!), TensorAssert.Values(lifFused.State("refractory")!));
        Close(outRef, outFused, 1e-5, "float32 readout");
        for (int i = 0; i < gradRef.Length; i++) Close(gradRef[i], gradFused[i], 1e-4, $"float32 gradient {i}");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Spikes_from_the_scan_equal_the_surrogate_on_the_potentials_with_the_same_gradients(ScalarType dtype)
    {
        // The fused LIF takes its spikes from the scan and attaches the surrogate by one node; the unfused LIF applies
        // the surrogate to (v - threshold) / scale with tensor operations each step. Same spikes bit for bit.
        var drive = (randn([25, 3, 7], dtype: float64, generator: new Generator(9)) * 0.6).to(dtype);
        var spikes = new List<Tensor>();
        foreach (bool fused in new[] { false, true })
        {
            var lif = new Lif(7, tau: 20.0, vThreshold: 0.8, vReset: -0.2, input: InputKind.VoltageJump) { Fused = fused };
            lif.ResetState(3);
            spikes.Add(lif.Sequence(drive.clone().requires_grad_()));
        }
        Assert.Equal(TensorAssert.Values(spikes[0]), TensorAssert.Values(spikes[1]));
        Assert.True(spikes[1].sum().ToDouble() > 5, "too few spikes for the comparison to mean anything");

        // The node's gradient in v equals the tensor form's bit for bit, from its one-pass backward and from its
        // recorded (create_graph) form, whose own gradient (second order, from G' in closed form) matches to rounding.
        var surrogate = new FastSigmoid();
        var v = (randn([25, 3, 7], dtype: float64, generator: new Generator(5)) * 2).to(dtype).requires_grad_();
        var (threshold, scale) = (0.8, 1.0 - -0.2);
        var reference = surrogate.forward((v - threshold) / scale);
        var node = surrogate.TryThresholdSpike(v, SurrogateKernel.Heaviside((v.detach() - threshold) / scale), threshold, scale)!;
        Assert.Equal(TensorAssert.Values(reference), TensorAssert.Values(node));
        var upstream = randn(v.shape, dtype: float64, generator: new Generator(4)).to(dtype);
        var expected = SurrogateKernel.TensorGradTimes(surrogate, v, upstream, surrogate.Hyperparameters(), threshold, scale);
        long before = ElementwiseGrads.Calls;
        var onePass = MetaSpike.Runtime.Autograd.Grad([node], [v], [upstream], retainGraph: true)[0];
        Assert.Equal(before + 1, ElementwiseGrads.Calls);
        var recorded = MetaSpike.Runtime.Autograd.Grad([node], [v], [upstream], createGraph: true)[0];
        Assert.Equal(TensorAssert.Values(expected), TensorAssert.Values(onePass));
        Assert.Equal(TensorAssert.Values(expected), TensorAssert.Values(recorded));
        var second = TensorAssert.Values(MetaSpike.Runtime.Autograd.Grad([expected.square().sum()], [v])[0]);
        var recordedSecond = TensorAssert.Values(MetaSpike.Runtime.Autograd.Grad([recorded.square().sum()], [v])[0]);
        var (rel, abs) = TensorAssert.Tolerance(dtype);
        double largest = second.Max(Math.Abs);
        Assert.True(largest > 0, "second-order gradient vanished");
        for (int i = 0; i < second.Length; i++) TensorAssert.Close(second[i], recordedSecond[i], rel, abs + rel * largest, $"second order [{i}]");
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(3L)]
    public void Random_shapes_agree_including_multi_dimensional_features(long seed)
    {
        var random = new Random((int)seed);
        long steps = random.Next(1, 25), batch = random.Next(1, 6);
        long[] shape = seed == 3 ? [2, random.Next(1, 5), 3] : [random.Next(1, 40)];
        manual_seed(seed);
        var drive = randn([steps, batch, .. shape], dtype: float64) * 0.8 + 0.3;
        var outputs = new List<Tensor>();
        foreach (bool fused in new[] { false, true })
        {
            var synapse = new Expon(new FeatureShape(shape), 10.0) { Fused = fused };
            var lif = new Lif(new FeatureShape(shape), input: InputKind.VoltageJump, refractory: 1.0) { Fused = fused };
            var net = new MetaSpike.Layers.Sequential(synapse, lif);
            net.ResetState(batch);
            var x = drive.detach().requires_grad_();
            var spikes = net.forward(x);
            var grad = Autograd.Grad([(spikes * linspace(-1, 1, spikes.numel(), dtype: float64).reshape(spikes.shape)).sum()], [x])[0];
            outputs.AddRange([spikes, lif.State("V")!, synapse.State("g")!, grad]);
        }
        for (int i = 0; i < 4; i++) Close(outputs[i], outputs[i + 4], Tight, $"seed {seed} output {i}");
    }

    [Fact]
    public void Parallel_columns_give_the_same_numbers_as_one_thread()
    {
        manual_seed(5);
        var drive = randn([12, 8, 150], dtype: float64) + 0.4;
        var results = new List<Tensor>();
        long saved = ScanKernels.ParallelThreshold;
        try
        {
            foreach (long threshold in new[] { long.MaxValue, 1L })
            {
                ScanKernels.ParallelThreshold = threshold;
                var lif = new Lif(150, input: InputKind.VoltageJump, refractory: 2.0) { Fused = true };
                lif.ResetState(8);
                var x = drive.detach().requires_grad_();
                var spikes = lif.forward(x);
                results.AddRange([spikes, Autograd.Grad([(spikes * spikes.detach().cumsum(0)).sum()], [x])[0]]);
            }
        }
        finally
        {
            ScanKernels.ParallelThreshold = saved;
        }
        Assert.Equal(TensorAssert.Values(results[0]), TensorAssert.Values(results[2]));
        Assert.Equal(TensorAssert.Values(results[1]), TensorAssert.Values(results[3]));
    }

    [Theory]
    [MemberData(nameof(Setups))]
    public void Gradient_of_the_gradient_norm_agrees(string name)
    {
        var setup = SetupByName[name];
        var x = Input(20, 3, 5, seed: 21);
        var results = new[] { false, true }.Select(fused =>
        {
            var net = Dense(5, 7, 2, setup, fused);
            var parameters = FunctionalCall.Parameters(net);
            net.ResetState(3);
            var loss = Loss(net.forward(x));
            var grads = Autograd.Grad([loss], parameters, createGraph: true);
            var norm = grads.Select(g => g.square().sum()).Aggregate((a, b) => a + b);
            return Autograd.Grad([norm], parameters);
        }).ToArray();
        for (int i = 0; i < results[0].Length; i++) Close(results[0][i], results[1][i], 1e-9, $"{name}: second-order {i}");
        Assert.Contains(TensorAssert.Values(results[0][0]), g => g != 0);
    }

    [Fact]
    public void Maml_meta_gradient_agrees_including_a_trainable_surrogate_slope()
    {
        // One inner SGD step on a support batch, the query loss at the adapted weights, its gradient in the initial
        // weights and in the surrogate's alpha (bi-level surrogate meta-learning: alpha only acts through the backward).
        var setup = new LifSetup { Surrogate = () => new Sigmoid(alpha: 3.0, trainable: true), Refractory = 1 };
        var (support, query) = (Input(25, 3, 6, seed: 31), Input(25, 6, 6, seed: 32));
        var results = new[] { false, true }.Select(fused => MetaGradient(Dense(6, 8, 3, setup, fused), support, query)).ToArray();
        var names = FunctionalCall.ParameterNames(Dense(6, 8, 3, setup, false));
        Assert.Contains("2.surrogate.alpha", names);
        for (int i = 0; i < names.Count; i++) Close(results[0][i], results[1][i], 1e-9, $"meta-gradient {names[i]}");
        int alpha = names.ToList().IndexOf("2.surrogate.alpha");
        Assert.NotEqual(0.0, results[0][alpha].ToDouble());
    }

    [Fact]
    public void Truncation_windows_and_state_carried_across_sequences_agree()
    {
        var setup = new LifSetup { Refractory = 2 };
        var x = Input(40, 4, 6, seed: 41);
        var results = new[] { false, true }.Select(fused =>
        {
            var net = Dense(6, 9, 3, setup, fused);
            var parameters = FunctionalCall.Parameters(net);
            // Burn-in of 25 steps without gradient, then a 15-step window from the detached states.
            var window = Simulator.Run(net, x, SimulationOptions.LastSteps(15, 40)).narrow(0, 25, 15);
            var windowGrads = Autograd.Grad([Loss(window)], parameters);
            // Two sequences in a row without a detach: the gradient of the second reaches back through the states.
            net.ResetState(4);
            var first = net.forward(x.narrow(0, 0, 18));
            var second = net.forward(x.narrow(0, 18, 22));
            var carriedGrads = Autograd.Grad([Loss(second)], parameters);
            return (Outputs: new[] { window, first, second }, Grads: windowGrads.Concat(carriedGrads).ToArray());
        }).ToArray();
        for (int i = 0; i < 3; i++) Close(results[0].Outputs[i], results[1].Outputs[i], Tight, $"output {i}");
        for (int i = 0; i < results[0].Grads.Length; i++) Close(results[0].Grads[i], results[1].Grads[i], Tight, $"gradient {i}");
    }

    [Fact]
    public void Fused_readout_integrators_agree_to_second_order()
    {
        manual_seed(51);
        var drive = randn([15, 3, 4], dtype: float64);
        var results = new[] { false, true }.Select(fused =>
        {
            var layers = new NeuronLayer[]
            {
                new Expon(4, 7.0) { Fused = fused },
                new LeakyReadout(4, tau: 15.0, vRest: -0.3) { Fused = fused },
                new LeakyReadout(4, tau: 5.0, input: InputKind.VoltageJump) { Fused = fused },
            };
            var x = drive.detach().requires_grad_();
            var outputs = new List<Tensor>();
            foreach (var layer in layers)
            {
                layer.ResetState(3);
                var y = layer.forward(x);
                var first = Autograd.Grad([(y.square() * x).sum()], [x], createGraph: true)[0];
                outputs.AddRange([y, first, Autograd.Grad([first.square().sum()], [x])[0]]);
            }
            return outputs;
        }).ToArray();
        for (int i = 0; i < results[0].Count; i++) Close(results[0][i], results[1][i], Tight, $"readout quantity {i}");
    }
}
