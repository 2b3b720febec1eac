using MetaSpike.MetaLearning;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.MetaLearning;

public class JointTrainingTests
{
    /// <summary>A small float64 task: enough for gradient checks, quick to simulate.</summary>
    private static SpikingRegressionTask SmallTask(long seed = 3) =>
        new(new SpikingRegressionOptions { Patterns = 5, TimeSteps = 40, DType = ScalarType.Float64, InitialWeightStd = 0.3, Seed = seed });

    [Fact]
    public void The_task_neuron_spikes_and_its_targets_are_reachable_spike_counts()
    {
        var task = new SpikingRegressionTask();
        Assert.Equal([100, 16, 20], task.Inputs.shape);
        var targets = TensorAssert.Values(task.Targets);
        Assert.Equal(16, targets.Length);
        Assert.All(targets, t => Assert.Equal(Math.Round(t), t));
        Assert.True(targets.Count(t => t > 0) >= 12, $"the teacher fires on too few patterns: {string.Join(",", targets)}");
        Assert.True(targets.Max() >= 10);
        // The teacher's weights reproduce the targets exactly; the initial weights are silent and the same every call.
        var neuron = task.CreateNeuron(new Sigmoid());
        using (no_grad())
        {
            Assert.Equal(targets, TensorAssert.Values(task.Simulate(task.TeacherWeights, neuron).Counts));
            Assert.Equal(0.0, task.Loss(task.Simulate(task.TeacherWeights, neuron).Counts).item<float>());
            Assert.Equal(TensorAssert.Values(task.InitialWeights()), TensorAssert.Values(task.InitialWeights()));
        }
        // Same seed, same task; another seed, other spikes.
        Assert.True(new SpikingRegressionTask().Inputs.eq(task.Inputs).all().item<bool>());
        Assert.False(new SpikingRegressionTask(new SpikingRegressionOptions { Seed = 1 }).Inputs.eq(task.Inputs).all().item<bool>());
    }

    [Fact]
    public void Basic_run_halves_the_loss_within_the_default_steps_and_keeps_alpha_positive()
    {
        var task = new SpikingRegressionTask(new SpikingRegressionOptions { Seed = 0 });
        var run = JointHyperparameterTraining.Run(task, new Sigmoid(2.0), [SurrogateHyperparameter.Learned("alpha", 2.0)]);
        var losses = run.LossCurve();
        Assert.Equal(new JointTrainingOptions().Steps + 1, losses.Length);
        Assert.True(losses[0] > 100, $"initial loss {losses[0]}: the neuron should start silent");
        Assert.True(run.FinalLoss <= losses[0] / 2, $"loss {losses[0]} -> {run.FinalLoss}");
        Assert.True(run.FinalLoss <= losses[0] / 50, $"loss {losses[0]} -> {run.FinalLoss}");
        var alphas = run.HyperparameterCurve("alpha");
        Assert.All(alphas, a => Assert.True(a > 0));
        Assert.True(Math.Abs(alphas[^1] - 2.0) > 0.1, $"alpha did not move: {alphas[^1]}");
        Assert.All(run.History, h => Assert.True(double.IsFinite(h.HyperGradients["alpha"])));
        Assert.True(run.FinalCounts.Sum() > 0);
    }

    [Fact]
    public void Fixed_runs_share_their_start_and_a_fixed_alpha_does_not_move()
    {
        var task = SmallTask();
        var options = new JointTrainingOptions { Steps = 4 };
        var a = JointHyperparameterTraining.Run(task, new Sigmoid(), [SurrogateHyperparameter.Fixed("alpha", 1.0)], options);
        var b = JointHyperparameterTraining.Run(task, new Sigmoid(), [SurrogateHyperparameter.Fixed("alpha", 8.0)], options);
        var c = JointHyperparameterTraining.Run(task, new Sigmoid(), [SurrogateHyperparameter.Scheduled("alpha", new HyperparameterSchedule.Linear(1, 4))], options);
        Assert.Equal(a.History[0].Loss, b.History[0].Loss);
        Assert.Equal(a.History[0].WeightNorm, b.History[0].WeightNorm);
        Assert.All(a.HyperparameterCurve("alpha"), v => Assert.Equal(1.0, v));
        Assert.Equal([1.0, 2.0, 3.0, 4.0, 4.0], c.HyperparameterCurve("alpha"));
        Assert.Empty(a.History[0].HyperGradients);
    }

