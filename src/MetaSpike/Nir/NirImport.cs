using System.Globalization;
using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Units;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Nir;

/// <summary>Settings of <see cref="NirImport.ToModel"/>.</summary>
public sealed record NirImportOptions
{
    /// <summary>The time step in ms. Default: the graph's metadata "dt" (MetaSpike writes it); a graph without one needs it.</summary>
    public Time? Dt { get; init; }
}

/// <summary>One imported node, for display.</summary>
/// <param name="Name">Node name (a CubaLIF or a LIF with its recurrent Linear lists the nodes it came from).</param>
/// <param name="Type">NIR type.</param>
/// <param name="InputShape">Its input shape (without batch).</param>
/// <param name="OutputShape">Its output shape (without batch).</param>
/// <param name="Layers">The MetaSpike layers it became (empty for Input and Output).</param>
public sealed record NirImportedNode(string Name, string Type, IReadOnlyList<long> InputShape, IReadOnlyList<long> OutputShape, string Layers);

/// <summary>An imported, runnable network.</summary>
/// <param name="Model">The network (multi-step mode; input [T, batch, ...InputShape]).</param>
/// <param name="InputShape">Feature shape of one input step.</param>
/// <param name="OutputShape">Feature shape of one output step.</param>
/// <param name="Dt">The time step the network runs with.</param>
/// <param name="Nodes">The nodes in chain order.</param>
public sealed record NirImportResult(Sequential Model, IReadOnlyList<long> InputShape, IReadOnlyList<long> OutputShape, Time Dt, IReadOnlyList<NirImportedNode> Nodes);

/// <summary>
/// Builds a runnable MetaSpike network from a NIR graph: a chain Input → nodes → Output becomes a <see cref="Sequential"/>,
/// and a LIF whose output feeds a Linear (or zero-bias Affine) that feeds it back becomes a <see cref="RecurrentLif"/>.
/// </summary>
/// <remarks>
/// Inverse of <see cref="NirExport"/> (β = exp(-dt/tau)): LIF → <see cref="Lif"/> (reset to v_reset, or as MetaSpike's
/// metadata says) with current input and R = r, or voltage-jump input when (1 - β)·r = 1; CubaLIF → <see cref="Expon"/>
/// then <see cref="Lif"/> (a w_in with (1 - β_syn)·w_in ≠ 1 is folded into the membrane's r); CubaLI → <see cref="Expon"/>
/// then <see cref="LeakyReadout"/>; LI → <see cref="Expon"/> when v_leak = 0 and (1 - β)·r = 1, else <see cref="LeakyReadout"/>;
/// Affine/Linear → <see cref="Linear"/>; Conv2d → <see cref="Conv2d"/> (square kernel, equal strides and paddings or
/// "same"/"valid", dilation 1, groups 1; an all-zero bias is dropped); AvgPool2d/SumPool2d → <see cref="AvgPool2d"/> /
/// <see cref="SumPool2d"/> (square, unpadded); Flatten over every feature dimension → <see cref="Flatten"/>; Scale → <see cref="Scale"/>.
/// MetaSpike's neurons share one value of each parameter per layer, so per-neuron arrays must hold equal values.
/// Spikes are emitted when v ≥ v_threshold and the reset is applied at the next step (MetaSpike's convention).
/// IF, I, Threshold, Delay, Conv1d, nested graphs, branching graphs and other cycles are refused with a clear error.
/// </remarks>
public static class NirImport
{
    private static readonly string[] Supported = ["Input", "Output", "Affine", "Linear", "Conv2d", "AvgPool2d", "SumPool2d", "Flatten", "Scale", "LI", "LIF", "CubaLIF", "CubaLI"];
    private static readonly string[] KnownUnsupported = ["IF", "I", "Threshold", "Delay", "Conv1d", "NIRGraph", "Identity"];
    private const double UnitGainTolerance = 1e-9;

    /// <summary>Reads <paramref name="path"/> and imports it.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a NIR HDF5 file, or its graph cannot be imported.</exception>
    public static NirImportResult Load(string path, NirImportOptions? options = null) => ToModel(NirFile.Read(path), options);

