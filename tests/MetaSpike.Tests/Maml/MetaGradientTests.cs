using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static MetaSpike.Tests.Maml.MamlFixtures;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

/// <summary>
/// The outer gradient that <see cref="MetaLearner.Step"/> leaves on the meta-parameters, against routes that do not
/// use the library's inner loop: an explicit Hessian-vector product, finite differences, and θ_n computed by hand.
/// </summary>
public sealed class MetaGradientTests
{
    private const double Alpha = 0.5;

    private static readonly InnerLoopSettings OneStep = new() { Steps = 1, LearningRate = Alpha };

    /// <summary>Runs one meta-step and returns θ_0 and the meta-gradient left on the parameters.</summary>
    private static (Tensor[] Start, Tensor[] MetaGradient, MetaLearner Learner) OneMetaStep(FewShotNetwork network, TaskData task, MetaTrainingSettings settings) =>
        OneMetaStep(network, [task], settings);

    private static (Tensor[] Start, Tensor[] MetaGradient, MetaLearner Learner) OneMetaStep(FewShotNetwork network, TaskData[] tasks, MetaTrainingSettings settings)
    {
        var start = Leaves(network);
        var learner = new MetaLearner(network, settings);
        learner.Step(tasks);
        var gradient = MetaGradients(network);
        // Plain SGD with rate 1: the update is exactly minus the gradient.
        var after = FunctionalCall.Parameters(network);
        for (int i = 0; i < start.Length; i++)
            TensorAssert.Close(0, (start[i] - gradient[i] - after[i]).abs().max().ToDouble(), 0, 1e-14, $"update of parameter {i}");
        return (start, gradient, learner);
    }

    [Fact]
    public void Second_order_meta_gradient_equals_the_hessian_vector_product_route()
    {
        var network = TinyDense(1);
        var task = DenseTask(1);
        var (start, meta, _) = OneMetaStep(network, task, UnitSgd(MetaAlgorithm.Maml, OneStep));

        // g_meta = (I - α H) g_q with g_q = ∇L_q(θ_1) and H v = ∇(∇L_s(θ_0) · v) (double backward).
        var (supportGradient, queryGradient) = OneStepGradients(network, task, start, createGraph: true);
        var directional = supportGradient.Zip(queryGradient, (g, v) => (g * v).sum()).Aggregate((a, b) => a + b);
        var hessianTimesQuery = Autograd.Grad([directional], start);
        var expected = queryGradient.Zip(hessianTimesQuery, (g, hv) => g - Alpha * hv).ToArray();

        AllClose(expected, meta, 1e-8, "second-order meta-gradient");
        // The second-order term is a large part of it here, so the comparison could not pass with H = 0.
        double secondOrder = hessianTimesQuery.Max(t => t.abs().max().ToDouble()) * Alpha;
        double firstOrder = queryGradient.Max(t => t.abs().max().ToDouble());
        Assert.True(secondOrder > 0.5 * firstOrder, $"α H g_q ({secondOrder:E3}) is small against g_q ({firstOrder:E3})");
    }

    [Fact]
    public void First_order_maml_gives_the_query_gradient_at_the_adapted_parameters()
    {
        var network = TinyDense(2);
        var task = DenseTask(2);
        var (start, meta, _) = OneMetaStep(network, task, UnitSgd(MetaAlgorithm.FirstOrderMaml, OneStep));

        AllClose(OneStepGradients(network, task, start, createGraph: false).Query, meta, 1e-12, "first-order meta-gradient");
    }

    /// <summary>
    /// Central differences of L_q(θ_n(θ_0)), θ_n by n hand-written SGD steps, in every element of θ_0, for a
    /// non-spiking (ReLU) network where the loss is smooth almost everywhere: this checks the second-order
    /// meta-gradient with no autograd at all on the outer level.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Second_order_meta_gradient_matches_finite_differences_on_a_smooth_network(int innerSteps)
    {
        var network = TinyCnn(3);
        var task = ImageTask(3);
        var (start, meta, learner) = OneMetaStep(network, task, UnitSgd(MetaAlgorithm.Maml, OneStep with { Steps = innerSteps }));
        AssertFiniteDifferences(network, task, start, meta, learner.Inner.Adapts, Enumerable.Range(0, start.Length), innerSteps);
        if (innerSteps > 1) return;

        // Where the network is smooth, the exact meta-gradient is not the first-order one.
        var firstOrder = OneStepGradients(network, task, start, createGraph: false).Query;
        double gap = meta.Zip(firstOrder, (a, b) => (a - b).abs().max().ToDouble()).Max();
        Assert.True(gap > 1e-3, $"second- and first-order meta-gradients differ by only {gap:E3}");
    }

