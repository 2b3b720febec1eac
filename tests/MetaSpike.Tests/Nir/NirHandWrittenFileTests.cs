using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Nir;
using MetaSpike.Tests.Data.Readers;
using PureHDF;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Nir;

public sealed class NirHandWrittenFileTests : IDisposable
{
    private readonly TempFolder _folder = new("nir-hand");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Input_affine_lif_output_runs_three_steps_as_worked_out_by_hand()
    {
        // tau = 1/ln 2 ms with dt = 1 ms gives beta = 1/2; r = 4 gives the input gain (1 - beta) r = 2; threshold 0.9.
        double tau = 1 / Math.Log(2);
        var path = _folder.File("hand.nir");
        new H5File
        {
            ["version"] = "1.0.7",
            ["node"] = new H5Group
            {
                ["type"] = "NIRGraph",
                ["nodes"] = new H5Group
                {
                    ["in"] = new H5Group { ["type"] = "Input", ["shape"] = new long[] { 2 } },
                    ["fc"] = new H5Group { ["type"] = "Affine", ["weight"] = new float[,] { { 0.5f, 0.25f }, { -1f, 1f } }, ["bias"] = new float[] { 0f, 0.1f } },
                    ["lif"] = new H5Group
                    {
                        ["type"] = "LIF", ["tau"] = new[] { tau, tau }, ["r"] = new[] { 4.0, 4.0 }, ["v_leak"] = new[] { 0.0, 0.0 },
                        ["v_threshold"] = new[] { 0.9, 0.9 }, ["v_reset"] = new[] { 0.0, 0.0 },
                    },
                    ["out"] = new H5Group { ["type"] = "Output", ["shape"] = new long[] { 2 } },
                },
                ["edges"] = new string[,] { { "in", "fc" }, { "fc", "lif" }, { "lif", "out" } },
                ["metadata"] = new H5Group { ["dt"] = 1.0 },
            },
        }.Write(path);

        var imported = NirImport.Load(path);
        Assert.Equal(["Input", "Affine", "LIF", "Output"], imported.Nodes.Select(n => n.Type));
        // I = W x + b: [0.5, -0.9], [0.25, 1.1], [0.75, 0.1].
        // v = v/2 + 2 I, then a neuron that spiked at the previous step is reset to 0, then spike if v >= 0.9:
        // t1 v = [1, -1.8] -> s = [1, 0]; t2 v = [1, 1.3], reset [0, 1.3] -> s = [0, 1]; t3 v = [1.5, 0.85], reset [1.5, 0] -> s = [1, 0].
        var input = tensor(new float[] { 1, 0, 0, 1, 1, 1 }, [3, 1, 2]);
        imported.Model.ResetState(1);
        var spikes = imported.Model.forward(input);
        Assert.Equal(new float[] { 1, 0, 0, 1, 1, 0 }, spikes.data<float>().ToArray());
        var v = ((Lif)imported.Model.Layers[1]).State("V")!;
        TensorAssert.Close(1.5, v[0, 0].ToDouble(), 1e-6, 1e-6, "V[0] after three steps");
        Assert.Equal(0.0, v[0, 1].ToDouble());
    }
}
