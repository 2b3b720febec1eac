using MetaSpike.Layers;
using MetaSpike.Neurons;
using MetaSpike.Nir;
using MetaSpike.Tests.Data.Readers;

namespace MetaSpike.Tests.Nir;

public sealed class NirErrorTests : IDisposable
{
    private readonly TempFolder _folder = new("nir-errors");

    public void Dispose() => _folder.Dispose();

    private static NirGraph Graph() => NirExport.ToGraph(new Sequential(new Linear(3, 2), new Lif(2)));

    private static NirGraph Replace(NirGraph graph, string name, NirNode node) =>
        graph with { Nodes = graph.Nodes.Select(n => n.Key == name ? new KeyValuePair<string, NirNode>(name, node) : n).ToList() };

    private static string ImportError(NirGraph graph) =>
        Assert.Throws<InvalidDataException>(() => NirImport.ToModel(graph)).Message;

    [Fact]
    public void Unknown_node_type_is_named()
    {
        var graph = Replace(Graph(), "1", new NirNode("Quantum", new Dictionary<string, NirArray>()));
        var message = ImportError(graph);
        Assert.Contains("node '1' has unknown type 'Quantum'", message);
        Assert.Contains("supported: Input", message);
    }

    [Fact]
    public void Missing_parameter_is_named()
    {
        var graph = Graph();
        var lif = graph["1"];
        var parameters = lif.Parameters.Where(p => p.Key != "tau").ToDictionary();
        Assert.Contains("node '1' (LIF) is missing parameter 'tau'", ImportError(Replace(graph, "1", lif with { Parameters = parameters })));
    }

    [Fact]
    public void Shape_mismatch_along_an_edge_is_named()
    {
        var graph = Graph();
        var output = new NirNode("Output", new Dictionary<string, NirArray> { ["shape"] = NirArray.Integers(5) });
        Assert.Contains("shape mismatch at node 'output' (Output): it expects [5] but the edge into it carries [2]", ImportError(Replace(graph, "output", output)));
    }

    [Fact]
    public void A_cycle_other_than_recurrent_weights_is_refused()
    {
        var graph = Graph();
        var cyclic = graph with { Edges = [.. graph.Edges, new NirEdge("1", "0")] };
        var message = ImportError(cyclic);
        Assert.Contains("cycle", message);
        Assert.Contains("0 -> 1 -> 0", message);
    }

    [Fact]
    public void Branches_edges_to_missing_nodes_and_a_missing_dt_are_refused()
    {
        var graph = Graph();
        Assert.Contains("names node 'ghost'", ImportError(graph with { Edges = [.. graph.Edges, new NirEdge("1", "ghost")] }));
        Assert.Contains("feeds 2 nodes", ImportError(graph with { Edges = [.. graph.Edges, new NirEdge("input", "1")] }));
        Assert.Contains("states no time step", ImportError(graph with { Metadata = new Dictionary<string, NirArray>() }));
        var differing = graph["1"].Parameters.ToDictionary();
        differing["tau"] = new NirArray([2], [10, 20], NirElementType.Float64);
        Assert.Contains("'tau' differs between neurons", ImportError(Replace(graph, "1", graph["1"] with { Parameters = differing })));
    }

    [Fact]
    public void Missing_and_non_hdf5_files_get_clear_errors()
    {
        Assert.Throws<FileNotFoundException>(() => NirFile.Read(_folder.File("absent.nir")));
        var text = _folder.File("text.nir");
        File.WriteAllText(text, "this is not HDF5");
        Assert.Contains("not an HDF5 file", Assert.Throws<InvalidDataException>(() => NirFile.Read(text)).Message);
    }

    [Fact]
    public void Export_lists_every_part_nir_cannot_express()
    {
        var model = new Sequential(new Conv2d(1, 2, 3), new MaxPool2d(2), new Relu(), new Flatten(), new Linear(8, 2), new Lif(2, reset: ResetMode.Subtract), new Alif(2));
        var message = Assert.Throws<NotSupportedException>(() => NirExport.ToGraph(model, new NirExportOptions { InputShape = [1, 4, 4] })).Message;
        Assert.Contains("layer '1' (MaxPool2d)", message);
        Assert.Contains("layer '2' (Relu)", message);
        Assert.Contains("layer '5' (Lif): reset mode Subtract", message);
        Assert.Contains("layer '6' (Alif)", message);
        Assert.Contains("4 part(s)", message);
    }
}