    [Theory]
    [InlineData(HyperGradientMode.BraintoolsCompatible)]
    [InlineData(HyperGradientMode.StraightThrough)]
    public void The_alpha_gradient_is_the_exact_derivative_of_the_spike_counts_smooth_part(HyperGradientMode mode)
    {
        // dL/dalpha through hard spikes is, by the mode's definition, sum_p dL/dN_p * d/dalpha sum_t K(x_tp; alpha) with
        // K = G (braintools) or F (straight-through) and the membrane x fixed. Check it against finite differences of
        // that smooth part in raw = softplus^-1(alpha), in float64.
        var task = SmallTask();
        var alpha = new PositiveParameter(2.5);
        var surrogate = new Sigmoid(alpha.Value(), hyperGradient: mode);
        var neuron = task.CreateNeuron(surrogate);
        var weights = task.InitialWeights().requires_grad_();
        var run = task.Simulate(weights, neuron);
        var counts = run.Counts;
        Assert.True(counts.sum().item<double>() > 0, "the neuron must spike for the check to mean anything");
        var loss = task.Loss(counts);
        loss.backward();
        double autograd = alpha.Raw.grad!.item<double>();

        var membrane = run.Membrane.detach();
        var upstream = (2.0 / task.Options.Patterns) * (counts.detach() - task.Targets);
        double SmoothPart(double raw)
        {
            using var _ = no_grad();
            var a = tensor(raw, ScalarType.Float64).softplus();
            var family = new Sigmoid(a);
            var k = mode == HyperGradientMode.StraightThrough ? family.OriginalFunction(membrane) : family.SurrogateGrad(membrane);
            return (upstream * k.sum(dim: 0)).sum().item<double>();
        }
        double r = alpha.Raw.item<double>(), h = 1e-6;
        double fd = (SmoothPart(r + h) - SmoothPart(r - h)) / (2 * h);
        Assert.True(Math.Abs(autograd) > 1e-3, $"the gradient is too small to test: {autograd}");
        TensorAssert.Close(fd, autograd, 1e-7, 1e-9, $"dL/draw ({mode})");
    }

    [Fact]
    public void A_network_with_a_smooth_part_has_dL_dalpha_equal_to_finite_differences()
    {
        // The task's LIF network, its output the spike count plus a smooth part sum_t F(x_t; alpha) (the Sigmoid's
        // original function on the membrane); the spikes pass no direct alpha gradient (HyperGradientMode.None), so
        // alpha reaches the loss only through the smooth part, whose value does change with alpha. Float64.
        var task = SmallTask(seed: 5);
        var weights = task.InitialWeights();
        double Loss(Tensor alphaValue, out Tensor loss)
        {
            var surrogate = new Sigmoid(alphaValue, hyperGradient: HyperGradientMode.None);
            var run = task.Simulate(weights, task.CreateNeuron(surrogate));
            var output = run.Counts + surrogate.OriginalFunction(run.Membrane).sum(dim: 0);
            loss = task.Loss(output);
            return loss.item<double>();
        }
        foreach (var value in new[] { 0.7, 2.0, 5.0 })
        {
            var alpha = new PositiveParameter(value);
            Loss(alpha.Value(), out var loss);
            loss.backward();
            double raw = alpha.Raw.item<double>();
            double dLdRaw = alpha.Raw.grad!.item<double>();
            double dLdAlpha = dLdRaw * (1 + Math.Exp(-raw)); // divide by dalpha/draw = sigmoid(raw)
            double h = 1e-6;
            double fdRaw, fdAlpha;
            using (no_grad())
            {
                fdRaw = (Loss(tensor(raw + h, ScalarType.Float64).softplus(), out _) - Loss(tensor(raw - h, ScalarType.Float64).softplus(), out _)) / (2 * h);
                fdAlpha = (Loss(tensor(value + h, ScalarType.Float64), out _) - Loss(tensor(value - h, ScalarType.Float64), out _)) / (2 * h);
            }
            Assert.True(Math.Abs(dLdAlpha) > 1e-2, $"alpha {value}: the gradient is too small to test ({dLdAlpha})");
            TensorAssert.Close(fdRaw, dLdRaw, 1e-7, 1e-8, $"dL/draw at alpha {value}");
            TensorAssert.Close(fdAlpha, dLdAlpha, 1e-7, 1e-8, $"dL/dalpha at alpha {value}");
        }
    }

    [Fact]
    public void Multi_parameter_run_keeps_both_leaky_relu_slopes_positive()
    {
        var task = SmallTask();
        var run = JointHyperparameterTraining.Run(task, new LeakyRelu(), [SurrogateHyperparameter.Learned("alpha", 0.1), SurrogateHyperparameter.Learned("beta", 1.0)],
            new JointTrainingOptions { Steps = 30, HyperOptimizer = new() { LearningRate = 0.2 } });
        Assert.All(run.HyperparameterCurve("alpha"), a => Assert.True(a > 0));
        Assert.All(run.HyperparameterCurve("beta"), b => Assert.True(b > 0));
        Assert.NotEqual(0.1, run.FinalHyperparameters["alpha"]);
        Assert.NotEqual(1.0, run.FinalHyperparameters["beta"]);
        Assert.StartsWith("LeakyRelu(", run.Surrogate);
    }

    [Fact]
    public void Bad_hyperparameter_lists_are_rejected()
    {
        var task = SmallTask();
        var e = Assert.Throws<ArgumentException>(() => JointHyperparameterTraining.Run(task, new Sigmoid(), [SurrogateHyperparameter.Learned("beta", 1.0)]));
        Assert.Contains("no hyperparameter 'beta'", e.Message);
        e = Assert.Throws<ArgumentException>(() => JointHyperparameterTraining.Run(task, new Sigmoid(),
            [SurrogateHyperparameter.Learned("alpha", 1.0), SurrogateHyperparameter.Fixed("alpha", 2.0)]));
        Assert.Contains("given twice", e.Message);
        Assert.Throws<ArgumentException>(() => JointHyperparameterTraining.Run(task, new Sigmoid(), [], new JointTrainingOptions { Steps = 0 }));
        Assert.Throws<ArgumentException>(() => new SpikingRegressionTask(new SpikingRegressionOptions { Patterns = 0 }));
        Assert.Throws<ArgumentException>(() => task.Simulate(zeros(3, ScalarType.Float64), task.CreateNeuron(new Sigmoid())));
    }
}
