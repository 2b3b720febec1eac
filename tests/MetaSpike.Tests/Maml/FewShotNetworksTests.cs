using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

[Collection(GlobalRandomCollection.Name)]
public sealed class FewShotNetworksTests
{
    /// <summary>Three "same" convolutions and 2 x 2 pools: 16 x 32 → 2 x 4 with 128 filters; 26 x 34 → 3 x 4 (floors) with 64.</summary>
    [Theory]
    [InlineData(2, 16, 32, null, 128 * 2 * 4)]
    [InlineData(2, 26, 34, new[] { 16, 32, 64 }, 64 * 3 * 4)]
    public void Stewart_neftci_conv_sizes_its_head_from_the_input(int channels, int height, int width, int[]? filters, int features)
    {
        manual_seed(30);
        var network = FewShotNetworks.StewartNeftciConv(channels, height, width, 5, filters, gradientWindow: 2);
        Assert.Equal(features, network.Head.InFeatures);
        Assert.Equal(5, network.Ways);
        // And the sizes hold when it runs: features [window, batch, F], logits [batch, ways].
        using var _ = no_grad();
        var frames = zeros([3, 2, channels, height, width]);
        Assert.Equal([2L, 2, features], network.Features(frames).shape);
        Assert.Equal([2L, 5], network.forward(frames).shape);
    }

    [Fact]
    public void Layer_indices_group_each_convolution_with_its_neurons_bias_and_put_the_head_last()
    {
        manual_seed(31);
        var network = FewShotNetworks.StewartNeftciConv(2, 16, 32, 5, [4, 4, 4], kernel: 3);
        Assert.Equal(
            ["body.0.weight", "body.2.bias", "body.3.weight", "body.5.bias", "body.6.weight", "body.8.bias", "head.weight", "head.bias"],
            FunctionalCall.ParameterNames(network));
        Assert.IsType<StewartNeftciNeuron>(network.Body.Layers[2]);
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], network.LayerOfParameter);
        Assert.Equal(4, network.LayerCount);

        var cnn = FewShotNetworks.EventCountCnn(2, 16, 32, 5, [4, 4]);
        Assert.Equal([0, 0, 1, 1, 2, 2], cnn.LayerOfParameter);
        var dense = FewShotNetworks.Dense(12, 5, hidden: 8);
        Assert.Equal([0, 0, 1, 1], dense.LayerOfParameter);
        Assert.Equal(2, dense.LayerCount);
    }

    /// <summary>
    /// After activity initialisation each spiking layer, run on the batch it was set on, fires at the target rate
    /// (measured here by running the body step by step, not by the initialiser's own report).
    /// </summary>
    [Fact]
    public void Activity_initialisation_sets_each_spiking_layer_to_the_target_rate()
    {
        const double target = 0.1;
        manual_seed(32);
        var network = FewShotNetworks.StewartNeftciConv(2, 8, 8, 3, [4, 8], kernel: 3, gradientWindow: 10, inputGain: 2.0);
        using var generator = new Generator(32);
        var frames = (rand([10, 4, 2, 8, 8], generator: generator) < 0.2).to(float32);
        var reported = ActivityInitialization.Apply(network, frames, target);

        Assert.Equal(2, reported.Count);
        var measured = SpikeRates(network, frames);
        Assert.Equal(2, measured.Count);
        for (int i = 0; i < measured.Count; i++)
        {
            TensorAssert.Close(target, measured[i], 0.1, 0, $"rate of spiking layer {i}");
            TensorAssert.Close(reported[i], measured[i], 1e-6, 0, $"reported rate of spiking layer {i}");
        }
    }

    private static List<double> SpikeRates(FewShotNetwork network, Tensor frames)
    {
        using var _ = no_grad();
        network.Body.SetStepMode(StepMode.Multi);
        network.Body.ResetState(frames.shape[1]);
        var rates = new List<double>();
        var x = frames * network.InputGain;
        foreach (var layer in network.Body.Layers)
        {
            x = layer.forward(x);
            if (layer is StewartNeftciNeuron) rates.Add(x.mean().ToDouble());
        }
        return rates;
    }
}
