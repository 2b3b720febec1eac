using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Modelling;

/// <summary>
/// A 2-step, 2-neuron network worked out by hand: x = [1, 1], weights w = [1.5, 0.8], LIF with β = 0.5
/// (voltage-jump input), threshold 1, hard reset to 0, fast sigmoid G(x) = 1/(2|x|+1)^2, loss = Σ_t (s1 + 2 s2).
/// Step 0: V = [1.5, 0.8], s = [1, 0]. Step 1: V = (0.5 V + w)(1 - s) = [0, 1.2], s = [0, 1].
/// dL/dw1 = G(0.5) = 1/4 (the second step is reset, dV/dw1 = 0 there);
/// dL/dw2 = 2 (G(-0.2) + 1.5 G(0.2)) = 2 * 2.5 / 1.96.
/// With the gradient through the reset, dV1/ds0 = -(0.5 V0 + w) adds G(V1 - 1) dV1/ds0 G(V0 - 1) per neuron, also where
/// no spike happened (the surrogate is not zero there): -1/9 * 2.25 * 1/4 = -1/16 to dL/dw1 and 2 * (-1.2) / 1.96^2 to dL/dw2.
/// </summary>
public class HandWorkedTests
{
    private static (Tensor Spikes, Tensor Grad) Run(bool detachReset, StepMode mode)
    {
        var linear = new Linear(1, 2, bias: false);
        var lif = new Lif(2, tau: 1 / Math.Log(2), surrogate: new FastSigmoid(slope: 2.0), input: InputKind.VoltageJump, detachReset: detachReset);
        var net = new Sequential(linear, lif);
        net.to(float64);
        using (no_grad()) linear.get_parameter("weight")!.copy_(tensor(new[] { 1.5, 0.8 }).reshape(2, 1));
        var x = ones(2, 1, 1, dtype: float64);
        var spikes = Simulator.Run(net, x, new SimulationOptions { Mode = mode });
        var loss = (spikes * tensor(new[] { 1.0, 2.0 })).sum();
        loss.backward();
        return (spikes, linear.get_parameter("weight")!.grad!);
    }

    [Theory]
    [InlineData(StepMode.Multi)]
    [InlineData(StepMode.Single)]
    public void Forward_values_and_bptt_gradients_match_the_hand_computation(StepMode mode)
    {
        var (spikes, grad) = Run(detachReset: true, mode);
        Assert.Equal(new[] { 1.0, 0.0, 0.0, 1.0 }, TensorAssert.Values(spikes));
        var g = TensorAssert.Values(grad);
        TensorAssert.Close(0.25, g[0], 1e-12, 1e-15, "dL/dw1");
        TensorAssert.Close(2 * 2.5 / 1.96, g[1], 1e-12, 1e-15, "dL/dw2");
    }

    [Fact]
    public void Gradient_through_the_reset_adds_the_reset_path()
    {
        var (_, grad) = Run(detachReset: false, StepMode.Multi);
        var g = TensorAssert.Values(grad);
        TensorAssert.Close(0.25 - 1.0 / 16, g[0], 1e-12, 1e-15, "dL/dw1 with reset gradient");
        TensorAssert.Close(2 * 2.5 / 1.96 - 2 * 1.2 / (1.96 * 1.96), g[1], 1e-12, 1e-15, "dL/dw2 with reset gradient");
    }

    [Fact]
    public void Membrane_with_current_input_integrates_exactly()
    {
        // tau dV/dt = -V + R I with I constant: V(t) = R I (1 - exp(-t/tau)); threshold out of reach.
        var lif = new Lif(1, tau: 10, vThreshold: 1e6, resistance: 2.0);
        lif.to(float64);
        lif.Sequence(full(5, 1, 1, 3.0, dtype: float64));
        var v = TensorAssert.Values(lif.State("V")!)[0];
        TensorAssert.Close(2 * 3.0 * (1 - Math.Exp(-5 / 10.0)), v, 1e-12, 1e-15, "V after 5 ms");
    }

    [Fact]
    public void Subtractive_reset_keeps_the_overshoot_and_refractory_period_holds_the_membrane()
    {
        var soft = new Lif(1, tau: 1e9, input: InputKind.VoltageJump, reset: ResetMode.Subtract);
        soft.to(float64);
        var s = TensorAssert.Values(soft.Sequence(full(3, 1, 1, 0.7, dtype: float64)));
        // V: 0.7 (no spike), 1.4 (spike), 1.4 + 0.7 - 1 = 1.1 (spike).
        Assert.Equal(new[] { 0.0, 1.0, 1.0 }, s);
        TensorAssert.Close(1.1, TensorAssert.Values(soft.State("V")!)[0], 1e-7, 0, "V after a soft reset");

        var refractory = new Lif(1, tau: 1e9, input: InputKind.VoltageJump, refractory: 2.0);
        refractory.to(float64);
        // Input 1.2 each step: spike at 0, held at 1 and 2 (2 ms), spike again at 3.
        var r = TensorAssert.Values(refractory.Sequence(full(5, 1, 1, 1.2, dtype: float64)));
        Assert.Equal(new[] { 1.0, 0.0, 0.0, 1.0, 0.0 }, r);
    }

    [Fact]
    public void Adaptive_threshold_rises_after_each_spike_and_decays()
    {
        var alif = new Alif(1, tauAdapt: 1 / Math.Log(2), adaptation: 0.5, tau: 1e9, input: InputKind.VoltageJump, reset: ResetMode.ToValue);
        alif.to(float64);
        // Input 1.2 per step; threshold = 1 + 0.5 a with a = 0.5 a + s[t-1].
        // Step 0: a = 0, V = 1.2 -> spike. Step 1: a = 1, V reset to 0. Step 2: a = 0.5, threshold 1.25 > V = 1.2.
        // Step 3: a = 0.25, threshold 1.125 < V = 2.4 -> spike.
        var s = TensorAssert.Values(alif.Sequence(full(4, 1, 1, 1.2, dtype: float64)));
        Assert.Equal(new[] { 1.0, 0.0, 0.0, 1.0 }, s);
        TensorAssert.Close(0.25, TensorAssert.Values(alif.State("adaptation")!)[0], 1e-12, 0, "adaptation after 4 steps");
    }

    [Fact]
    public void Stewart_neftci_traces_follow_their_recursions()
    {
        var n = new StewartNeftciNeuron(1, threshold: 1.5);
        n.to(float64);
        var s = TensorAssert.Values(n.Sequence(tensor(new[] { 1.0, 0, 0, 0 }, dtype: float64).reshape(4, 1, 1)));
        // Q: 1, 0.95, 0.9025, ...; P (from the previous Q): 0, 1, 0.9 + 0.95 = 1.85, 1.665 + 0.9025 = 2.5675.
        // spikes at step 2 (1.85 >= 1.5); step 3: R = -1, U = 1.5675 >= 1.5 -> spike.
        Assert.Equal(new[] { 0.0, 0.0, 1.0, 1.0 }, s);
        TensorAssert.Close(2.5675 - 1.0, TensorAssert.Values(n.State("U")!)[0], 1e-12, 0, "U at step 3");
    }
}