    /// <summary>Builds the network that <paramref name="graph"/> describes.</summary>
    /// <exception cref="InvalidDataException">The graph cannot be imported; the message names the node or edge: unknown or unsupported node types, missing parameters, edges to missing nodes,
    /// shape mismatches along edges, cycles other than a LIF's recurrent weights, branches, or no dt.</exception>
    public static NirImportResult ToModel(NirGraph graph, NirImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var nodes = new Dictionary<string, NirNode>();
        foreach (var (name, node) in graph.Nodes)
            if (!nodes.TryAdd(name, node)) throw Fail($"node '{name}' appears twice");
        foreach (var edge in graph.Edges)
            foreach (var end in new[] { edge.Source, edge.Target })
                if (!nodes.ContainsKey(end)) throw Fail($"edge {edge} names node '{end}', which is not in the graph");
        foreach (var (name, node) in nodes) CheckType(name, node);
        var dt = (options?.Dt?.Milliseconds ?? graph.Dt)
            ?? throw Fail("the graph states no time step (metadata 'dt'); give one (--dt in ms)");
        if (!(dt > 0 && double.IsFinite(dt))) throw Fail($"the time step must be > 0 ms, got {dt}");

        var edges = graph.Edges.Distinct().ToList();
        var recurrent = FindRecurrentWeights(nodes, edges);
        foreach (var (lif, linear) in recurrent)
            edges.RemoveAll(e => e == new NirEdge(lif, linear) || e == new NirEdge(linear, lif));
        var chain = Chain(nodes, edges, recurrent.Values.ToHashSet());

        var context = new Context(dt);
        long[] shape = [];
        var imported = new List<NirImportedNode>();
        foreach (var name in chain)
        {
            var node = nodes[name];
            var input = shape;
            var layers = new List<nn.Module<Tensor, Tensor>>();
            var label = name;
            if (recurrent.TryGetValue(name, out var weightNode))
            {
                label = $"{name} + {weightNode}";
                shape = context.RecurrentLif(name, node, weightNode, nodes[weightNode], shape, layers);
            }
            else shape = context.Node(name, node, shape, layers, isFirst: imported.Count == 0);
            context.Layers.AddRange(layers);
            imported.Add(new NirImportedNode(label, node.Type, input, shape, string.Join(", ", layers)));
        }
        if (context.Layers.Count == 0) throw Fail("the graph has no computing node between its Input and Output");
        var model = new Sequential(context.Layers.ToArray());
        model.SetDt(dt);
        return new NirImportResult(model, imported[0].OutputShape, shape, dt, imported);
    }

    private static InvalidDataException Fail(string problem) => new($"NIR graph cannot be imported: {problem}.");

    private static void CheckType(string name, NirNode node)
    {
        if (Supported.Contains(node.Type)) return;
        if (KnownUnsupported.Contains(node.Type))
            throw Fail($"node '{name}' has type '{node.Type}', which NIR defines but MetaSpike does not import; supported: {string.Join(", ", Supported)}");
        throw Fail($"node '{name}' has unknown type '{node.Type}'; supported: {string.Join(", ", Supported)}");
    }

    /// <summary>LIF nodes whose output feeds a Linear or Affine node that feeds only that LIF back: LIF name → weight node name.</summary>
    private static Dictionary<string, string> FindRecurrentWeights(Dictionary<string, NirNode> nodes, List<NirEdge> edges)
    {
        var result = new Dictionary<string, string>();
        foreach (var (name, node) in nodes)
        {
            if (node.Type != "LIF") continue;
            foreach (var edge in edges.Where(e => e.Source == name))
            {
                var candidate = edge.Target;
                if (nodes[candidate].Type is not ("Linear" or "Affine")) continue;
                bool feedsBackOnly = edges.Where(e => e.Source == candidate).Select(e => e.Target).SequenceEqual([name]);
                bool fedOnlyByLif = edges.Where(e => e.Target == candidate).Select(e => e.Source).SequenceEqual([name]);
                if (feedsBackOnly && fedOnlyByLif) result[name] = candidate;
            }
        }
        return result;
    }

