using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static MetaSpike.Tests.Maml.MamlFixtures;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

/// <summary>The inner loop's variants: plain SGD, thresholded updates, frozen layers and error-triggered plasticity (SOEL).</summary>
public sealed class InnerLoopTests
{
    private const double Alpha = 0.5;

    private static InnerLoop Loop(FewShotNetwork network, InnerLoopSettings settings, ErrorTriggeredPlasticity? soel = null) =>
        new(network, settings, new InnerLearningRates(network, settings.RateKind, settings.LearningRate), soel);

    [Fact]
    public void Adapt_takes_plain_sgd_steps_and_reports_each_support_loss()
    {
        var network = TinyDense(10);
        var task = DenseTask(10);
        var start = Leaves(network);
        var adapted = Loop(network, new InnerLoopSettings { Steps = 2, LearningRate = Alpha }).Adapt(start, task.SupportFrames, task.SupportLabels, 3, createGraph: false);

        AllClose(HandSgd(network, start, task, Alpha, 3), adapted.Parameters, 1e-12, "θ_3");
        Assert.Equal(3, adapted.SupportLosses.Count);
        var thetas = new[] { 0, 1, 2 }.Select(n => HandSgd(network, start, task, Alpha, n)).ToArray();
        for (int n = 0; n < 3; n++)
            TensorAssert.Close(LossOf(network, thetas[n], task.SupportFrames, task.SupportLabels).ToDouble(), adapted.SupportLosses[n], 1e-12, 0, $"support loss before step {n}");
    }

    [Fact]
    public void Thresholded_keeps_the_elements_above_the_fraction_of_the_magnitude_range()
    {
        // Magnitudes 0.1 0.5 0.3 0.05 0.9: range 0.85, 0.4 of it is 0.34, so only -0.5 and 0.9 stay.
        var update = tensor(new[] { 0.1, -0.5, 0.3, -0.05, 0.9 }, requires_grad: true);
        var kept = InnerLoop.Thresholded(update, 0.4);
        Assert.Equal([0, -0.5, 0, 0, 0.9], TensorAssert.Values(kept));
        // The mask is a constant: gradient 1 where kept, 0 elsewhere.
        Assert.Equal([0, 1, 0, 0, 1], TensorAssert.Values(Autograd.Grad(kept.sum(), update)));
        // Fraction 0 keeps every nonzero element.
        Assert.Equal([0.1, -0.5, 0.3, -0.05, 0.9], TensorAssert.Values(InnerLoop.Thresholded(update, 0)));
    }

