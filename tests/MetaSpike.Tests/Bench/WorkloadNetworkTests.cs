using MetaSpike.Bench.Workloads;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Bench;

/// <summary>The benchmark networks of spec/workloads.md: shapes, FLOP accounting, and fused = unfused on the same seed.</summary>
[Collection(GlobalRandomCollection.Name)]
public class WorkloadNetworkTests
{
    [Fact]
    public void Conv_network_of_workload_c_gives_five_logits_and_the_same_with_the_fused_kernels()
    {
        manual_seed(Seeds.Mix(7, 1));
        using var frames = ConvWorkload.Frames(2);
        Assert.Equal([100L, 2, 2, 32, 16], frames.shape);
        using var logits = Logits(fused: false, frames);
        using var fusedLogits = Logits(fused: true, frames);

        Assert.Equal([2L, 5], logits.shape);
        var (expected, actual) = (TensorAssert.Values(logits), TensorAssert.Values(fusedLogits));
        for (int i = 0; i < expected.Length; i++) TensorAssert.Close(expected[i], actual[i], 1e-5, 1e-6, $"logit {i}");
    }

    [Fact]
    public void Conv_flops_cover_the_forward_and_the_windowed_backward()
    {
        const double perStep = 27_863_040, firstConv = 1_638_400;
        Assert.Equal(perStep * 100 * 5, ConvWorkload.ForwardFlops(5));
        // Backward over the last 30 steps: weight gradients of every layer, input gradients of all but the first.
        Assert.Equal(perStep * 100 * 75 + (2 * perStep - firstConv) * 30 * 75, ConvWorkload.TrainingFlops(75));
    }

    [Fact]
    public void Tutorial_network_maps_100_inputs_to_2_readouts_per_step_and_fuses_all_three_neuron_layers()
    {
        manual_seed(Seeds.Mix(7, 2));
        var (inputs, labels) = TutorialWorkload.CreateBatches(Seeds.Mix(7, 3));
        Assert.Equal(TutorialWorkload.Batches, inputs.Length);
        Assert.Equal([100L, 128, 100], inputs[0].shape);
        Assert.Equal([128L], labels[0].shape);
        var net = TutorialWorkload.CreateNetwork(4);
        net.ResetState(128);
        using var readout = net.forward(inputs[0]);
        Assert.Equal([100L, 128, 2], readout.shape);
        Assert.Equal(5, net.SetFused(true)); // three neuron layers and the two Linear layers
    }

    private static Tensor Logits(bool fused, Tensor frames)
    {
        manual_seed(Seeds.Mix(7, 4));
        using var network = ConvWorkload.CreateNetwork();
        Assert.Equal(fused ? 13 : 0, network.SetFused(fused)); // six neuron layers, three convolutions, three max-pool layers and the head
        using var _ = no_grad();
        return network.forward(frames);
    }
}