    /// <summary>The node names from the single Input to the single Output, after checking there is no cycle or branch.</summary>
    private static List<string> Chain(Dictionary<string, NirNode> nodes, List<NirEdge> edges, HashSet<string> absorbed)
    {
        var outgoing = nodes.Keys.ToDictionary(n => n, n => edges.Where(e => e.Source == n).Select(e => e.Target).ToList());
        if (FindCycle(nodes.Keys, outgoing) is { } cycle)
            throw Fail($"it has a cycle {string.Join(" -> ", cycle)}; MetaSpike imports cycles only as a LIF's recurrent weights (LIF -> Linear -> the same LIF)");
        var inputs = nodes.Where(n => n.Value.Type == "Input").Select(n => n.Key).ToList();
        if (inputs.Count != 1) throw Fail($"it has {inputs.Count} Input nodes; MetaSpike imports graphs with exactly one");
        foreach (var (name, targets) in outgoing)
        {
            if (targets.Count > 1) throw Fail($"node '{name}' feeds {targets.Count} nodes ({string.Join(", ", targets)}); MetaSpike imports chains (one path from Input to Output)");
            var sources = edges.Where(e => e.Target == name).Select(e => e.Source).ToList();
            if (sources.Count > 1) throw Fail($"node '{name}' receives {sources.Count} inputs ({string.Join(", ", sources)}); MetaSpike imports chains (one path from Input to Output)");
        }
        var chain = new List<string> { inputs[0] };
        while (outgoing[chain[^1]].Count == 1) chain.Add(outgoing[chain[^1]][0]);
        if (nodes[chain[^1]].Type != "Output") throw Fail($"the path from the Input ends at '{chain[^1]}' ({nodes[chain[^1]].Type}), not at an Output node");
        var unused = nodes.Keys.Except(chain).Except(absorbed).ToList();
        if (unused.Count > 0) throw Fail($"node(s) {string.Join(", ", unused)} are not on the path from the Input to the Output");
        return chain;
    }

    private static List<string>? FindCycle(IEnumerable<string> names, Dictionary<string, List<string>> outgoing)
    {
        var state = new Dictionary<string, int>();
        var path = new List<string>();
        List<string>? Visit(string n)
        {
            state[n] = 1;
            path.Add(n);
            foreach (var m in outgoing[n])
            {
                if (state.GetValueOrDefault(m) == 1) return [.. path.Skip(path.IndexOf(m)), m];
                if (state.GetValueOrDefault(m) == 0 && Visit(m) is { } found) return found;
            }
            path.RemoveAt(path.Count - 1);
            state[n] = 2;
            return null;
        }
        foreach (var n in names)
            if (state.GetValueOrDefault(n) == 0 && Visit(n) is { } cycle) return cycle;
        return null;
    }

    /// <summary>Translates nodes one by one, checking each one's input shape.</summary>
    private sealed class Context(double dt)
    {
        public List<nn.Module<Tensor, Tensor>> Layers { get; } = [];

