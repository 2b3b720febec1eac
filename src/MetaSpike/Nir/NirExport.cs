using System.Globalization;
using MetaSpike.Layers;
using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Training;
using MetaSpike.Units;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Nir;

/// <summary>Settings of <see cref="NirExport.ToGraph"/>.</summary>
public sealed record NirExportOptions
{
    /// <summary>
    /// The input's feature shape without batch, e.g. [2, 32, 32] for a convolutional network. Default: read from the
    /// first linear layer or neuron population (a network that starts with a convolution or pooling needs it).
    /// </summary>
    public IReadOnlyList<long>? InputShape { get; init; }

    /// <summary>
    /// The time step to state in the file (metadata "dt", in ms). Default: the model's own dt. Time constants are
    /// scaled by dt_file / dt_model, so every decay exp(-dt/tau) is unchanged.
    /// </summary>
    public Time? Dt { get; init; }

    /// <summary>
    /// Write what NIR cannot express (a soft or no reset of a LIF layer) as MetaSpike metadata on the node
    /// ("metaspike_reset") instead of refusing: MetaSpike reads it back exactly, other tools see a LIF that resets to
    /// v_reset. Default false: such layers are errors.
    /// </summary>
    public bool MetaSpikeExtensions { get; init; }
}

/// <summary>
/// Converts a MetaSpike network into a <see cref="NirGraph"/>: a chain Input → layers → Output (plus a recurrent
/// Linear per <see cref="RecurrentLif"/>, as a two-node cycle).
/// </summary>
/// <remarks>
/// Mapping (β = exp(-dt/tau), dt the model's step; NIR integrates tau dv/dt = (v_leak - v) + r·I and MetaSpike's
/// exponential-Euler step v ← v_leak + β(v - v_leak) + (1 - β)·r·I is its exact solution for I held over the step):
/// <list type="bullet">
/// <item><see cref="Linear"/> → Affine (with bias) or Linear; <see cref="Conv2d"/> → Conv2d (a zero bias when it has none);
/// <see cref="AvgPool2d"/> → AvgPool2d; <see cref="Flatten"/> → Flatten (start 0, end -1);
/// a <see cref="FewShotNetwork"/>'s input gain → Scale.</item>
/// <item><see cref="Lif"/> (reset to value) → LIF {tau, r, v_leak = V_rest, v_threshold, v_reset}, r = R for current
/// input and 1/(1 - β) for voltage-jump input (so (1 - β)·r = 1).</item>
/// <item><see cref="Expon"/> directly before a <see cref="Lif"/> → one CubaLIF, w_in = 1/(1 - β_syn) (the synapse
/// jumps by its input); any other <see cref="Expon"/> → LI {tau, r = 1/(1 - β), v_leak = 0}.</item>
/// <item><see cref="LeakyReadout"/> → LI; <see cref="RecurrentLif"/> → LIF plus a Linear (its recurrent weights) from the LIF back to it.</item>
/// <item><see cref="Dropout"/> is left out (the identity at inference).</item>
/// </list>
/// Everything else (max pooling, ReLU, adaptive LIF, the Stewart-Neftci neuron, refractory periods, soft reset
/// without <see cref="NirExportOptions.MetaSpikeExtensions"/>) cannot be expressed: the export fails with a
/// <see cref="NotSupportedException"/> that lists every such layer. Surrogate functions, trainability and reset
/// detaching are training-time settings and are not part of the graph.
/// </remarks>
public static class NirExport
{
    /// <summary>Node metadata key of MetaSpike's reset extension ("subtract" or "none").</summary>
    public const string ResetExtensionKey = "metaspike_reset";

