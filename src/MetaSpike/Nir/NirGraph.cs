namespace MetaSpike.Nir;

/// <summary>One node of a NIR graph: its type (e.g. "LIF", "Affine") and its datasets.</summary>
/// <param name="Type">The NIR primitive, e.g. "LIF".</param>
/// <param name="Parameters">The parameter datasets by name (e.g. "tau", "weight").</param>
/// <param name="Metadata">The node's optional metadata datasets (NIR's <c>metadata</c> group), e.g. MetaSpike's extensions.</param>
public sealed record NirNode(string Type, IReadOnlyDictionary<string, NirArray> Parameters, IReadOnlyDictionary<string, NirArray> Metadata)
{
    /// <summary>A node without metadata.</summary>
    public NirNode(string type, IReadOnlyDictionary<string, NirArray> parameters) : this(type, parameters, new Dictionary<string, NirArray>())
    {
    }
}

/// <summary>An edge: the output of <paramref name="Source"/> feeds <paramref name="Target"/> (several inputs to one node add up).</summary>
/// <param name="Source">Source node name.</param>
/// <param name="Target">Target node name.</param>
public readonly record struct NirEdge(string Source, string Target)
{
    /// <inheritdoc />
    public override string ToString() => $"{Source} -> {Target}";
}

/// <summary>
/// A NIR graph (Neuromorphic Intermediate Representation, Pedersen et al. 2024): named nodes, directed edges and
/// graph metadata. Shapes in NIR exclude the batch and time dimensions; time constants are in ms and potentials in mV.
/// </summary>
/// <param name="Nodes">The nodes by name, in file order.</param>
/// <param name="Edges">The edges.</param>
/// <param name="Metadata">Graph metadata, e.g. "dt" (the time step in ms that MetaSpike states on export).</param>
/// <param name="Version">The NIR format version the file states.</param>
public sealed record NirGraph(
    IReadOnlyList<KeyValuePair<string, NirNode>> Nodes,
    IReadOnlyList<NirEdge> Edges,
    IReadOnlyDictionary<string, NirArray> Metadata,
    string Version = NirFile.FormatVersion)
{
    /// <summary>The node called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such node.</exception>
    public NirNode this[string name] =>
        Nodes.FirstOrDefault(n => n.Key == name).Value ?? throw new KeyNotFoundException($"the NIR graph has no node '{name}'.");

    /// <summary>The time step in ms stated in the graph metadata ("dt"), or null.</summary>
    public double? Dt => Metadata.TryGetValue(NirFile.DtKey, out var dt) && !dt.IsText && dt.Values.Length == 1 ? dt.Values[0] : null;
}