        public long[] Node(string name, NirNode node, long[] shape, List<nn.Module<Tensor, Tensor>> layers, bool isFirst)
        {
            var p = new Parameters(name, node);
            switch (node.Type)
            {
                case "Input":
                    if (!isFirst) throw Fail($"node '{name}' is an Input inside the chain");
                    return p.Shape("shape");
                case "Output":
                    Expect(name, node, shape, p.Shape("shape"));
                    return shape;
                case "Affine":
                case "Linear":
                    {
                        var weight = p.Array("weight");
                        if (weight.Shape.Length != 2) throw Fail($"node '{name}' ({node.Type}): 'weight' must be [out, in], it is {weight.ShapeText}");
                        Expect(name, node, shape, [weight.Shape[1]]);
                        var bias = node.Type == "Affine" ? p.Array("bias", [weight.Shape[0]]) : null;
                        var linear = new Linear(weight.Shape[1], weight.Shape[0], bias: bias is not null);
                        Copy(linear, "weight", weight);
                        if (bias is not null) Copy(linear, "bias", bias);
                        layers.Add(linear);
                        return [weight.Shape[0]];
                    }
                case "Conv2d":
                    return Conv(name, node, p, shape, layers);
                case "AvgPool2d":
                case "SumPool2d":
                    {
                        if (shape.Length != 3) throw Fail($"node '{name}' ({node.Type}) needs a [C, H, W] input, it receives {Text(shape)}");
                        long k = p.Square("kernel_size"), s = p.Square("stride");
                        if (p.Optional("padding") is { } padding && padding.Values.Any(v => v != 0))
                            throw Fail($"node '{name}' ({node.Type}): padded pooling is not supported");
                        if (shape[1] < k || shape[2] < k) throw Fail($"node '{name}' ({node.Type}): a {k} x {k} window does not fit its input {Text(shape)}");
                        layers.Add(node.Type == "AvgPool2d" ? new AvgPool2d(k, s) : new SumPool2d(k, s));
                        return [shape[0], (shape[1] - k) / s + 1, (shape[2] - k) / s + 1];
                    }
                case "Flatten":
                    {
                        if (p.Optional("input_type") is { IsText: false } declared && declared.Count > 0)
                            Expect(name, node, shape, declared.Values.Select(v => (long)v).ToArray());
                        long start = (long)(p.Optional("start_dim")?.Values.FirstOrDefault() ?? 0), end = (long)(p.Optional("end_dim")?.Values.FirstOrDefault() ?? -1);
                        if (start < 0) start += shape.Length;
                        if (end < 0) end += shape.Length;
                        if (start != 0 || end != shape.Length - 1)
                            throw Fail($"node '{name}' (Flatten) flattens dimensions {start}..{end} of {Text(shape)}; MetaSpike flattens all feature dimensions (start_dim 0, end_dim -1)");
                        layers.Add(new Flatten());
                        return [shape.Aggregate(1L, (a, b) => a * b)];
                    }
                case "Scale":
                    {
                        var scale = p.Array("scale");
                        Expect(name, node, shape, scale.Shape);
                        layers.Add(new Scale(scale.ToTensor()));
                        return shape;
                    }
                case "LI":
                    {
                        var neurons = p.NeuronShape(shape, "tau", "r", "v_leak");
                        layers.Add(LeakyIntegrator(name, neurons, p.Uniform("tau"), p.Uniform("r"), p.Uniform("v_leak")));
                        return shape;
                    }
                case "LIF":
                    {
                        var neurons = p.NeuronShape(shape, "tau", "r", "v_leak", "v_threshold");
                        layers.Add(Lif(name, node, p, neurons, p.Uniform("tau"), gainFactor: 1.0, recurrent: null));
                        return shape;
                    }
                case "CubaLIF":
                case "CubaLI":
                    {
                        var neurons = p.NeuronShape(shape, "tau_syn", "tau_mem", "r", "v_leak");
                        double tauSyn = Positive(name, "tau_syn", p.Uniform("tau_syn")), tauMem = p.Uniform("tau_mem");
                        double k = (p.Optional("w_in") is null ? 1.0 : p.Uniform("w_in")) * (1 - Math.Exp(-dt / tauSyn));
                        if (Math.Abs(k - 1) <= UnitGainTolerance) k = 1.0;
                        layers.Add(new Expon(neurons, tauSyn));
                        layers.Add(node.Type == "CubaLIF"
                            ? Lif(name, node, p, neurons, tauMem, k, recurrent: null)
                            : LeakyIntegrator(name, neurons, tauMem, p.Uniform("r") * k, p.Uniform("v_leak")));
                        return shape;
                    }
                default:
                    throw Fail($"node '{name}' has type '{node.Type}', which MetaSpike does not import");
            }
        }

        public long[] RecurrentLif(string name, NirNode node, string weightName, NirNode weightNode, long[] shape, List<nn.Module<Tensor, Tensor>> layers)
        {
            var p = new Parameters(name, node);
            var neurons = p.NeuronShape(shape, "tau", "r", "v_leak", "v_threshold");
            if (neurons.Length != 1) throw Fail($"node '{name}' (LIF with recurrent weights): MetaSpike's recurrent LIF is one-dimensional, its shape is {Text(neurons)}");
            var w = new Parameters(weightName, weightNode);
            var weight = w.Array("weight", [neurons[0], neurons[0]]);
            if (weightNode.Type == "Affine" && w.Array("bias", [neurons[0]]).Values.Any(v => v != 0))
                throw Fail($"node '{weightName}' (Affine) feeds LIF '{name}' back with a non-zero bias; MetaSpike's recurrent weights have no bias");
            var lif = Lif(name, node, p, neurons, p.Uniform("tau"), 1.0, weight);
            layers.Add(lif);
            return shape;
        }