    /// <summary>Converts <paramref name="model"/> (a <see cref="Sequential"/>, a <see cref="FewShotNetwork"/> or one layer) into a NIR graph.</summary>
    /// <exception cref="NotSupportedException">Some layers have no NIR equivalent; the message lists each with the reason.</exception>
    /// <exception cref="ArgumentException">The input shape is needed but not given, or does not fit the first layer.</exception>
    public static NirGraph ToGraph(nn.Module<Tensor, Tensor> model, NirExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new NirExportOptions();
        var layers = Unroll(model, "");
        var modelDt = model.Descendants().OfType<SpikingModule>().Select(m => m.Dt.Milliseconds).DefaultIfEmpty(1.0).First();
        var fileDt = (options.Dt ?? modelDt).RequirePositive("dt").Milliseconds;
        var builder = new Builder(options, modelDt, fileDt / modelDt);
        var shape = (options.InputShape?.ToArray() ?? InferInputShape(layers)).ToArray();
        if (shape.Length == 0 || shape.Any(d => d < 1)) throw new ArgumentException($"the input shape must be non-empty with sizes >= 1, got [{string.Join(", ", shape)}].");
        builder.Add("input", new NirNode("Input", new Dictionary<string, NirArray> { ["shape"] = NirArray.Integers(shape) }));
        for (int i = 0; i < layers.Count; i++)
        {
            var (name, layer) = layers[i];
            if (layer is Expon synapse && i + 1 < layers.Count && layers[i + 1].Layer.GetType() == typeof(Lif))
            {
                shape = builder.CubaLif($"{name}+{layers[i + 1].Name}", synapse, (Lif)layers[i + 1].Layer, shape);
                i++;
            }
            else shape = builder.Layer(name, layer, shape);
        }
        builder.Add("output", new NirNode("Output", new Dictionary<string, NirArray> { ["shape"] = NirArray.Integers(shape) }));
        if (builder.Problems.Count > 0)
            throw new NotSupportedException(
                $"the model cannot be expressed in NIR ({builder.Problems.Count} part(s)):{Environment.NewLine}  - " +
                string.Join(Environment.NewLine + "  - ", builder.Problems));
        var metadata = new Dictionary<string, NirArray>
        {
            [NirFile.DtKey] = NirArray.Scalar(fileDt),
            ["time_unit"] = NirArray.Of("ms"),
            ["generator"] = NirArray.Of($"MetaSpike {Checkpoint.CurrentMetaSpikeVersion}"),
            ["discretization"] = NirArray.Of("exact exponential Euler: decay = exp(-dt/tau), input held over the step"),
        };
        return new NirGraph(builder.Nodes, builder.Edges, metadata);
    }

    /// <summary>A marker for a <see cref="FewShotNetwork"/>'s input gain.</summary>
    private sealed record InputGain(double Gain);

    private static List<(string Name, object Layer)> Unroll(nn.Module module, string prefix)
    {
        var result = new List<(string, object)>();
        switch (module)
        {
            case Sequential sequential:
                for (int i = 0; i < sequential.Layers.Count; i++)
                    result.AddRange(Unroll(sequential.Layers[i], prefix + i.ToString(CultureInfo.InvariantCulture)));
                break;
            case FewShotNetwork network:
                if (network.Kind == FewShotInput.EventCounts) result.Add(("input", "an event-count network sums its input over time before its layers, which NIR cannot express"));
                if (network.InputGain != 1.0) result.Add(("gain", new InputGain(network.InputGain)));
                result.AddRange(Unroll(network.Body, "body."));
                result.Add(("head", network.Head));
                if (network.Readout is not null) result.AddRange(Unroll(network.Readout, "readout"));
                break;
            default:
                result.Add((prefix.Length == 0 ? module.GetName() : prefix.TrimEnd('.'), module));
                break;
        }
        return result.Select(r => (r.Item1.Length == 0 ? "layer" : r.Item1, r.Item2)).ToList();
    }

    private static long[] InferInputShape(List<(string Name, object Layer)> layers)
    {
        foreach (var (_, layer) in layers)
            switch (layer)
            {
                case Linear linear: return [linear.InFeatures];
                case NeuronLayer neurons: return neurons.Shape.ToArray();
                case Flatten or Dropout or InputGain: continue;
                default:
                    throw new ArgumentException($"the input shape cannot be read from a model that starts with {layer.GetType().Name}; give it (e.g. [channels, height, width]).");
            }
        throw new ArgumentException("the model has no layer that fixes the input shape; give it.");
    }

    /// <summary>Collects nodes, edges and the parts that NIR cannot express.</summary>
    private sealed class Builder(NirExportOptions options, double modelDt, double timeScale)
    {
        private string? _previous;

        public List<KeyValuePair<string, NirNode>> Nodes { get; } = [];
        public List<NirEdge> Edges { get; } = [];
        public List<string> Problems { get; } = [];

