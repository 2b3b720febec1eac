using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>
/// Layer-sequential initialisation to a target firing activity (Stewart and Neftci 2022, after LSUV, Mishkin and
/// Matas 2016): going from the input up, each convolution or linear layer's weights are scaled so that the spiking
/// layer after it fires at <c>targetRate</c> spikes per neuron and step on a sample batch, the layers below being
/// already set. The scale is found by bisection on its logarithm (firing grows with the scale).
/// </summary>
public static class ActivityInitialization
{
    /// <summary>Scales the weights of <paramref name="network"/>'s body in place and returns each spiking layer's rate after scaling.</summary>
    /// <param name="network">A spiking network.</param>
    /// <param name="frames">A sample batch [T, batch, ...] (e.g. one task's query set).</param>
    /// <param name="targetRate">Spikes per neuron and step, in (0, 1) (default 0.05).</param>
    /// <param name="iterations">Bisection steps per layer (default 14: the scale to within about 1 %).</param>
    /// <exception cref="ArgumentException">The network is not spiking, or the rate or iterations are out of range.</exception>
    public static IReadOnlyList<double> Apply(FewShotNetwork network, Tensor frames, double targetRate = 0.05, int iterations = 14)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(frames);
        if (network.Kind != FewShotInput.Spiking) throw new ArgumentException("activity initialisation needs a spiking network.", nameof(network));
        if (!(targetRate > 0 && targetRate < 1)) throw new ArgumentException($"the target rate must be in (0, 1), got {targetRate}.", nameof(targetRate));
        if (iterations < 1) throw new ArgumentException($"iterations must be at least 1, got {iterations}.", nameof(iterations));
        using var _ = no_grad();
        var layers = network.Body.Layers;
        var rates = new List<double>();
        var x = network.InputGain == 1.0 ? frames : frames * network.InputGain;
        int stageStart = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not NeuronLayer { StateNames: var states } || !states.Contains("spike")) continue;
            var weighted = Enumerable.Range(stageStart, i - stageStart + 1).Select(j => layers[j]).ToArray();
            var weightLayer = weighted.OfType<SpikingModule>().FirstOrDefault(l => l is Conv2d or Layers.Linear);
            if (weightLayer is null)
            {
                using (var scope = NewDisposeScope()) x = RunStage(weighted, x).MoveToOuterDisposeScope();
                stageStart = i + 1;
                continue;
            }
            var weight = weightLayer.get_parameter("weight")!;
            var original = weight.detach().clone();
            double low = Math.Log(1e-3), high = Math.Log(1e3);
            for (int it = 0; it < iterations; it++)
            {
                double mid = 0.5 * (low + high);
                using var scope = NewDisposeScope();
                weight.copy_(original * Math.Exp(mid));
                double rate = RunStage(weighted, x).mean().ToDouble();
                if (rate > targetRate) high = mid; else low = mid;
            }
            weight.copy_(original * Math.Exp(0.5 * (low + high)));
            using (var scope = NewDisposeScope()) x = RunStage(weighted, x).MoveToOuterDisposeScope();
            rates.Add(x.mean().ToDouble());
            stageStart = i + 1;
        }
        return rates;
    }

    private static Tensor RunStage(IReadOnlyList<nn.Module<Tensor, Tensor>> stage, Tensor x)
    {
        foreach (var layer in stage)
        {
            layer.ResetState(x.shape[1]);
            layer.SetStepMode(StepMode.Multi);
            x = layer.forward(x);
        }
        return x;
    }
}
