using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using TorchSharp;
using static MetaSpike.Tests.Maml.MamlFixtures;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// Second-order MAML through the fused kernels: one meta-step of <see cref="MetaLearner"/> (two inner SGD steps with
/// create_graph, the query loss at the adapted weights, its gradient in the initial weights) on tiny float64 few-shot
/// networks built with <c>fused: true</c> leaves the same meta-gradient as on the unfused networks.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class FusedFewShotTests
{
    private static readonly MetaTrainingSettings TwoInnerSteps = UnitSgd(MetaAlgorithm.Maml, new InnerLoopSettings { Steps = 2, LearningRate = 0.5 });

    [Theory]
    [InlineData("conv", Steps)]
    [InlineData("conv", 4)]
    [InlineData("dense", Steps)]
    [InlineData("dense", 3)]
    public void Second_order_meta_gradient_is_the_same_fused_and_unfused(string kind, int gradientWindow)
    {
        var task = kind == "conv" ? ImageTask(5) : DenseTask(5);
        FewShotNetwork Create(bool fused) => kind == "conv" ? TinyConv(5, fused, gradientWindow) : TinyDense(5, fused, gradientWindow);
        var gradients = new[] { false, true }.Select(fused =>
        {
            var network = Create(fused);
            var fusable = network.Descendants().OfType<IFusable>().ToArray();
            Assert.NotEmpty(fusable);
            Assert.All(fusable, layer => Assert.Equal(fused, layer.Fused));
            if (kind == "conv")
            {
                // Not vacuous: some neuron spikes (the reset trace moved), so the reset kernel matters.
                using (torch.no_grad()) network.forward(task.QueryFrames);
                Assert.Contains(network.Descendants().OfType<StewartNeftciNeuron>(), n => n.State("R")!.abs().sum().ToDouble() > 0);
            }
            new MetaLearner(network, TwoInnerSteps).Step([task]);
            return MetaGradients(network);
        }).ToArray();
        AllClose(gradients[0], gradients[1], 1e-10, $"{kind} meta-gradient, window {gradientWindow}");
        Assert.All(gradients[0].SkipLast(kind == "dense" ? 0 : 1), g => Assert.True(g.abs().sum().ToDouble() > 0, "a meta-gradient is all zeros"));
    }
}