        public void Add(string name, NirNode node, bool chain = true)
        {
            Nodes.Add(new(name, node));
            if (!chain) return;
            if (_previous is not null) Edges.Add(new NirEdge(_previous, name));
            _previous = name;
        }

        public long[] Layer(string name, object layer, long[] shape)
        {
            switch (layer)
            {
                case string problem:
                    Problems.Add(problem);
                    return shape;
                case InputGain gain:
                    Add(name, Node("Scale", ("scale", Filled(shape, gain.Gain, NirElementType.Float32))));
                    return shape;
                case Linear linear:
                    if (shape.Length != 1 || shape[0] != linear.InFeatures)
                        return Problem(name, linear, $"it expects [{linear.InFeatures}] but receives {Text(shape)}", shape);
                    Add(name, linear.HasBias
                        ? Node("Affine", ("weight", Weight(linear, "weight")), ("bias", Weight(linear, "bias")))
                        : Node("Linear", ("weight", Weight(linear, "weight"))));
                    return [linear.OutFeatures];
                case Conv2d conv:
                    return Conv(name, conv, shape);
                case AvgPool2d pool:
                    if (shape.Length != 3) return Problem(name, pool, $"it expects [C, H, W] but receives {Text(shape)}", shape);
                    Add(name, Node("AvgPool2d", ("kernel_size", NirArray.Integers(pool.KernelSize, pool.KernelSize)),
                        ("stride", NirArray.Integers(pool.Stride, pool.Stride)), ("padding", NirArray.Integers(0, 0))));
                    return [shape[0], (shape[1] - pool.KernelSize) / pool.Stride + 1, (shape[2] - pool.KernelSize) / pool.Stride + 1];
                case Flatten:
                    Add(name, Node("Flatten", ("start_dim", NirArray.Integer(0)), ("end_dim", NirArray.Integer(-1)), ("input_type", NirArray.Integers(shape))));
                    return [shape.Aggregate(1L, (a, b) => a * b)];
                case Dropout:
                    return shape;
                case Expon synapse:
                    if (!Fits(name, synapse, shape)) return shape;
                    Add(name, Node("LI", ("tau", Filled(shape, Tau(synapse.Tau))), ("r", Filled(shape, 1 / (1 - Decay(synapse.Tau)))), ("v_leak", Filled(shape, 0))));
                    return shape;
                case LeakyReadout readout:
                    return LeakyIntegrator(name, readout, shape);
                case Lif lif when lif.GetType() == typeof(Lif) || lif is RecurrentLif:
                    if (!Fits(name, lif, shape) || !LifSupported(name, lif)) return shape;
                    Add(name, new NirNode("LIF", LifParameters(lif, shape), ResetMetadata(lif)));
                    if (lif is RecurrentLif)
                    {
                        var recurrent = name + ".recurrent";
                        Add(recurrent, Node("Linear", ("weight", NirArray.FromTensor(lif.get_parameter("recurrent_weight")!))), chain: false);
                        Edges.Add(new NirEdge(name, recurrent));
                        Edges.Add(new NirEdge(recurrent, name));
                    }
                    return shape;
                default:
                    return Problem(name, layer, Why(layer), shape);
            }
        }

        /// <summary>An <see cref="Expon"/> synapse followed by a plain <see cref="Lif"/>, as one CubaLIF.</summary>
        public long[] CubaLif(string name, Expon synapse, Lif lif, long[] shape)
        {
            if (!Fits(name, synapse, shape) || !Fits(name, lif, shape) || !LifSupported(name, lif)) return shape;
            var parameters = LifParameters(lif, shape);
            parameters["tau_mem"] = parameters["tau"];
            parameters.Remove("tau");
            parameters["tau_syn"] = Filled(shape, Tau(synapse.Tau));
            parameters["w_in"] = Filled(shape, 1 / (1 - Decay(synapse.Tau)));
            Add(name, new NirNode("CubaLIF", parameters, ResetMetadata(lif)));
            return shape;
        }