        private Lif Lif(string name, NirNode node, Parameters p, long[] neurons, double tau, double gainFactor, NirArray? recurrent)
        {
            tau = Positive(name, "tau", tau);
            double r = p.Uniform("r") * gainFactor, beta = Math.Exp(-dt / tau);
            bool jump = Math.Abs((1 - beta) * r - 1) <= UnitGainTolerance;
            var input = jump ? InputKind.VoltageJump : InputKind.Current;
            if (!jump && !(r > 0)) throw Fail($"node '{name}' ({node.Type}): the input gain r = {r} must be > 0 in MetaSpike");
            double vReset = p.Optional("v_reset") is null ? 0.0 : p.Uniform("v_reset");
            var reset = node.Metadata.TryGetValue(NirExport.ResetExtensionKey, out var mode) ? mode.Text switch
            {
                "subtract" => ResetMode.Subtract,
                "none" => ResetMode.None,
                _ => throw Fail($"node '{name}': unknown {NirExport.ResetExtensionKey} '{mode.Text}' (subtract or none)"),
            } : ResetMode.ToValue;
            try
            {
                Lif lif = recurrent is null
                    ? new Lif(new FeatureShape(neurons), tau, p.Uniform("v_leak"), vReset, p.Uniform("v_threshold"), reset: reset, input: input, resistance: jump ? null : r)
                    : new RecurrentLif(neurons[0], tau: tau, vRest: p.Uniform("v_leak"), vReset: vReset, vThreshold: p.Uniform("v_threshold"), reset: reset, input: input, resistance: jump ? null : r);
                if (recurrent is not null) Copy(lif, "recurrent_weight", recurrent);
                return lif;
            }
            catch (ArgumentException e)
            {
                throw Fail($"node '{name}' ({node.Type}): {e.Message}");
            }
        }

        private NeuronLayer LeakyIntegrator(string name, long[] neurons, double tau, double r, double vLeak)
        {
            tau = Positive(name, "tau", tau);
            double beta = Math.Exp(-dt / tau);
            bool unitGain = Math.Abs((1 - beta) * r - 1) <= UnitGainTolerance;
            if (unitGain && vLeak == 0) return new Expon(new FeatureShape(neurons), tau);
            if (!(r > 0)) throw Fail($"node '{name}': the input gain r = {r} must be > 0 in MetaSpike");
            return unitGain
                ? new LeakyReadout(new FeatureShape(neurons), tau, vLeak, InputKind.VoltageJump)
                : new LeakyReadout(new FeatureShape(neurons), tau, vLeak, InputKind.Current, r);
        }

        private static long[] Conv(string name, NirNode node, Parameters p, long[] shape, List<nn.Module<Tensor, Tensor>> layers)
        {
            var weight = p.Array("weight");
            if (weight.Shape.Length != 4 || weight.Shape[2] != weight.Shape[3])
                throw Fail($"node '{name}' (Conv2d): 'weight' must be [out, in, k, k] with a square kernel, it is {weight.ShapeText}");
            long outC = weight.Shape[0], inC = weight.Shape[1], k = weight.Shape[2];
            if (shape.Length != 3 || shape[0] != inC) throw Fail($"node '{name}' (Conv2d) expects [{inC}, H, W], it receives {Text(shape)}");
            if (p.Optional("input_shape") is { IsText: false } declared && declared.Count == 2)
                Expect(name, node, shape, [inC, (long)declared.Values[0], (long)declared.Values[1]]);
            if ((long)(p.Optional("groups")?.Values.FirstOrDefault() ?? 1) != 1) throw Fail($"node '{name}' (Conv2d): grouped convolutions are not supported");
            if (p.Optional("dilation") is { } dilation && dilation.Values.Any(v => v != 1)) throw Fail($"node '{name}' (Conv2d): dilation other than 1 is not supported");
            long stride = p.Square("stride");
            var paddingArray = p.Array("padding");
            long padding = paddingArray.Text switch
            {
                "valid" => 0,
                "same" when stride == 1 && k % 2 == 1 => k / 2,
                "same" => throw Fail($"node '{name}' (Conv2d): 'same' padding needs stride 1 and an odd kernel"),
                null => p.Square("padding"),
                var other => throw Fail($"node '{name}' (Conv2d): unknown padding '{other}'"),
            };
            var bias = p.Optional("bias") is { } b ? p.Array("bias", [outC]) : null;
            bool hasBias = bias is not null && bias.Values.Any(v => v != 0);
            var conv = new Conv2d(inC, outC, k, stride, padding, hasBias);
            if (conv.OutputSize(shape[1]) < 1 || conv.OutputSize(shape[2]) < 1) throw Fail($"node '{name}' (Conv2d): its kernel does not fit its input {Text(shape)}");
            Copy(conv, "weight", weight);
            if (hasBias) Copy(conv, "bias", bias!);
            layers.Add(conv);
            return [outC, conv.OutputSize(shape[1]), conv.OutputSize(shape[2])];
        }