    /// <summary>
    /// For an SNN the loss is piecewise constant in the weights before a spiking layer (a small change flips no
    /// spike, so finite differences there are zero while the surrogate gradient is not); finite differences are
    /// meaningful for the head, which acts on the spikes linearly. With the body frozen in the inner loop,
    /// L_q(θ_1(θ_0)) is smooth in the head's θ_0 and its derivative (through the head's exact Hessian and the readout
    /// synapse) must match.
    /// </summary>
    [Fact]
    public void Spiking_network_head_meta_gradient_matches_finite_differences()
    {
        var network = TinyDense(4);
        var task = DenseTask(4);
        var headOnly = OneStep with { FrozenLayers = 1 };
        var (start, meta, learner) = OneMetaStep(network, task, UnitSgd(MetaAlgorithm.Maml, headOnly));
        var head = Enumerable.Range(0, start.Length).Where(i => network.LayerOfParameter[i] == 1).ToArray();
        Assert.Equal(2, head.Length);
        AssertFiniteDifferences(network, task, start, meta, learner.Inner.Adapts, head, 1);
    }

    [Fact]
    public void Reptile_with_unit_outer_sgd_moves_the_meta_parameters_to_the_adapted_ones()
    {
        const int innerSteps = 3;
        var network = TinyDense(5);
        var task = DenseTask(5);
        var start = Leaves(network);
        var learner = new MetaLearner(network, UnitSgd(MetaAlgorithm.Reptile, OneStep with { Steps = innerSteps }));
        learner.Step([task]);

        var thetaN = HandSgd(network, start, task, Alpha, innerSteps);
        var after = FunctionalCall.Parameters(network);
        AllClose(thetaN, after, 1e-12, "Reptile's new θ_0 against θ_n");
        Assert.All(Enumerable.Range(0, start.Length), i => Assert.False(Identical(start[i], after[i]), $"parameter {i} did not move"));
    }

    [Fact]
    public void A_meta_batch_averages_the_tasks_meta_gradients()
    {
        var tasks = new[] { DenseTask(8), DenseTask(9) };
        var settings = UnitSgd(MetaAlgorithm.Maml, OneStep);
        var single = tasks.Select(t => OneMetaStep(TinyDense(8), t, settings).MetaGradient).ToArray();
        var batch = OneMetaStep(TinyDense(8), tasks, settings).MetaGradient;
        AllClose(single[0].Zip(single[1], (a, b) => (a + b) / 2).ToArray(), batch, 1e-12, "meta-batch of two");
    }

    /// <summary>
    /// SOEL with θ → 0 is SGD on the head, so its meta-gradient must be that of MAML with every body layer frozen:
    /// second order through the error and the head's input spikes, and for first order the update a constant
    /// (in particular no derivative through the body's features).
    /// </summary>
    [Theory]
    [InlineData(MetaAlgorithm.Maml)]
    [InlineData(MetaAlgorithm.FirstOrderMaml)]
    public void Soel_with_a_tiny_threshold_has_the_meta_gradient_of_head_only_maml(MetaAlgorithm algorithm)
    {
        var task = DenseTask(7);
        var soel = OneMetaStep(TinyDense(7), task, UnitSgd(algorithm, OneStep with { Soel = new SoelSettings(1e-9, Learn: false) })).MetaGradient;
        var headOnly = TinyDense(7);
        var (start, expected, learner) = OneMetaStep(headOnly, task, UnitSgd(algorithm, OneStep with { FrozenLayers = headOnly.LayerCount - 1 }));
        AllClose(expected, soel, 1e-6, $"{algorithm} meta-gradient with SOEL (θ = 1e-9)");
        if (algorithm == MetaAlgorithm.FirstOrderMaml)
        {
            var theta1 = HandSgd(headOnly, start, task, Alpha, 1, learner.Inner.Adapts);
            AllClose(Autograd.Grad([LossOf(headOnly, theta1, task.QueryFrames, task.QueryLabels)], theta1), soel, 1e-6, "first-order SOEL meta-gradient");
        }
    }

