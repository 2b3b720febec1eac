using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Nir;
using MetaSpike.Tests.Data.Readers;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Nir;

[Collection(GlobalRandomCollection.Name)]
public sealed class NirRoundTripTests : IDisposable
{
    private readonly TempFolder _folder = new("nir");

    public void Dispose() => _folder.Dispose();

    /// <summary>Exports, writes, reads and imports <paramref name="model"/>, and checks both give the same outputs bit for bit.</summary>
    private NirImportResult RoundTrip(Sequential model, long[] inputShape, NirExportOptions? options = null, double rate = 0.3)
    {
        var graph = NirExport.ToGraph(model, (options ?? new NirExportOptions()) with { InputShape = inputShape });
        var path = _folder.File("model.nir");
        NirFile.Write(graph, path);
        var imported = NirImport.Load(path);
        Assert.Equal(inputShape, imported.InputShape);

        manual_seed(5);
        using var scope = NewDisposeScope();
        var input = rand([8, 3, .. inputShape]).lt(rate).to_type(float32) * 2.5;
        model.ResetState(3);
        imported.Model.ResetState(3);
        var expected = model.forward(input);
        var actual = imported.Model.forward(input);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.eq(actual).all().ToBoolean(), "the imported model's outputs differ from the original's");
        return imported;
    }

    [Fact]
    public void Linear_lif_chain_with_leaky_readout_gives_identical_outputs()
    {
        manual_seed(1);
        var model = new Sequential(
            new Linear(6, 5), new Lif(5, tau: 5, vRest: 0.1, vReset: -0.2, vThreshold: 0.8, resistance: 3),
            new Linear(5, 4, bias: false), new Lif(4, tau: 8, input: InputKind.VoltageJump),
            new Linear(4, 3), new LeakyReadout(3, tau: 12, resistance: 2));
        var imported = RoundTrip(model, [6]);
        Assert.Equal(["Input", "Affine", "LIF", "Linear", "LIF", "Affine", "LI", "Output"], imported.Nodes.Select(n => n.Type));
        var layers = imported.Model.Layers;
        Assert.Equal(InputKind.Current, ((Lif)layers[1]).Input);
        Assert.Equal(InputKind.VoltageJump, ((Lif)layers[3]).Input);
        Assert.False(((Linear)layers[2]).HasBias);
        Assert.IsType<LeakyReadout>(layers[5]);
    }

    [Fact]
    public void Lif_spikes_match_and_happen()
    {
        manual_seed(2);
        var model = new Sequential(new Linear(10, 7, weightInit: Init.Uniform(0, 1)), new Lif(7, tau: 4));
        RoundTrip(model, [10]);
        using var _ = no_grad();
        model.ResetState(3);
        var spikes = model.forward(rand(8, 3, 10).lt(0.3).to_type(float32) * 2.5);
        Assert.True(spikes.sum().ToDouble() > 0, "the test input should make the LIF layer spike");
    }

    [Fact]
    public void Conv_pool_flatten_lif_gives_identical_spikes()
    {
        manual_seed(3);
        var model = new Sequential(
            new Conv2d(2, 3, 3, padding: 1, bias: false, weightInit: Init.Uniform(-0.2, 0.6)), new AvgPool2d(2), new Lif(new FeatureShape(3, 4, 4), tau: 6),
            new Flatten(), new Linear(48, 4), new Lif(4, tau: 10));
        var imported = RoundTrip(model, [2, 8, 8]);
        Assert.Equal(["Input", "Conv2d", "AvgPool2d", "LIF", "Flatten", "Affine", "LIF", "Output"], imported.Nodes.Select(n => n.Type));
        Assert.False(((Conv2d)imported.Model.Layers[0]).HasBias);
    }

    [Fact]
    public void Synapse_before_lif_becomes_cubalif_and_a_lone_synapse_becomes_li()
    {
        manual_seed(4);
        var model = new Sequential(
            new Linear(6, 5), new Expon(5, tau: 7), new Lif(5, tau: 15, reset: ResetMode.Subtract),
            new Linear(5, 2), new Expon(2, tau: 9));
        var graph = NirExport.ToGraph(model, new NirExportOptions { MetaSpikeExtensions = true });
        var cuba = graph["1+2"];
        Assert.Equal("CubaLIF", cuba.Type);
        Assert.Equal(7.0, cuba.Parameters["tau_syn"].Values[0]);
        Assert.Equal(15.0, cuba.Parameters["tau_mem"].Values[0]);
        Assert.Equal(1 / (1 - Math.Exp(-1 / 7.0)), cuba.Parameters["w_in"].Values[0], 12);
        Assert.Equal("subtract", cuba.Metadata[NirExport.ResetExtensionKey].Text);
        Assert.Equal("LI", graph["4"].Type);

        var imported = RoundTrip(model, [6], new NirExportOptions { MetaSpikeExtensions = true });
        Assert.Equal([typeof(Linear), typeof(Expon), typeof(Lif), typeof(Linear), typeof(Expon)], imported.Model.Layers.Select(l => l.GetType()));
        Assert.Equal(ResetMode.Subtract, ((Lif)imported.Model.Layers[2]).Reset);
    }

    [Fact]
    public void Recurrent_lif_is_written_as_a_cycle_and_read_back()
    {
        manual_seed(6);
        var model = new Sequential(new Linear(4, 6), new RecurrentLif(6, recurrentInit: Init.Uniform(-0.5, 0.5), tau: 5), new Linear(6, 2));
        var graph = NirExport.ToGraph(model);
        Assert.Contains(new NirEdge("1", "1.recurrent"), graph.Edges);
        Assert.Contains(new NirEdge("1.recurrent", "1"), graph.Edges);
        var imported = RoundTrip(model, [4]);
        Assert.IsType<RecurrentLif>(imported.Model.Layers[1]);
    }

    [Fact]
    public void Stated_dt_scales_time_constants_so_decays_are_unchanged()
    {
        var model = new Sequential(new Linear(3, 2), new Lif(2, tau: 20));
        model.SetDt(0.5);
        var graph = NirExport.ToGraph(model, new NirExportOptions { Dt = 2.0 });
        Assert.Equal(2.0, graph.Dt);
        Assert.Equal(80.0, graph["1"].Parameters["tau"].Values[0]);
        Assert.Equal(0.5, NirExport.ToGraph(model).Dt);
    }
}
