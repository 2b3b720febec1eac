using MetaSpike.IO;
using PureHDF;

namespace MetaSpike.Nir;

/// <summary>
/// Reads and writes NIR graphs as HDF5 files in the layout of the <c>nir</c> Python package (nir/serialization.py):
/// a root dataset <c>version</c>; a group <c>node</c> with <c>type</c> = "NIRGraph", a sub-group <c>nodes/&lt;name&gt;</c>
/// per node (a <c>type</c> string and one dataset per parameter, optionally a <c>metadata</c> group), <c>edges</c>
/// (an N x 2 array of strings: source, target) and an optional graph <c>metadata</c> group.
/// </summary>
public static class NirFile
{
    /// <summary>The NIR version written into new files (the nir package release whose layout this follows).</summary>
    public const string FormatVersion = "1.0.7";

    /// <summary>Graph metadata key of the time step in ms.</summary>
    public const string DtKey = "dt";

    private const string MetadataKey = "metadata";
    private const string TypeKey = "type";

    /// <summary>Writes <paramref name="graph"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    /// <exception cref="ArgumentException">A node or edge is malformed (empty name, edge to a missing node).</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(NirGraph graph, string path)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var names = graph.Nodes.Select(n => n.Key).ToHashSet();
        foreach (var (name, _) in graph.Nodes)
            if (string.IsNullOrEmpty(name) || name.Contains('/'))
                throw new ArgumentException($"NIR node names must be non-empty and contain no '/', got '{name}'.", nameof(graph));
        foreach (var edge in graph.Edges)
            if (!names.Contains(edge.Source) || !names.Contains(edge.Target))
                throw new ArgumentException($"edge {edge} names a node that is not in the graph.", nameof(graph));