    [Fact]
    public void Thresholded_inner_loop_applies_the_masked_update()
    {
        var network = TinyDense(11);
        var task = DenseTask(11);
        var start = Leaves(network);
        var adapted = Loop(network, new InnerLoopSettings { LearningRate = Alpha, UpdateThreshold = 0.5 }).Adapt(start, task.SupportFrames, task.SupportLabels, 1, createGraph: false);

        var gradient = Autograd.Grad([LossOf(network, start, task.SupportFrames, task.SupportLabels)], start);
        for (int i = 0; i < start.Length; i++)
        {
            var update = TensorAssert.Values(-Alpha * gradient[i]);
            var change = TensorAssert.Values(adapted.Parameters[i] - start[i]);
            double range = update.Max(Math.Abs) - update.Min(Math.Abs);
            for (int e = 0; e < update.Length; e++)
                TensorAssert.Close(Math.Abs(update[e]) > 0.5 * range ? update[e] : 0, change[e], 1e-12, 1e-15, $"parameter {i} element {e}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Frozen_layers_keep_their_parameters_and_the_others_adapt(int frozen)
    {
        var network = TinyCnn(12);
        Assert.Equal(3, network.LayerCount);
        var task = ImageTask(12);
        var start = Leaves(network);
        var loop = Loop(network, new InnerLoopSettings { LearningRate = Alpha, FrozenLayers = frozen });
        var adapted = loop.Adapt(start, task.SupportFrames, task.SupportLabels, 2, createGraph: false);

        for (int i = 0; i < start.Length; i++)
        {
            bool isFrozen = network.LayerOfParameter[i] < frozen;
            Assert.Equal(!isFrozen, loop.Adapts[i]);
            Assert.True(Identical(start[i], adapted.Parameters[i]) == isFrozen,
                $"parameter {FunctionalCall.ParameterNames(network)[i]} (layer {network.LayerOfParameter[i]}, {frozen} frozen) {(isFrozen ? "changed" : "did not change")}");
        }
    }

    /// <summary>With θ → 0 the triggered error is the exact error, so SOEL is SGD on the head alone.</summary>
    [Fact]
    public void Soel_with_a_tiny_threshold_is_sgd_on_the_head()
    {
        var network = TinyDense(13);
        var task = DenseTask(13);
        var start = Leaves(network);
        var soel = Loop(network, new InnerLoopSettings { LearningRate = Alpha, Soel = new SoelSettings(1e-9, Learn: false) }, new ErrorTriggeredPlasticity(1e-9, learnThreshold: false))
            .Adapt(start, task.SupportFrames, task.SupportLabels, 2, createGraph: false);
        var headSgd = Loop(network, new InnerLoopSettings { LearningRate = Alpha, FrozenLayers = network.LayerCount - 1 })
            .Adapt(start, task.SupportFrames, task.SupportLabels, 2, createGraph: false);

        Assert.Equal(headSgd.SupportLosses, soel.SupportLosses, (a, b) => Math.Abs(a - b) < 1e-8);
        for (int i = 0; i < start.Length; i++)
        {
            if (network.LayerOfParameter[i] < network.LayerCount - 1) Assert.True(Identical(start[i], soel.Parameters[i]), $"SOEL changed body parameter {i}");
            else Assert.False(Identical(start[i], soel.Parameters[i]), $"SOEL left head parameter {i} unchanged");
        }
        AllClose(headSgd.Parameters, soel.Parameters, 1e-8, "SOEL with θ = 1e-9 against head-only SGD");
    }

    /// <summary>
    /// The head's input is spikes (0 or 1), so with the error counted in units of θ every element of the update
    /// directions is a whole multiple of θ; the directions match the exact gradient to within θ per contributing
    /// (step, sample) pair; and d(direction)/dθ = direction / θ (the counts are constants), times dθ/d raw.
    /// </summary>
    [Fact]
    public void Soel_quantises_the_error_to_multiples_of_the_threshold_and_is_differentiable_in_it()
    {
        const double threshold = 0.002;
        var network = TinyDense(14);
        var task = DenseTask(14);
        var start = Leaves(network);
        var rule = new ErrorTriggeredPlasticity(threshold);
        var (weight, bias, _) = rule.HeadUpdates(network, start, task.SupportFrames, task.SupportLabels, g => g, g => g, createGraph: false);
        Assert.NotNull(bias);

        foreach (var (direction, name) in new[] { (weight, "weight"), (bias!, "bias") })
        {
            var counts = TensorAssert.Values(direction / threshold);
            Assert.All(counts, c => Assert.True(Math.Abs(c - Math.Round(c)) < 1e-6, $"{name} direction / θ = {c} is not whole"));
            Assert.Contains(counts, c => Math.Abs(c) >= 1);
        }
        // Exact head gradient: |Ê - E| < θ at each of T x batch outputs per class.
        int headWeight = FunctionalCall.ParameterNames(network).ToList().IndexOf("head.weight");
        var exact = Autograd.Grad([LossOf(network, start, task.SupportFrames, task.SupportLabels)], [start[headWeight], start[headWeight + 1]]);
        double pairs = Steps * task.SupportLabels.shape[0];
        Assert.True((exact[1] - bias!).abs().max().ToDouble() <= threshold * pairs, "bias direction far from the exact gradient");
        Assert.True((exact[0] - weight).abs().max().ToDouble() <= threshold * pairs, "weight direction far from the exact gradient");

        var raw = rule.parameters().Single();
        double dThetaDRaw = 1 / (1 + Math.Exp(-raw.ToDouble()));
        var derivative = Autograd.Grad(bias!.sum(), raw).ToDouble();
        Assert.NotEqual(0, derivative);
        TensorAssert.Close(bias.sum().ToDouble() / threshold * dThetaDRaw, derivative, 1e-9, 0, "d Σ bias direction / d raw");
    }

    [Fact]
    public void Second_order_maml_with_soel_learns_the_threshold()
    {
        var network = TinyDense(15);
        var learner = new MetaLearner(network, UnitSgd(MetaAlgorithm.Maml, new InnerLoopSettings { LearningRate = Alpha, Soel = new SoelSettings(0.002) }));
        learner.Step([DenseTask(15)]);
        var raw = learner.Soel!.parameters().Single();
        Assert.NotNull(raw.grad);
        Assert.NotEqual(0, raw.grad!.ToDouble());
        Assert.NotEqual(0.002, learner.Soel.Threshold, 12);
    }
}