        private static double Positive(string name, string what, double value) =>
            value > 0 && double.IsFinite(value) ? value : throw Fail($"node '{name}': '{what}' must be > 0, got {value}");
    }

    private static void Copy(nn.Module layer, string parameter, NirArray values)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        layer.get_parameter(parameter)!.copy_(values.ToTensor());
    }

    private static void Expect(string name, NirNode node, long[] actual, long[] expected)
    {
        if (!actual.SequenceEqual(expected))
            throw Fail($"shape mismatch at node '{name}' ({node.Type}): it expects {Text(expected)} but the edge into it carries {Text(actual)}");
    }

    private static string Text(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>Reads one node's parameters with errors that name the node.</summary>
    private sealed class Parameters(string name, NirNode node)
    {
        public NirArray? Optional(string key) => node.Parameters.GetValueOrDefault(key);

        public NirArray Array(string key, long[]? shape = null)
        {
            var array = Optional(key) ?? throw Fail($"node '{name}' ({node.Type}) is missing parameter '{key}'");
            if (shape is not null && !array.Shape.SequenceEqual(shape))
                throw Fail($"node '{name}' ({node.Type}): '{key}' has shape {array.ShapeText}, expected {Text(shape)}");
            if (!array.IsText && array.Values.Any(v => !double.IsFinite(v)))
                throw Fail($"node '{name}' ({node.Type}): '{key}' holds NaN or infinite values");
            return array;
        }

        public long[] Shape(string key)
        {
            var array = Array(key);
            if (array.IsText || array.Shape.Length > 1 || array.Values.Length == 0 || array.Values.Any(v => v < 1 || v != Math.Floor(v)))
                throw Fail($"node '{name}' ({node.Type}): '{key}' must list positive sizes, got {array}");
            return array.Values.Select(v => (long)v).ToArray();
        }

        /// <summary>A per-neuron parameter's single value: MetaSpike layers share one value per layer.</summary>
        public double Uniform(string key)
        {
            var array = Array(key);
            if (array.IsText || array.Values.Length == 0) throw Fail($"node '{name}' ({node.Type}): '{key}' must be numeric");
            double first = array.Values[0];
            if (array.Values.Any(v => v != first))
                throw Fail($"node '{name}' ({node.Type}): '{key}' differs between neurons ({array.Values.Min().ToString(CultureInfo.InvariantCulture)} to " +
                    $"{array.Values.Max().ToString(CultureInfo.InvariantCulture)}); MetaSpike neurons share one value per layer");
            return first;
        }

        /// <summary>A pair such as a stride, which must be equal in both directions (a scalar is both).</summary>
        public long Square(string key)
        {
            var array = Array(key);
            if (array.IsText || array.Values.Length is < 1 or > 2 || array.Values.Any(v => v != array.Values[0] || v < 0))
                throw Fail($"node '{name}' ({node.Type}): '{key}' must be one non-negative value for both directions, got {array}");
            return (long)array.Values[0];
        }

        /// <summary>The population shape (of the first parameter), checked against the others and the incoming shape.</summary>
        public long[] NeuronShape(long[] incoming, params string[] keys)
        {
            var shape = Array(keys[0]).Shape;
            foreach (var key in keys.Skip(1))
                if (!Array(key).Shape.SequenceEqual(shape) && Array(key).Count != 1)
                    throw Fail($"node '{name}' ({node.Type}): '{key}' has shape {Array(key).ShapeText} but '{keys[0]}' has {Text(shape)}");
            if (shape.Length == 0) shape = incoming;
            Expect(name, node, incoming, shape);
            return shape;
        }
    }
}
