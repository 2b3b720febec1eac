using MetaSpike.Diagnostics;
using MetaSpike.Layers;
using MetaSpike.Maml;
using MetaSpike.Neurons;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Bench.Workloads;

/// <summary>
/// The network of workload (c) of spec/workloads.md, the convolutional SNN after Stewart and Neftci (2022) with the
/// spec's neuron: per stage conv 5 x 5 "same" (pad 2) → max-pool 2 → exponential synapse (10 ms) → LIF (20 ms,
/// threshold 1, detached reset to 0, fast sigmoid k = 25), with 32, 64 and 128 filters; flatten (128 · 4 · 2 = 1024)
/// → Linear(1024, 5); input frames [100, B, 2, 32, 16]; steps 0..69 burn-in without gradient, logits = mean of the
/// Linear output over steps 70..99. The convolutions keep PyTorch's default bias (the spec does not remove it).
/// </summary>
internal static class ConvWorkload
{
    /// <summary>Simulation steps.</summary>
    public const int Steps = 100;

    /// <summary>The last steps that carry gradient and make the logits.</summary>
    public const int Window = 30;

    /// <summary>Classes.</summary>
    public const int Ways = 5;

    /// <summary>Convolution kernel size.</summary>
    public const int Kernel = 5;

    /// <summary>One sample's frame: 2 polarities, 32 x 16 pixels.</summary>
    public static IReadOnlyList<long> SampleShape { get; } = [2, 32, 16];

    /// <summary>Filters per stage.</summary>
    public static IReadOnlyList<int> Filters { get; } = [32, 64, 128];

    /// <summary>A freshly initialised network (torch's generator seeded by the caller).</summary>
    public static FewShotNetwork CreateNetwork()
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long c = SampleShape[0], h = SampleShape[1], w = SampleShape[2];
        foreach (var n in Filters)
        {
            layers.Add(new Conv2d(c, n, Kernel, padding: Kernel / 2));
            (c, h, w) = (n, h / 2, w / 2);
            layers.Add(new MaxPool2d(2));
            var shape = new FeatureShape(c, h, w);
            layers.Add(new Expon(shape, 10.0));
            layers.Add(new Lif(shape, tau: 20.0, input: InputKind.VoltageJump));
        }
        layers.Add(new Flatten());
        return new FewShotNetwork(new Sequential(layers.ToArray()), new Linear(c * h * w, Ways), FewShotInput.Spiking, Window);
    }

    /// <summary>Bernoulli (p = 0.05) event frames [100, <paramref name="batch"/>, 2, 32, 16] from torch's generator.</summary>
    public static Tensor Frames(int batch) => rand([Steps, batch, .. SampleShape]).lt(0.05).to_type(ScalarType.Float32);

    /// <summary>The convolutions' and linear layers' FLOPs per layer for one sample and step.</summary>
    public static IReadOnlyList<LayerFlops> LayerFlops()
    {
        using var network = CreateNetwork();
        return FlopCounter.Count([.. network.Body.Layers, network.Head], SampleShape);
    }

    /// <summary>A forward pass over all 100 steps for <paramref name="batch"/> samples.</summary>
    public static double ForwardFlops(int batch) => LayerFlops().Sum(l => l.Flops) * (double)Steps * batch;

    /// <summary>
    /// A forward pass plus the backward over the gradient window: each counted layer's weight gradient costs as much
    /// as its forward, and so does its input gradient, except the first layer's (the frames need none).
    /// </summary>
    public static double TrainingFlops(int batch)
    {
        var layers = LayerFlops().Where(l => l.Flops > 0).Select(l => (double)l.Flops).ToArray();
        double backwardPerStep = 2 * layers.Sum() - layers[0];
        return ForwardFlops(batch) + backwardPerStep * Window * batch;
    }
}
