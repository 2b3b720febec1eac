using MetaSpike.Losses;
using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

/// <summary>
/// Tiny float64 networks and tasks for the MAML tests, drawn from private generators (so the tests that use them
/// do not depend on torch's global generator), and a hand-written inner loop to check the library's against.
/// </summary>
internal static class MamlFixtures
{
    public const int Steps = 6;
    public const int Ways = 3;

    /// <summary>Dense SNN 6 → 4 → 3 over 6 steps, all of them in the gradient window by default, float64, optionally fused.</summary>
    public static FewShotNetwork TinyDense(int seed, bool fused = false, int gradientWindow = Steps) =>
        Randomized(FewShotNetworks.Dense(6, Ways, hidden: 4, gradientWindow: gradientWindow, fused: fused), seed);

    /// <summary>Event-count CNN: 1 x 4 x 4 → conv 2 → pool → conv 3 → pool → 3 features → 3 classes (smooth almost everywhere).</summary>
    public static FewShotNetwork TinyCnn(int seed) => Randomized(FewShotNetworks.EventCountCnn(1, 4, 4, Ways, [2, 3], kernel: 3), seed);

    /// <summary>Spiking conv net 1 x 4 x 4 → 2 → 2 filters → 3 classes (three weight layers, the neurons' biases in the conv layers), optionally fused.</summary>
    public static FewShotNetwork TinyConv(int seed, bool fused = false, int gradientWindow = Steps) =>
        Randomized(FewShotNetworks.StewartNeftciConv(1, 4, 4, Ways, [2, 2], kernel: 3, gradientWindow: gradientWindow, inputGain: 3.0, fused: fused), seed);

    /// <summary>A 3-way task for <see cref="TinyDense"/>: one support sample per class, two queries per class, inputs in [0, 2).</summary>
    public static TaskData DenseTask(int seed) => Task(seed, [6]);

    /// <summary>A 3-way task of 1 x 4 x 4 frames for <see cref="TinyCnn"/> and <see cref="TinyConv"/>.</summary>
    public static TaskData ImageTask(int seed) => Task(seed, [1, 4, 4]);

    /// <summary>Copies of the network's current parameters as fresh leaves.</summary>
    public static Tensor[] Leaves(FewShotNetwork network) =>
        FunctionalCall.Parameters(network).Select(p => p.detach().clone().requires_grad_(true)).ToArray();

    /// <summary>Mean cross-entropy of the network run with <paramref name="parameters"/>.</summary>
    public static Tensor LossOf(FewShotNetwork network, IReadOnlyList<Tensor> parameters, Tensor frames, Tensor labels)
    {
        using var _ = FunctionalCall.Use(network, parameters);
        return Loss.CrossEntropy(network.forward(frames), labels);
    }

    /// <summary>
    /// θ_n by hand: n plain SGD steps θ - α ∇L_support(θ) on the parameters where <paramref name="adapts"/> is true
    /// (all when null), the others passed through; each θ_k a fresh leaf.
    /// </summary>
    public static Tensor[] HandSgd(FewShotNetwork network, IReadOnlyList<Tensor> start, TaskData task, double alpha, int steps,
        IReadOnlyList<bool>? adapts = null)
    {
        var theta = start.ToArray();
        for (int step = 0; step < steps; step++)
        {
            var grads = Autograd.Grad([LossOf(network, theta, task.SupportFrames, task.SupportLabels)], theta);
            theta = theta.Select((p, i) => (adapts is null || adapts[i] ? p - alpha * grads[i] : p).detach().requires_grad_(true)).ToArray();
        }
        return theta;
    }

    /// <summary>
    /// Meta-training settings whose one outer step is θ ← θ - 1 · meta-gradient (plain SGD, rate 1, no annealing),
    /// so the meta-gradient can be read off the parameters' <c>grad</c> or their change.
    /// </summary>
    public static MetaTrainingSettings UnitSgd(MetaAlgorithm algorithm, InnerLoopSettings inner) => new()
    {
        Algorithm = algorithm,
        Inner = inner,
        OuterOptimizer = OuterOptimizer.Sgd,
        OuterLearningRate = 1.0,
        FinalLearningRateFactor = 1.0,
    };

    /// <summary>The gradients the last <see cref="MetaLearner.Step"/> left on the network's parameters.</summary>
    public static Tensor[] MetaGradients(FewShotNetwork network) =>
        FunctionalCall.Parameters(network).Select(p => p.grad?.detach().clone() ?? zeros_like(p)).ToArray();

    /// <summary>Asserts that two lists of tensors agree element-wise within <paramref name="rel"/> of the largest magnitude in <paramref name="expected"/>.</summary>
    public static void AllClose(IReadOnlyList<Tensor> expected, IReadOnlyList<Tensor> actual, double rel, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        double scale = expected.Max(t => t.abs().max().ToDouble());
        Assert.True(scale > 0, $"{what}: the reference is all zeros");
        for (int i = 0; i < expected.Count; i++)
        {
            double error = (expected[i] - actual[i]).abs().max().ToDouble();
            Assert.True(error <= rel * scale, $"{what}: tensor {i} differs by {error:E3} (scale {scale:E3}, tolerance {rel * scale:E3})");
        }
    }

    /// <summary>Whether each element of two tensors is bit-identical.</summary>
    public static bool Identical(Tensor a, Tensor b) => TensorAssert.Values(a).SequenceEqual(TensorAssert.Values(b));

    private static FewShotNetwork Randomized(FewShotNetwork network, int seed)
    {
        network.to(float64);
        using var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var p in FunctionalCall.Parameters(network))
        {
            // PyTorch's default range for weights, U(±1/√fan-in); biases U(±0.5).
            double bound = p.dim() >= 2 ? 1.0 / Math.Sqrt(p.numel() / p.shape[0]) : 0.5;
            p.copy_((rand(p.shape, float64, generator: generator) * 2 - 1) * bound);
        }
        return network;
    }

    private static TaskData Task(int seed, long[] sample)
    {
        using var generator = new Generator((ulong)seed + 1000);
        long[] Shape(int batch) => [Steps, batch, .. sample];
        var supportLabels = arange(Ways, ScalarType.Int64);
        var queryLabels = cat([supportLabels, supportLabels]);
        return new TaskData(rand(Shape(Ways), float64, generator: generator) * 2, supportLabels,
            rand(Shape(2 * Ways), float64, generator: generator) * 2, queryLabels);
    }
}
