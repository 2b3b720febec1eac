using System.Diagnostics;
using MetaSpike.Encoders;
using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Runtime;
using MetaSpike.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Bench.Workloads;

/// <summary>
/// Workload (a) of spec/workloads.md, the tutorial training step: Poisson input (p = 0.005) [100, 128, 100] →
/// Linear(100, H) → exponential synapse (10 ms) → LIF (20 ms, threshold 1, reset to 0 one step after the spike,
/// detached, fast sigmoid k = 25) → Linear(H, 2) → exponential-synapse readout → mean over the 100 steps → softmax
/// cross-entropy with random binary labels; one step = zero grad + forward + loss + BPTT + Adam (lr 3e-3).
/// </summary>
internal static class TutorialWorkload
{
    /// <summary>Simulation steps.</summary>
    public const int Steps = 100;

    /// <summary>Samples per batch.</summary>
    public const int Batch = 128;

    /// <summary>Input channels.</summary>
    public const int Inputs = 100;

    /// <summary>Classes (random binary labels).</summary>
    public const int Outputs = 2;

    /// <summary>Pre-generated batches, cycled.</summary>
    public const int Batches = 4;

    /// <summary>Adam's learning rate.</summary>
    public const double LearningRate = 3e-3;

    /// <summary>The hidden sizes of the spec: 4 (the brainstate tutorial) and 128.</summary>
    public static IReadOnlyList<int> HiddenSizes { get; } = [4, 128];

    /// <summary>The network: Linear(100, H), Expon, LIF, Linear(H, 2), Expon readout.</summary>
    public static Sequential CreateNetwork(int hidden) =>
        new(new Linear(Inputs, hidden), new Expon(hidden, 10.0), new Lif(hidden, tau: 20.0, input: InputKind.VoltageJump),
            new Linear(hidden, Outputs), new Expon(Outputs, 10.0));

    /// <summary>The <see cref="Batches"/> input batches [100, 128, 100] and labels [128], from torch's generator seeded from <paramref name="seed"/>.</summary>
    public static (Tensor[] Inputs, Tensor[] Labels) CreateBatches(long seed)
    {
        manual_seed(seed);
        var inputs = Enumerable.Range(0, Batches).Select(_ => PoissonEncoder.Constant(Steps, [Batch, Inputs], rate: 5.0, dt: 1.0)).ToArray();
        var labels = Enumerable.Range(0, Batches).Select(_ => randint(0, Outputs, [Batch], dtype: ScalarType.Int64)).ToArray();
        return (inputs, labels);
    }

    /// <summary>One network and its Adam optimiser (both fused or neither), from weights seeded by <paramref name="seed"/> (same seed, same weights).</summary>
    public sealed class TrainingPath
    {
        private readonly Sequential _net;
        private readonly optim.Optimizer _adam;

        /// <summary>Creates the network (its neuron and Linear layers fused when <paramref name="fused"/>) and its optimiser (a <see cref="FusedAdam"/> when fused).</summary>
        public TrainingPath(int hidden, bool fused, long seed)
        {
            manual_seed(seed);
            _net = CreateNetwork(hidden);
            if (fused && _net.SetFused(true) != 5) throw new InvalidOperationException("the workload's neuron and Linear layers did not all fuse.");
            // The fused path's Adam updates each parameter in one pass (same steps as torch's Adam, tested).
            _adam = fused ? new FusedAdam(_net.parameters(), lr: LearningRate) : optim.Adam(_net.parameters(), lr: LearningRate);
        }

        /// <summary>The loss of the last step (a sanity check that both paths train alike).</summary>
        public double LastLoss { get; private set; }

        /// <summary>One timed training step (zero grad, forward, loss, backward, Adam); returns milliseconds.</summary>
        public double Step(Tensor input, Tensor labels)
        {
            using var scope = NewDisposeScope();
            long start = Stopwatch.GetTimestamp();
            _adam.zero_grad();
            _net.ResetState(Batch);
            var readout = _net.forward(input);
            var loss = nn.functional.cross_entropy(readout.mean([0]), labels);
            loss.backward();
            _adam.step();
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            LastLoss = loss.ToDouble();
            return ms;
        }
    }
}
