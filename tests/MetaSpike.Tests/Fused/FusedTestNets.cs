using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Fused;

/// <summary>A LIF configuration for the fused-vs-unfused comparisons (defaults: the neuron of spec/workloads.md).</summary>
internal sealed record LifSetup
{
    public Func<SurrogateFunction> Surrogate { get; init; } = () => new FastSigmoid();
    public ResetMode Reset { get; init; } = ResetMode.ToValue;
    public double VRest { get; init; }
    public double VReset { get; init; }
    public double Refractory { get; init; }
    public InputKind Input { get; init; } = InputKind.VoltageJump;
    public bool TrainThreshold { get; init; }

    public Lif Create(long size) => new(size, tau: 20.0, vRest: VRest, vReset: VReset, vThreshold: 1.0, surrogate: Surrogate(), reset: Reset,
        refractory: Refractory, input: Input, trainThreshold: TrainThreshold);
}

/// <summary>Builds the same seeded float64 network twice, fused and unfused, and compares tensors.</summary>
internal static class FusedTestNets
{
    /// <summary>Linear → Expon → LIF → Linear → Expon readout, float64, seeded; fused or not.</summary>
    public static Sequential Dense(long inputs, long hidden, long outputs, LifSetup setup, bool fused, long seed = 7)
    {
        manual_seed(seed);
        var net = new Sequential(new Linear(inputs, hidden, weightInit: Init.Normal(1.5)), new Expon(hidden, 10.0), setup.Create(hidden),
            new Linear(hidden, outputs), new Expon(outputs, 10.0));
        net.to(float64);
        if (fused) Assert.Equal(5, net.SetFused(true)); // three neuron layers and the two Linear layers
        return net;
    }

    /// <summary>Bernoulli input frames [T, batch, inputs] (float64), seeded.</summary>
    public static Tensor Input(long steps, long batch, long inputs, long seed, double p = 0.3) =>
        rand([steps, batch, inputs], dtype: float64, generator: new Generator((ulong)seed)).lt(p).to(float64);

    /// <summary>Cross-entropy of the readout's mean over time against labels 0, 1, 0, ...</summary>
    public static Tensor Loss(Tensor readout)
    {
        var labels = arange(readout.shape[1], ScalarType.Int64).remainder(readout.shape[2]);
        return nn.functional.cross_entropy(readout.mean([0]), labels);
    }

    /// <summary>Asserts |expected - actual| &lt;= tol (1 + |expected|) elementwise, with shapes equal.</summary>
    public static void Close(Tensor expected, Tensor actual, double tol, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = TensorAssert.Values(expected);
        var a = TensorAssert.Values(actual);
        for (int i = 0; i < e.Length; i++)
            TensorAssert.Close(e[i], a[i], tol, tol, $"{what}[{i}]");
    }

    /// <summary>The readout for x and the loss gradient in every parameter.</summary>
    public static (Tensor Readout, Tensor[] Grads) ForwardBackward(Sequential net, Tensor x)
    {
        net.ResetState(x.shape[1]);
        var readout = net.forward(x);
        return (readout, MetaSpike.Runtime.Autograd.Grad([Loss(readout)], FunctionalCall.Parameters(net)));
    }

    /// <summary>
    /// A second-order MAML meta-gradient: one inner SGD step (lr 0.1) on <paramref name="support"/>, then the gradient
    /// of the query loss at the adapted weights in the initial weights (every parameter of the net, in order).
    /// </summary>
    public static Tensor[] MetaGradient(Sequential net, Tensor support, Tensor query)
    {
        var parameters = FunctionalCall.Parameters(net);
        net.ResetState(support.shape[1]);
        var inner = MetaSpike.Runtime.Autograd.Grad([Loss(FunctionalCall.Call(net, parameters, support))], parameters, createGraph: true);
        var adapted = parameters.Zip(inner, (p, g) => p - 0.1 * g).ToArray();
        net.ResetState(query.shape[1]);
        return MetaSpike.Runtime.Autograd.Grad([Loss(FunctionalCall.Call(net, adapted, query))], parameters);
    }

    /// <summary>
    /// Asserts that the fused and unfused <see cref="Dense"/> nets agree: readout (1e-12), gradients (1e-10) and
    /// second-order MAML meta-gradients (1e-9); returns the unfused meta-gradients (to check they are not all zero).
    /// </summary>
    public static Tensor[] AssertFusedAgrees(long inputs, long hidden, long outputs, LifSetup setup, Tensor support, Tensor query)
    {
        var (outRef, gradRef) = ForwardBackward(Dense(inputs, hidden, outputs, setup, fused: false), support);
        var (outFused, gradFused) = ForwardBackward(Dense(inputs, hidden, outputs, setup, fused: true), support);
        Close(outRef, outFused, 1e-12, "readout");
        for (int i = 0; i < gradRef.Length; i++) Close(gradRef[i], gradFused[i], 1e-10, $"gradient {i}");
        var results = new[] { false, true }.Select(fused => MetaGradient(Dense(inputs, hidden, outputs, setup, fused), support, query)).ToArray();
        for (int i = 0; i < results[0].Length; i++) Close(results[0][i], results[1][i], 1e-9, $"meta-gradient {i}");
        return results[0];
    }

    /// <summary>The hidden LIF layer's spikes of a <see cref="Dense"/> net for an input, to check that the comparison is not vacuous.</summary>
    public static double SpikeRate(Sequential net, Tensor x)
    {
        using var _ = no_grad();
        net.ResetState(x.shape[1]);
        var h = x;
        foreach (var layer in net.Layers.Take(3)) h = ((SpikingModule)layer).Sequence(h);
        return h.mean().ToDouble();
    }
}
