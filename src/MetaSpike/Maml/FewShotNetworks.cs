using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>The networks of Stewart and Neftci (2022) and of spec/workloads.md, sized from the input.</summary>
public static class FewShotNetworks
{
    /// <summary>The paper's filter counts (their Table 2): 32c5, 64c5, 128c5.</summary>
    public static IReadOnlyList<int> PaperFilters { get; } = [32, 64, 128];

    /// <summary>
    /// The convolutional SNN of the paper's Table 2: per stage a k x k convolution with "same" padding, a 2 x 2
    /// max-pool and a <see cref="StewartNeftciNeuron"/> population (traces 0.95 / 0.9, normalised as in DECOLLE's code,
    /// reset trace 0.65, bias, fast sigmoid slope 10); then flatten and a linear head with one output per class. Sizes follow the input
    /// (2 x 16 x 32 for double N-MNIST gives 128 x 2 x 4 = 1024 features).
    /// </summary>
    /// <param name="channels">Input channels (2 polarities).</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <param name="ways">Classes per task.</param>
    /// <param name="filters">Filters per stage (default <see cref="PaperFilters"/>).</param>
    /// <param name="kernel">Odd kernel size (default 5).</param>
    /// <param name="gradientWindow">Steps at the end that carry gradient (default 30).</param>
    /// <param name="inputGain">Input frames are multiplied by this (default 10, the paper's first-layer gain).</param>
    /// <param name="surrogate">Spike function factory (default: the neuron's fast sigmoid, slope 10).</param>
    /// <param name="fused">Run the neurons' sequences and the max pooling with the fused CPU kernels (same values and gradients of any order,
    /// faster; see <see cref="Modules.SnnExtensions.SetFused"/>, which can also switch an existing network).</param>
    /// <exception cref="ArgumentException">A size is not positive, the kernel is even, or a pooled map would vanish.</exception>
    public static FewShotNetwork StewartNeftciConv(long channels, long height, long width, int ways, IReadOnlyList<int>? filters = null,
        int kernel = 5, int gradientWindow = 30, double inputGain = 10.0, Func<SurrogateFunction>? surrogate = null, bool fused = false)
    {
        var layers = ConvStages(channels, height, width, ways, filters ?? PaperFilters, kernel, out long features,
            shape => new StewartNeftciNeuron(shape, surrogate: surrogate?.Invoke(), normalizedTraces: true));
        return WithFused(new FewShotNetwork(new Sequential(layers), new Linear(features, ways), FewShotInput.Spiking, gradientWindow, inputGain), fused);
    }

    /// <summary>
    /// The non-spiking baseline of the paper: the same convolutional stack with ReLU instead of spiking neurons,
    /// run once on the events summed over time (MAML-CNN).
    /// </summary>
    public static FewShotNetwork EventCountCnn(long channels, long height, long width, int ways, IReadOnlyList<int>? filters = null, int kernel = 5)
    {
        var layers = ConvStages(channels, height, width, ways, filters ?? PaperFilters, kernel, out long features, _ => new Relu(), convBias: true);
        return new FewShotNetwork(new Sequential(layers), new Linear(features, ways), FewShotInput.EventCounts);
    }

    /// <summary>
    /// The small dense SNN of spec/workloads.md (b): Linear(inputs, hidden) → exponential synapse (10 ms) → LIF
    /// (20 ms, threshold 1, reset to 0 one step after a spike, fast sigmoid slope 25) → Linear(hidden, ways) →
    /// exponential-synapse readout (10 ms); logits = its mean over the gradient window (all T steps by default).
    /// Frames [T, batch, C, H, W] are flattened per step.
    /// </summary>
    /// <param name="inputs">Input features per step.</param>
    /// <param name="ways">Classes per task.</param>
    /// <param name="hidden">Hidden LIF neurons.</param>
    /// <param name="gradientWindow">Steps at the end that carry gradient (default all 100).</param>
    /// <param name="inputGain">Input frames are multiplied by this.</param>
    /// <param name="fused">Run the synapse + LIF pair and the readout with the fused CPU kernels.</param>
    public static FewShotNetwork Dense(long inputs, int ways, int hidden = 64, int gradientWindow = 100, double inputGain = 1.0, bool fused = false)
    {
        if (inputs < 1 || hidden < 1 || ways < 1) throw new ArgumentException($"inputs, hidden and ways must be positive, got {inputs}, {hidden}, {ways}.");
        var body = new Sequential(new Flatten(), new Linear(inputs, hidden), new Expon(hidden, 10.0),
            new Lif(hidden, tau: 20.0, input: Neurons.InputKind.VoltageJump));
        return WithFused(new FewShotNetwork(body, new Linear(hidden, ways), FewShotInput.Spiking, gradientWindow, inputGain, readout: new Expon(ways, 10.0)), fused);
    }

    private static FewShotNetwork WithFused(FewShotNetwork network, bool fused)
    {
        if (fused) network.SetFused(true);
        return network;
    }

    private static nn.Module<Tensor, Tensor>[] ConvStages(long channels, long height, long width, int ways,
        IReadOnlyList<int> filters, int kernel, out long features, Func<FeatureShape, nn.Module<Tensor, Tensor>> activation,
        bool convBias = false)
    {
        if (channels < 1 || height < 1 || width < 1) throw new ArgumentException($"the input must be at least 1 x 1 x 1, got {channels} x {height} x {width}.");
        if (ways < 1) throw new ArgumentException($"ways must be at least 1, got {ways}.", nameof(ways));
        if (filters.Count == 0 || filters.Any(n => n < 1))
            throw new ArgumentException($"filters must be a non-empty list of positive counts, got [{string.Join(", ", filters)}].", nameof(filters));
        if (kernel < 1 || kernel % 2 == 0) throw new ArgumentException($"the kernel size must be odd and positive, got {kernel}.", nameof(kernel));
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long c = channels, h = height, w = width;
        foreach (var n in filters)
        {
            if (h < 2 || w < 2)
                throw new ArgumentException($"a {height} x {width} input is too small for {filters.Count} pooling stages (a map would be {h / 2} x {w / 2}).");
            layers.Add(new Conv2d(c, n, kernel, padding: kernel / 2, bias: convBias, weightInit: Init.KaimingNormal()));
            (c, h, w) = (n, h / 2, w / 2);
            layers.Add(new MaxPool2d(2));
            layers.Add(activation(new FeatureShape(c, h, w)));
        }
        layers.Add(new Flatten());
        features = c * h * w;
        return layers.ToArray();
    }
}