        private long[] Conv(string name, Conv2d conv, long[] shape)
        {
            if (shape.Length != 3 || shape[0] != conv.InChannels)
                return Problem(name, conv, $"it expects [{conv.InChannels}, H, W] but receives {Text(shape)}", shape);
            var bias = conv.HasBias ? Weight(conv, "bias") : Filled([conv.OutChannels], 0, NirElementType.Float32);
            Add(name, Node("Conv2d", ("weight", Weight(conv, "weight")), ("bias", bias),
                ("stride", NirArray.Integers(conv.Stride, conv.Stride)), ("padding", NirArray.Integers(conv.Padding, conv.Padding)),
                ("dilation", NirArray.Integers(1, 1)), ("groups", NirArray.Integer(1)), ("input_shape", NirArray.Integers(shape[1], shape[2]))));
            return [conv.OutChannels, conv.OutputSize(shape[1]), conv.OutputSize(shape[2])];
        }

        private long[] LeakyIntegrator(string name, LeakyReadout readout, long[] shape)
        {
            if (!Fits(name, readout, shape)) return shape;
            var r = readout.Input == InputKind.Current ? readout.Resistance : 1 / (1 - Decay(readout.Tau));
            Add(name, Node("LI", ("tau", Filled(shape, Tau(readout.Tau))), ("r", Filled(shape, r)), ("v_leak", Filled(shape, readout.VRest))));
            return shape;
        }

        private Dictionary<string, NirArray> LifParameters(Lif lif, long[] shape) => new()
        {
            ["tau"] = Filled(shape, Tau(lif.Tau)),
            ["r"] = Filled(shape, lif.Input == InputKind.Current ? lif.Resistance : 1 / (1 - Decay(lif.Tau))),
            ["v_leak"] = Filled(shape, lif.VRest),
            ["v_threshold"] = Filled(shape, lif.VThreshold),
            ["v_reset"] = Filled(shape, lif.VReset),
        };

        private bool LifSupported(string name, Lif lif)
        {
            bool ok = true;
            if (lif.RefractorySteps > 0)
            {
                Problems.Add($"layer '{name}' ({lif.GetType().Name}): a refractory period has no NIR equivalent");
                ok = false;
            }
            if (lif.Reset != ResetMode.ToValue && !options.MetaSpikeExtensions)
            {
                Problems.Add($"layer '{name}' ({lif.GetType().Name}): reset mode {lif.Reset} has no NIR equivalent (NIR's LIF resets to v_reset); " +
                    "export with MetaSpike extensions (--metaspike-extensions) to keep it as node metadata");
                ok = false;
            }
            return ok;
        }

        private static Dictionary<string, NirArray> ResetMetadata(Lif lif) => lif.Reset switch
        {
            ResetMode.Subtract => new() { [ResetExtensionKey] = NirArray.Of("subtract") },
            ResetMode.None => new() { [ResetExtensionKey] = NirArray.Of("none") },
            _ => [],
        };

        private bool Fits(string name, NeuronLayer neurons, long[] shape)
        {
            if (neurons.Shape.SequenceEqual(shape)) return true;
            Problem(name, neurons, $"its shape {Text(neurons.Shape)} does not match its input {Text(shape)}", shape);
            return false;
        }

        private long[] Problem(string name, object layer, string why, long[] shape)
        {
            Problems.Add($"layer '{name}' ({layer.GetType().Name}): {why}");
            return shape;
        }

        private static string Why(object layer) => layer switch
        {
            MaxPool2d => "NIR has sum and average pooling, not max pooling",
            Relu => "NIR has no ReLU (it describes spiking and linear dynamics)",
            Alif => "NIR has no adaptive-threshold LIF",
            StewartNeftciNeuron => "NIR has no neuron with this neuron's reset trace and membrane trace fed by the previous step's synaptic trace",
            _ => "no NIR primitive corresponds to it",
        };

        /// <summary>A time constant in the file's time base (unchanged when the file states the model's dt).</summary>
        private double Tau(double tauMs) => timeScale == 1.0 ? tauMs : tauMs * timeScale;

        private double Decay(double tauMs) => Math.Exp(-modelDt / tauMs);

        private static NirArray Weight(nn.Module layer, string name) => NirArray.FromTensor(layer.get_parameter(name)!);

        private static NirArray Filled(long[] shape, double value, NirElementType type = NirElementType.Float64) =>
            NirArray.Filled(shape, value) with { ElementType = type };

        private static NirNode Node(string type, params (string Name, NirArray Value)[] parameters) =>
            new(type, parameters.ToDictionary(p => p.Name, p => p.Value));

        private static string Text(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
    }
}
