using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Modelling;

/// <summary>
/// The brainstate tutorial's network (Linear → Expon → recurrent LIF → Linear → Expon), its outputs and gradients
/// against a reference written here from the equations with plain tensor operations, step by step.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class ReferenceNetworkTests
{
    [Theory]
    [InlineData(ResetMode.ToValue)]
    [InlineData(ResetMode.Subtract)]
    public void Network_gradients_equal_an_independent_step_by_step_reference(ResetMode reset)
    {
        manual_seed(11);
        const int steps = 20, batch = 4, nIn = 6, nHidden = 5, nOut = 3;
        const double dt = 0.5, tauSyn = 10, tauMem = 20, tauOut = 7, vTh = 1;
        var surrogate = new ReluGrad();
        var net = new Sequential(
            new Linear(nIn, nHidden, weightInit: Init.KaimingNormal(40)), new Expon(nHidden, tau: tauSyn),
            new RecurrentLif(nHidden, tau: tauMem, surrogate: surrogate, reset: reset),
            new Linear(nHidden, nOut), new Expon(nOut, tau: tauOut));
        net.to(float64);
        net.SetDt(dt);
        var x = rand(new long[] { steps, batch, nIn }, dtype: float64).lt(0.3).to(float64);
        var labels = tensor(new long[] { 0, 2, 1, 2 });
        var output = Simulator.Run(net, x);
        var loss = MetaSpike.Losses.Loss.CrossEntropy(output.mean([0]), labels);
        var parameters = FunctionalCall.Parameters(net);
        var grads = MetaSpike.Runtime.Autograd.Grad([loss], parameters, createGraph: false);
        Assert.True(output.narrow(0, steps / 2, steps / 2).abs().sum().item<double>() > 0, "the network must produce output");

        // Reference from the equations, with the same parameter tensors (leaf copies).
        var p = parameters.Select(t => t.detach().clone().requires_grad_()).ToArray();
        var names = FunctionalCall.ParameterNames(net);
        Tensor P(string name) => p[names.ToList().IndexOf(name)];
        double a = Math.Exp(-dt / tauSyn), b = Math.Exp(-dt / tauMem), o = Math.Exp(-dt / tauOut);
        var g = zeros(batch, nHidden, dtype: float64);
        var v = zeros(batch, nHidden, dtype: float64);
        var s = zeros(batch, nHidden, dtype: float64);
        var y = zeros(batch, nOut, dtype: float64);
        var outs = new List<Tensor>();
        for (int t = 0; t < steps; t++)
        {
            g = a * g + x[t].matmul(P("0.weight").t()) + P("0.bias");
            var current = g + s.matmul(P("2.recurrent_weight").t());
            v = b * v + (1 - b) * current;
            v = reset == ResetMode.ToValue ? v * (1 - s.detach()) : v - vTh * s.detach();
            s = surrogate.forward(v - vTh);
            y = o * y + s.matmul(P("3.weight").t()) + P("3.bias");
            outs.Add(y);
        }
        var logits = stack(outs).mean([0]);
        var refLoss = -nn.functional.log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).mean();
        var refGrads = MetaSpike.Runtime.Autograd.Grad([refLoss], p, createGraph: false);

        TensorAssert.Close(refLoss.item<double>(), loss.item<double>(), 1e-12, 1e-14, "loss");
        Assert.Equal(new[] { "0.weight", "0.bias", "2.recurrent_weight", "3.weight", "3.bias" }, names.Where(n => !n.Contains("surrogate")).ToArray());
        for (int i = 0; i < p.Length; i++)
        {
            var expected = TensorAssert.Values(refGrads[i]);
            var actual = TensorAssert.Values(grads[i]);
            Assert.Contains(expected, e => e != 0);
            for (int j = 0; j < expected.Length; j++)
                TensorAssert.Close(expected[j], actual[j], 1e-10, 1e-13, $"{names[i]}[{j}]");
        }
    }
}
