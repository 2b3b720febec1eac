using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Modelling;

[Collection(GlobalRandomCollection.Name)]
public class FunctionalCallTests
{
    private static Sequential Net()
    {
        manual_seed(4);
        var net = new Sequential(new Conv2d(2, 3, 3, padding: 1, weightInit: Init.Normal(0.7)), new Lif(new long[] { 3, 4, 4 }, input: InputKind.VoltageJump,
                surrogate: new Sigmoid(alpha: 2.0, trainable: true), trainTau: true),
            new Flatten(), new Linear(48, 2), new StewartNeftciNeuron(2));
        net.to(float64);
        return net;
    }

    [Fact]
    public void Given_parameters_replace_the_modules_own_and_carry_gradient()
    {
        var net = Net();
        var x = rand(new long[] { 6, 2, 2, 4, 4 }, dtype: float64).lt(0.5).to(float64);
        var own = FunctionalCall.Parameters(net);
        Assert.Equal(7, own.Count); // conv weight, bias; LIF tau, its surrogate's alpha; linear weight, bias; neuron bias
        var shifted = own.Select(t => (t.detach() * 1.1).requires_grad_()).ToArray();

        net.SetStepMode(StepMode.Multi);
        net.ResetState(2);
        var viaCall = FunctionalCall.Call(net, shifted, x);
        Assert.Same(own[0], FunctionalCall.Parameters(net)[0]);

        // The same numbers when the values are copied into the module.
        var copy = Net();
        using (no_grad())
            foreach (var (dst, src) in FunctionalCall.Parameters(copy).Zip(shifted)) dst.copy_(src);
        copy.ResetState(2);
        var viaCopy = copy.forward(x);
        Assert.Equal(TensorAssert.Values(viaCopy), TensorAssert.Values(viaCall));

        // Gradients reach the given tensors, not the module's parameters.
        var grads = MetaSpike.Runtime.Autograd.Grad([(viaCall * arange(viaCall.numel(), dtype: float64).reshape(viaCall.shape)).sum()], shifted, createGraph: false);
        Assert.Contains(TensorAssert.Values(grads[0]), g => g != 0);
        Assert.All(own, p => Assert.Null(p.grad));

        // After the call the module reads its own parameters again.
        net.ResetState(2);
        var again = net.forward(x);
        copy.ResetState(2);
        Assert.NotEqual(TensorAssert.Values(copy.forward(x)), TensorAssert.Values(again));
    }

    [Fact]
    public void Second_order_gradient_flows_through_an_inner_sgd_step()
    {
        // MAML's pattern: w' = w - lr dL/dw (graph kept), outer loss at w', differentiated w.r.t. w.
        var net = Net();
        var x = rand(new long[] { 6, 2, 2, 4, 4 }, dtype: float64).lt(0.5).to(float64);
        var w = FunctionalCall.Parameters(net);
        var inner = Simulator.Run(net, x).square().sum();
        var g = MetaSpike.Runtime.Autograd.Grad([inner], w, createGraph: true);
        var adapted = w.Zip(g, (p, d) => p - 0.1 * d).ToArray();
        Tensor outer;
        using (FunctionalCall.Use(net, adapted)) outer = Simulator.Run(net, x).sum();
        var meta = MetaSpike.Runtime.Autograd.Grad([outer], w, createGraph: false);
        Assert.All(meta, t => TensorAssert.AllFinite(t, "meta-gradient"));
        Assert.Contains(TensorAssert.Values(meta[0]), v => v != 0);
    }

    [Fact]
    public void Wrong_parameter_lists_are_rejected_with_names_and_shapes()
    {
        var net = Net();
        var own = FunctionalCall.Parameters(net);
        var few = Assert.Throws<ArgumentException>(() => FunctionalCall.Use(net, own.Take(3).ToArray()));
        Assert.Contains("7 parameters; 3 tensors", few.Message);
        var wrong = own.ToArray();
        wrong[0] = zeros(1, dtype: float64);
        var shape = Assert.Throws<ArgumentException>(() => FunctionalCall.Use(net, wrong));
        Assert.Contains("0.weight", shape.Message);

        var plain = new Sequential(nn.Linear(3, 2));
        var ex = Assert.Throws<NotSupportedException>(() => FunctionalCall.Use(plain, FunctionalCall.Parameters(plain)));
        Assert.Contains("0.weight", ex.Message);
    }
}