        var nodes = new H5Group();
        foreach (var (name, node) in graph.Nodes) nodes[name] = NodeGroup(node);
        var flatEdges = graph.Edges.SelectMany(e => new[] { e.Source, e.Target }).ToArray();
        var root = new H5Group
        {
            [TypeKey] = "NIRGraph",
            ["nodes"] = nodes,
            ["edges"] = new H5Dataset(flatEdges, fileDims: [(ulong)graph.Edges.Count, 2]),
        };
        if (graph.Metadata.Count > 0) root[MetadataKey] = Datasets(graph.Metadata);
        var file = new H5File { ["version"] = graph.Version, ["node"] = root };
        using var stream = new MemoryStream();
        file.Write(stream);
        AtomicFile.WriteAllBytes(path, stream.ToArray());
    }

    /// <summary>Reads the NIR graph in <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not HDF5, or not a NIR graph (no <c>node</c> group of type
    /// NIRGraph, no <c>nodes</c> or <c>edges</c>, a node without a type, edges not N x 2 strings); the message names the file and the problem.</exception>
    public static NirGraph Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"NIR file '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || bytes[0] != 0x89 || bytes[1] != (byte)'H' || bytes[2] != (byte)'D' || bytes[3] != (byte)'F')
            throw Bad(path, "it is not an HDF5 file (no HDF5 signature at its start)");
        try
        {
            using var file = H5File.Open(new MemoryStream(bytes, writable: false));
            if (!file.LinkExists("node") || file.Get("node") is not IH5Group root)
                throw Bad(path, "it has no 'node' group (the NIR graph)");
            var type = ReadText(root, TypeKey);
            if (type != "NIRGraph") throw Bad(path, $"its 'node' group has type '{type ?? "(none)"}', not 'NIRGraph'");
            if (!root.LinkExists("nodes") || root.Get("nodes") is not IH5Group nodesGroup) throw Bad(path, "the graph has no 'nodes' group");
            var nodes = new List<KeyValuePair<string, NirNode>>();
            foreach (var child in nodesGroup.Children())
            {
                if (child is not IH5Group group) throw Bad(path, $"'node/nodes/{child.Name}' is not a group");
                var nodeType = ReadText(group, TypeKey) ?? throw Bad(path, $"node '{child.Name}' has no 'type'");
                nodes.Add(new(child.Name, new NirNode(nodeType, ReadDatasets(group, skip: TypeKey), ReadMetadata(group))));
            }
            var version = file.LinkExists("version") ? ReadText(file, "version") ?? "" : "";
            return new NirGraph(nodes, ReadEdges(path, root), ReadMetadata(root), version);
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException))
        {
            throw Bad(path, $"it cannot be read as a NIR HDF5 file ({e.Message})", e);
        }
    }

    private static InvalidDataException Bad(string path, string problem, Exception? inner = null) =>
        new($"NIR file '{path}' is unreadable: {problem}.", inner);

    private static H5Group NodeGroup(NirNode node)
    {
        var group = Datasets(node.Parameters);
        group[TypeKey] = node.Type;
        if (node.Metadata.Count > 0) group[MetadataKey] = Datasets(node.Metadata);
        return group;
    }

    private static H5Group Datasets(IReadOnlyDictionary<string, NirArray> arrays)
    {
        var group = new H5Group();
        foreach (var (name, array) in arrays) group[name] = Dataset(array);
        return group;
    }

    private static object Dataset(NirArray array)
    {
        if (array.IsText) return array.Text ?? "";
        var dims = array.Shape.Select(d => (ulong)d).ToArray();
        object data = array.ElementType switch
        {
            NirElementType.Float32 => array.Values.Select(v => (float)v).ToArray(),
            NirElementType.Int64 => array.Values.Select(v => (long)v).ToArray(),
            _ => array.Values,
        };
        if (dims.Length > 0) return new H5Dataset(data, fileDims: dims);
        return array.ElementType switch
        {
            NirElementType.Float32 => (float)array.Values[0],
            NirElementType.Int64 => (long)array.Values[0],
            _ => array.Values[0],
        };
    }

    private static List<NirEdge> ReadEdges(string path, IH5Group root)
    {
        if (!root.LinkExists("edges") || root.Get("edges") is not IH5Dataset edges) throw Bad(path, "the graph has no 'edges' dataset");
        var dims = edges.Space.Dimensions;
        if (dims.Length == 1 && dims[0] == 0 || dims.Length == 2 && dims[0] == 0) return [];
        if (dims.Length != 2 || dims[1] != 2 || !IsText(edges.Type))
            throw Bad(path, $"'edges' must be an N x 2 array of strings, it is ({string.Join(", ", dims)}) of {edges.Type.Class}");
        var flat = edges.Read<string[]>();
        return Enumerable.Range(0, flat.Length / 2).Select(i => new NirEdge(Clean(flat[2 * i]), Clean(flat[2 * i + 1]))).ToList();
    }

    private static Dictionary<string, NirArray> ReadMetadata(IH5Group group) =>
        group.LinkExists(MetadataKey) && group.Get(MetadataKey) is IH5Group metadata ? ReadDatasets(metadata, skip: null) : [];

    /// <summary>The group's datasets that are numbers or strings (others, and sub-groups, are left out).</summary>
    private static Dictionary<string, NirArray> ReadDatasets(IH5Group group, string? skip)
    {
        var result = new Dictionary<string, NirArray>();
        foreach (var child in group.Children())
            if (child.Name != skip && child is IH5Dataset dataset && ReadArray(dataset) is { } array)
                result[child.Name] = array;
        return result;
    }

    private static NirArray? ReadArray(IH5Dataset dataset)
    {
        var shape = dataset.Space.Dimensions.Select(d => (long)d).ToArray();
        var type = dataset.Type;
        if (IsText(type))
        {
            var texts = dataset.Read<string[]>();
            return texts.Length == 1 ? NirArray.Of(Clean(texts[0])) : null;
        }
        double[]? values = (type.Class, type.Size) switch
        {
            (H5DataTypeClass.FloatingPoint, 4) => dataset.Read<float[]>().Select(v => (double)v).ToArray(),
            (H5DataTypeClass.FloatingPoint, 8) => dataset.Read<double[]>(),
            (H5DataTypeClass.FixedPoint, _) => ReadIntegers(dataset, type),
            _ => null,
        };
        if (values is null) return null;
        var elementType = type.Class == H5DataTypeClass.FixedPoint ? NirElementType.Int64
            : type.Size == 4 ? NirElementType.Float32 : NirElementType.Float64;
        return new NirArray(shape, values, elementType);
    }

    private static double[]? ReadIntegers(IH5Dataset dataset, IH5DataType type) =>
        (type.Size, type.FixedPoint.IsSigned) switch
        {
            (1, false) => dataset.Read<byte[]>().Select(v => (double)v).ToArray(),
            (1, true) => dataset.Read<sbyte[]>().Select(v => (double)v).ToArray(),
            (2, false) => dataset.Read<ushort[]>().Select(v => (double)v).ToArray(),
            (2, true) => dataset.Read<short[]>().Select(v => (double)v).ToArray(),
            (4, false) => dataset.Read<uint[]>().Select(v => (double)v).ToArray(),
            (4, true) => dataset.Read<int[]>().Select(v => (double)v).ToArray(),
            (8, false) => dataset.Read<ulong[]>().Select(v => (double)v).ToArray(),
            (8, true) => dataset.Read<long[]>().Select(v => (double)v).ToArray(),
            _ => null,
        };

    private static string? ReadText(IH5Group group, string name)
    {
        if (!group.LinkExists(name) || group.Get(name) is not IH5Dataset dataset || !IsText(dataset.Type)) return null;
        var texts = dataset.Read<string[]>();
        return texts.Length == 1 ? Clean(texts[0]) : null;
    }

    /// <summary>A fixed-length string, or a variable-length string (its base type is a string or a 1-byte character).</summary>
    private static bool IsText(IH5DataType type) =>
        type.Class == H5DataTypeClass.String
        || type.Class == H5DataTypeClass.VariableLength && type.VariableLength.BaseType is { } b
            && (b.Class == H5DataTypeClass.String || b.Class == H5DataTypeClass.FixedPoint && b.Size == 1);

    private static string Clean(string? text) => (text ?? "").TrimEnd('\0');
}
