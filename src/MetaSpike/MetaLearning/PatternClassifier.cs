using MetaSpike.Layers;
using MetaSpike.Losses;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>
/// The spiking classifier of the surrogate meta-learning scenarios: Linear → LIF for each hidden layer, then Linear →
/// leaky readout; the logits are the readout's time average. LIF: tau 10 ms, threshold 1, soft reset, input as voltage
/// jumps (snntorch's Leaky), each layer with its own surrogate.
/// </summary>
internal sealed class PatternClassifier
{
    /// <summary>Builds the network from torch's global generator; <paramref name="surrogate"/> gives layer i's spike function.</summary>
    public PatternClassifier(int inputs, IReadOnlyList<int> hidden, int classes, Func<int, SurrogateFunction> surrogate, double weightScale)
    {
        if (hidden.Count == 0 || hidden.Any(h => h < 1))
            throw new ArgumentException($"every hidden layer needs at least one neuron, got [{string.Join(", ", hidden)}].", nameof(hidden));
        var layers = new List<nn.Module<Tensor, Tensor>>();
        var spiking = new List<Lif>();
        int width = inputs;
        for (int i = 0; i < hidden.Count; i++)
        {
            layers.Add(new Linear(width, hidden[i], weightInit: Init.KaimingNormal(weightScale), biasInit: Init.Zeros));
            var lif = new Lif(hidden[i], tau: 10, vThreshold: 1, surrogate: surrogate(i), reset: ResetMode.Subtract, input: InputKind.VoltageJump);
            layers.Add(lif);
            spiking.Add(lif);
            width = hidden[i];
        }
        layers.Add(new Linear(width, classes, weightInit: Init.KaimingNormal(1.0), biasInit: Init.Zeros));
        layers.Add(new LeakyReadout(classes, tau: 10, input: InputKind.VoltageJump));
        Network = new Sequential([.. layers]);
        Network.SetDt(1.0);
        SpikingLayers = spiking;
    }

    /// <summary>The network.</summary>
    public Sequential Network { get; }

    /// <summary>The LIF layers, in order.</summary>
    public IReadOnlyList<Lif> SpikingLayers { get; }

    /// <summary>The trainable weights and biases (surrogate hyperparameters are not among them).</summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> Weights => Network.parameters().ToArray();

    /// <summary>Logits [batch, classes]: the readout's average over time.</summary>
    public Tensor Logits(Tensor inputs) => Simulator.Run(Network, inputs).mean([0]);

    /// <summary>Accuracy on a whole set, without a gradient graph.</summary>
    public double Accuracy(Tensor inputs, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return Metrics.Accuracy(Logits(inputs), labels);
    }

    /// <summary>A mini-batch order over <paramref name="samples"/> samples: a new permutation each epoch, from <paramref name="seed"/> alone.</summary>
    public static IEnumerable<long[]> Batches(int samples, int batchSize, int seed)
    {
        batchSize = Math.Clamp(batchSize, 1, samples);
        var rng = new Random(seed);
        var order = Enumerable.Range(0, samples).Select(i => (long)i).ToArray();
        while (true)
        {
            rng.Shuffle(order);
            for (int start = 0; start + batchSize <= samples; start += batchSize)
                yield return order[start..(start + batchSize)];
        }
    }
}
