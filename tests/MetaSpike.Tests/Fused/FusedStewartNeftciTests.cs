using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using MetaSpike.Simulation;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// The fused <see cref="StewartNeftciNeuron"/> (delayed two-trace scan + reset-trace kernel + one surrogate call)
/// against its step-by-step path, in float64: values, states, first- and second-order gradients, burn-in windows
/// and states carried across sequences, for plain and normalised traces, thresholds, reset weights and surrogates.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class FusedStewartNeftciTests
{
    private const double Tight = 1e-10;

    public static TheoryData<string> Setups => new(NeuronByName.Keys);

    private static readonly Dictionary<string, Func<FeatureShape, StewartNeftciNeuron>> NeuronByName = new()
    {
        ["paper defaults"] = shape => new StewartNeftciNeuron(shape),
        ["normalised traces (the MAML conv network)"] = shape => new StewartNeftciNeuron(shape, normalizedTraces: true),
        ["threshold 0.4, reset weight 0.5, arctan"] = shape => new StewartNeftciNeuron(shape, resetWeight: 0.5, threshold: 0.4, surrogate: new Arctan()),
        ["fast decays, normalised, trainable sigmoid slope"] = shape =>
            new StewartNeftciNeuron(shape, 0.6, 0.5, 0.3, surrogate: new Sigmoid(alpha: 3.0, trainable: true), normalizedTraces: true),
    };

    private static readonly string[] StateNames = ["Q", "P", "R", "U", "spike"];

    /// <summary>Linear(inputs, hidden) → neuron → Linear(hidden, outputs), float64, seeded, with a random neuron bias.</summary>
    private static Sequential Net(string setup, long inputs, long hidden, long outputs, bool fused)
    {
        manual_seed(17);
        var net = new Sequential(new Linear(inputs, hidden, weightInit: Init.Normal(1.0)), NeuronByName[setup](new FeatureShape(hidden)), new Linear(hidden, outputs));
        net.to(float64);
        using (no_grad()) Neuron(net).get_parameter("bias")!.copy_(randn(hidden, dtype: float64) * 0.3);
        if (fused) Assert.Equal(3, net.SetFused(true)); // the neuron and the two Linear layers
        return net;
    }

    private static StewartNeftciNeuron Neuron(Sequential net) => (StewartNeftciNeuron)net.Layers[1];

    /// <summary>Zero-mean drive, so the potentials go both ways and the spike pattern is mixed.</summary>
    private static Tensor Drive(long steps, long batch, long inputs, long seed) =>
        randn([steps, batch, inputs], dtype: float64, generator: new Generator((ulong)seed)) * 0.3;

    [Theory]
    [MemberData(nameof(Setups))]
    public void Values_states_and_gradients_agree(string setup)
    {
        var x = Drive(30, 4, 6, seed: 11);
        var results = new[] { false, true }.Select(fused =>
        {
            var net = Net(setup, 6, 9, 3, fused);
            var (readout, grads) = ForwardBackward(net, x);
            var neuron = Neuron(net);
            return (Readout: readout, Grads: grads, States: StateNames.Select(n => neuron.State(n)!).ToArray(), Neuron: neuron);
        }).ToArray();
        double rate = results[0].Neuron.State("spike")!.mean().ToDouble();
        Assert.True(results[0].States[2].abs().sum().ToDouble() > 0, $"{setup}: no neuron spiked");
        Assert.InRange(rate, 0.0, 0.95);
        Close(results[0].Readout, results[1].Readout, Tight, $"{setup}: readout");
        for (int i = 0; i < StateNames.Length; i++) Close(results[0].States[i], results[1].States[i], Tight, $"{setup}: state {StateNames[i]}");
        for (int i = 0; i < results[0].Grads.Length; i++) Close(results[0].Grads[i], results[1].Grads[i], Tight, $"{setup}: gradient {i}");
        Assert.Contains(TensorAssert.Values(results[0].Grads[2]), g => g != 0);
    }

    [Theory]
    [MemberData(nameof(Setups))]
    public void Gradient_of_the_gradient_norm_agrees(string setup)
    {
        var x = Drive(20, 3, 5, seed: 21);
        var results = new[] { false, true }.Select(fused =>
        {
            var net = Net(setup, 5, 7, 2, fused);
            var parameters = FunctionalCall.Parameters(net);
            net.ResetState(3);
            var grads = Autograd.Grad([Loss(net.forward(x))], parameters, createGraph: true);
            var norm = grads.Select(g => g.square().sum()).Aggregate((a, b) => a + b);
            return Autograd.Grad([norm], parameters);
        }).ToArray();
        for (int i = 0; i < results[0].Length; i++) Close(results[0][i], results[1][i], 1e-9, $"{setup}: second-order {i}");
        Assert.Contains(TensorAssert.Values(results[0][0]), g => g != 0);
    }

    [Fact]
    public void Burn_in_windows_and_states_carried_across_sequences_agree_on_multi_dimensional_features()
    {
        long[] shape = [2, 3, 4];
        var drive = randn([24, 3, .. shape], dtype: float64, generator: new Generator(31)) * 0.4 + 0.1;
        var results = new[] { false, true }.Select(fused =>
        {
            var neuron = new StewartNeftciNeuron(new FeatureShape(shape), normalizedTraces: true, threshold: 0.05);
            neuron.to(float64);
            neuron.Fused = fused;
            using (no_grad()) neuron.get_parameter("bias")!.copy_(full(shape, 0.02, float64));
            var bias = neuron.get_parameter("bias")!;
            var x = drive.detach().requires_grad_();
            // Burn-in of 14 steps without gradient, then a 10-step window from the detached states.
            var window = Simulator.Run(neuron, x, SimulationOptions.LastSteps(10, 24)).narrow(0, 14, 10);
            var weights = linspace(-1, 1, window.numel(), dtype: float64).reshape(window.shape);
            var windowGrads = Autograd.Grad([(window * weights).sum()], [x, bias]);
            var windowStates = StateNames.Select(n => neuron.State(n)!).ToArray();
            // Two sequences in a row without a detach: the gradient of the second reaches back through the traces.
            neuron.ResetState(3);
            var first = neuron.forward(x.narrow(0, 0, 9));
            var second = neuron.forward(x.narrow(0, 9, 15));
            var carriedGrads = Autograd.Grad([(second * second.detach().cumsum(0)).sum() + neuron.State("U")!.square().sum()], [x, bias]);
            return new[] { window, first, second }.Concat(windowGrads).Concat(windowStates).Concat(carriedGrads).ToArray();
        }).ToArray();
        Assert.True(results[0][1].sum().ToDouble() > 0 && results[0][1].mean().ToDouble() < 0.9, "the spike pattern is not mixed");
        for (int i = 0; i < results[0].Length; i++) Close(results[0][i], results[1][i], Tight, $"quantity {i}");
        Assert.Contains(TensorAssert.Values(results[0][^2]), g => g != 0);
    }

    [Fact]
    public void Float32_spikes_and_potentials_are_identical()
    {
        const string setup = "normalised traces (the MAML conv network)";
        var x = Drive(40, 5, 6, seed: 3).to(float32);
        var nets = new[] { false, true }.Select(fused => Net(setup, 6, 12, 3, fused).to(float32)).ToArray();
        var runs = nets.Select(net => ForwardBackward(net, x)).ToArray();
        foreach (var name in StateNames)
            Assert.Equal(TensorAssert.Values(Neuron(nets[0]).State(name)!), TensorAssert.Values(Neuron(nets[1]).State(name)!));
        Close(runs[0].Readout, runs[1].Readout, 1e-6, "float32 readout");
        for (int i = 0; i < runs[0].Grads.Length; i++) Close(runs[0].Grads[i], runs[1].Grads[i], 1e-4, $"float32 gradient {i}");
    }

    [Fact]
    public void Delayed_traces_hand_worked_and_their_backward_pair_is_adjoint()
    {
        // q[t] = 0.5 q[t-1] + 0.5 x[t], p[t] = 0.5 p[t-1] + 0.5 q[t-1]; x = 1, q0 = 0.2, p0 = 0.4:
        // q 0.6, 0.8, 0.9; p 0.3, 0.45, 0.625.
        var spec = ScanSpec.DelayedTraces(0.5, 0.5, 0.5, 0.5);
        var r = FusedScan.Run(ones([3, 1, 1], dtype: float64), full([1, 1], 0.4, float64), full([1, 1], 0.2, float64), spec, null, null, "test");
        var p = TensorAssert.Values(r.V);
        double[] expected = [0.3, 0.45, 0.625];
        for (int t = 0; t < 3; t++) TensorAssert.Close(expected[t], p[t], 1e-15, 1e-15, $"p[{t}]");
        TensorAssert.Close(0.9, r.SynLast!.ToDouble(), 1e-15, 1e-15, "last q");

        // <tangent(dx, dq0, dp0), (gp, gq)> = <(dx, dq0, dp0), adjoint(gp, gq)>, and the map is linear: the gradient is exact.
        var gen = new Generator(41);
        var (x, p0, q0) = (randn([7, 2, 9], dtype: float64, generator: gen), randn([2, 9], dtype: float64, generator: gen), randn([2, 9], dtype: float64, generator: gen));
        var traced = ScanSpec.DelayedTraces(0.95, 0.05, 0.9, 0.1);
        var inputs = new[] { x, q0, p0 }.Select(t => t.detach().requires_grad_()).ToArray();
        var result = FusedScan.Run(inputs[0], inputs[2], inputs[1], traced, null, null, "test");
        var (gp, gq) = (randn_like(x).requires_grad_(), randn_like(q0).requires_grad_());
        var adjoint = Autograd.Grad([(result.V * gp).sum() + (result.SynLast! * gq).sum()], inputs, createGraph: true);
        var directions = inputs.Select(t => randn_like(t)).ToArray();
        var pairing = adjoint.Zip(directions, (a, d) => (a * d).sum()).Aggregate((a, b) => a + b);
        var tangent = Autograd.Grad([pairing], [gp, gq]);
        TensorAssert.Close(pairing.ToDouble(), ((tangent[0] * gp).sum() + (tangent[1] * gq).sum()).ToDouble(), 1e-12, 1e-12, "<T d, g> vs <d, A g>");
        var moved = FusedScan.Run(x + directions[0], p0 + directions[2], q0 + directions[1], traced, null, null, "test");
        Close(moved.V - FusedScan.Run(x, p0, q0, traced, null, null, "test").V, tangent[0], 1e-12, "tangent vs difference of the linear map");
    }

    [Fact]
    public void A_reset_with_gradient_refuses_to_fuse_and_stays_unfused_in_networks()
    {
        var e = Assert.Throws<NotSupportedException>(() => new StewartNeftciNeuron(4, detachReset: false) { Fused = true });
        Assert.Contains("DetachReset", e.Message);
        var net = new Sequential(new StewartNeftciNeuron(4, detachReset: false), new StewartNeftciNeuron(4));
        Assert.Equal(1, net.SetFused(true));
        Assert.False(((StewartNeftciNeuron)net.Layers[0]).Fused);
        Assert.True(((StewartNeftciNeuron)net.Layers[1]).Fused);
    }
}