    /// <summary>
    /// θ_1 = θ_0 - r ⊙ ∇L_s(θ_0) with learnable r, and ∇L_s(θ_0) does not depend on r, so ∂L_q(θ_1)/∂r =
    /// -∇L_s(θ_0) ⊙ ∇L_q(θ_1), summed over the tensor for one rate per tensor.
    /// </summary>
    [Theory]
    [InlineData(InnerRateKind.PerTensor)]
    [InlineData(InnerRateKind.PerElement)]
    public void Learnable_inner_rates_receive_the_hand_derived_meta_gradient(InnerRateKind kind)
    {
        var network = TinyDense(6);
        var task = DenseTask(6);
        var (start, _, learner) = OneMetaStep(network, task, UnitSgd(MetaAlgorithm.Maml, OneStep with { RateKind = kind }));

        var (supportGradient, queryGradient) = OneStepGradients(network, task, start, createGraph: false);
        var expected = supportGradient.Zip(queryGradient, (g, q) => kind == InnerRateKind.PerTensor ? -(g * q).sum() : -(g * q)).ToArray();

        var rateGradients = learner.Rates.parameters().Select(r => r.grad ?? throw new Xunit.Sdk.XunitException("a rate has no gradient")).ToArray();
        AllClose(expected, rateGradients, 1e-10, $"{kind} rate gradients");
        Assert.All(rateGradients, g => Assert.True(g.abs().max().ToDouble() > 0, "a rate's gradient is zero"));
    }

    /// <summary>∇L_s(θ_0) (kept differentiable with <paramref name="createGraph"/>) and ∇L_q(θ_1) at θ_1 = θ_0 - α ∇L_s(θ_0), both by hand.</summary>
    private static (Tensor[] Support, Tensor[] Query) OneStepGradients(FewShotNetwork network, TaskData task, Tensor[] start, bool createGraph)
    {
        var support = Autograd.Grad([LossOf(network, start, task.SupportFrames, task.SupportLabels)], start, createGraph: createGraph);
        var theta1 = start.Zip(support, (p, g) => (p - Alpha * g).detach().requires_grad_(true)).ToArray();
        return (support, Autograd.Grad([LossOf(network, theta1, task.QueryFrames, task.QueryLabels)], theta1));
    }

    private static void AssertFiniteDifferences(FewShotNetwork network, TaskData task, Tensor[] start, Tensor[] meta, IReadOnlyList<bool> adapts,
        IEnumerable<int> tensors, int innerSteps)
    {
        const double h = 1e-5;
        double Outer(Tensor[] theta0)
        {
            var thetaN = HandSgd(network, theta0.Select(p => p.requires_grad_(true)).ToArray(), task, Alpha, innerSteps, adapts);
            using var _ = no_grad();
            return LossOf(network, thetaN, task.QueryFrames, task.QueryLabels).ToDouble();
        }
        Tensor[] Shifted(int tensor, long element, double by)
        {
            var copy = start.Select(p => p.detach().clone()).ToArray();
            using (no_grad()) copy[tensor].view(-1)[element] += by;
            return copy;
        }
        int nonzero = 0;
        foreach (int i in tensors)
        {
            var analytic = TensorAssert.Values(meta[i]);
            for (long e = 0; e < analytic.Length; e++)
            {
                double fd = (Outer(Shifted(i, e, h)) - Outer(Shifted(i, e, -h))) / (2 * h);
                TensorAssert.Close(fd, analytic[e], 1e-6, 1e-8, $"meta-gradient of parameter {i} element {e}");
                if (Math.Abs(fd) > 1e-3) nonzero++;
            }
        }
        Assert.True(nonzero >= 5, $"only {nonzero} elements have a meta-gradient above 1e-3");
    }
}
