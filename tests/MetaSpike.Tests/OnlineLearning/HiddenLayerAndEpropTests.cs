using MetaSpike.OnlineLearning;
using TorchSharp;
using static MetaSpike.Tests.Losses.ArgumentAssert;
using static MetaSpike.Tests.TensorAssert;
using static TorchSharp.torch;

namespace MetaSpike.Tests.OnlineLearning;

public class HiddenLayerAndEpropTests
{
    private static Tensor Normal(long rows, long columns, double mean, double std, int seed)
    {
        var random = new Random(seed);
        var values = new double[rows * columns];
        for (int i = 0; i < values.Length; i++)
            values[i] = mean + std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return tensor(values).reshape(rows, columns);
    }

    [Theory]
    [InlineData(FeedbackMode.Symmetric, 0.7)]
    [InlineData(FeedbackMode.Random, 0.6)]
    public void Hidden_layer_superspike_learns_a_teachers_output_spike_trains(FeedbackMode feedback, double minReduction)
    {
        using var _ = NewDisposeScope();
        // 4 trials of 25 inputs at 20 kHz, 200 µs at dt 0.5 µs; 20 hidden and 3 output neurons; targets from a teacher network.
        const double dt = 0.5;
        var setup = new SuperSpikeTutorialSetup { Dt = dt, Rate = 0.02 };
        var input = stack(Enumerable.Range(0, 4).Select(b => setup.InputSpikes(b)).ToArray());
        var rule = new SuperSpikeSettings { Dt = dt };
        var neuron = new SoftwareLifParameters { Dt = dt };
        var teacher = new HiddenLayerSuperSpike(Normal(25, 20, 15, 15, 1), Normal(20, 3, 10, 15, 2), rule: rule, neuron: neuron);
        var target = teacher.Run(input).Output.Spikes;
        Assert.True(target.sum().ToDouble() > 12, "the teacher's outputs fire");

        var student = new HiddenLayerSuperSpike(Normal(25, 20, 10, 20, 3), Normal(20, 3, 10, 20, 4), feedback, seed: 5, rule: rule, hiddenEta: 0.5, neuron: neuron);
        var inputWeightsBefore = student.InputWeights.clone();
        var losses = Enumerable.Range(0, 40).Select(_ => student.Step(input, target)).ToList();
        double reduction = 1 - losses.TakeLast(5).Average() / losses[0];
        Assert.True(reduction >= minReduction, $"{feedback}: loss {losses[0]:F1} -> {losses.TakeLast(5).Average():F1}");
        Assert.True((student.InputWeights - inputWeightsBefore).abs().max().ToDouble() > 1, "the hidden layer learnt");
        if (feedback == FeedbackMode.Symmetric) Assert.Equal(Values(student.OutputWeights.T), Values(student.FeedbackMatrix));
    }

    [Fact]
    public void Eprop_equals_bptt_exactly_without_recurrent_weights()
    {
        using var _ = NewDisposeScope();
        // Recurrent weights at 0: e-prop's gradients for W_in, W_rec (at 0) and W_out are the exact BPTT gradients.
        var task = new PatternGenerationTask { Steps = 60 };
        var x = cat([task.InputSpikes(), (task with { Seed = 1 }).InputSpikes()], 0);
        var y = cat([task.Target(), task.Target() * 0.5], 0);
        var network = RecurrentLifNetwork.Random(20, 12, 2, seed: 7, inputScale: 3, recurrentScale: 0);
        var eprop = Eprop.Gradients(network, x, y);
        var bptt = network.BpttGradients(x, y);
        Close(bptt.Loss, eprop.Loss, 1e-12, 0, "loss");
        foreach (var (name, e, b) in new[] { ("input", eprop.Input, bptt.Input), ("recurrent", eprop.Recurrent, bptt.Recurrent), ("output", eprop.Output, bptt.Output) })
        {
            double scale = b.abs().max().ToDouble();
            Assert.True(scale > 1e-3, $"{name}: the gradient is not trivially zero");
            Assert.True((e - b).abs().max().ToDouble() <= 1e-10 * scale, $"{name}: e-prop differs from BPTT by {(e - b).abs().max().ToDouble():E2} (scale {scale:E2})");
        }
    }

    [Fact]
    public void With_recurrence_eprop_keeps_the_exact_readout_gradient_and_approximates_the_others()
    {
        using var _ = NewDisposeScope();
        var task = new PatternGenerationTask { Steps = 60 };
        var network = RecurrentLifNetwork.Random(20, 12, 2, seed: 7, inputScale: 3, recurrentScale: 1.5);
        var eprop = Eprop.Gradients(network, task.InputSpikes(), task.Target());
        var bptt = network.BpttGradients(task.InputSpikes(), task.Target());
        Assert.True((eprop.Output - bptt.Output).abs().max().ToDouble() <= 1e-10 * bptt.Output.abs().max().ToDouble(), "readout gradient");
        double cosine = (eprop.Input * bptt.Input).sum().ToDouble() / (eprop.Input.norm().ToDouble() * bptt.Input.norm().ToDouble());
        Assert.True(cosine is > 0.2 and < 1 - 1e-6, $"input-gradient cosine {cosine:F3}: aligned but not equal");
    }

    [Theory]
    [InlineData(GradientMethod.EpropSymmetric, 30, 0.1, 0.75)]
    [InlineData(GradientMethod.EpropRandom, 60, 0.15, 1.0)]
    [InlineData(GradientMethod.Bptt, 30, 0.1, 0.75)]
    public void Seeded_pattern_generation_run_lowers_the_loss(GradientMethod method, int iterations, double maxFraction, double maxOfSilent)
    {
        using var _ = NewDisposeScope();
        var task = new PatternGenerationTask();
        var x = task.InputSpikes();
        var y = task.Target();
        double silent = 0.5 * y.square().sum().ToDouble();
        var network = RecurrentLifNetwork.Random(20, 50, 2, seed: 1, inputScale: 1.5);
        var losses = RecurrentLifTraining.Train(network, x, y, iterations, method);
        Assert.True(losses[^1] < maxFraction * losses[0] && losses[^1] < maxOfSilent * silent,
            $"{method}: loss {losses[0]:F1} -> {losses[^1]:F1} (a silent readout scores {silent:F1})");
    }

    [Fact]
    public void Bad_network_inputs_are_refused()
    {
        using var _ = NewDisposeScope();
        var network = RecurrentLifNetwork.Random(4, 3, 2, seed: 0);
        var x = zeros(1, 10, 4, dtype: ScalarType.Float64);
        var y = zeros(1, 10, 2, dtype: ScalarType.Float64);
        Throws(() => Eprop.Gradients(network, zeros(1, 10, 5, dtype: ScalarType.Float64), y), "inputs", "[batch, steps, 4]");
        Throws(() => Eprop.Gradients(network, x, zeros(1, 9, 2, dtype: ScalarType.Float64)), "target", "[1, 10, 2]");
        Throws(() => Eprop.Gradients(network, x, y, zeros(3, 3)), "feedback", "[2, 3]");
        Throws(() => network.BpttGradients(x, y.clone().fill_(double.NaN)), "target", "NaN");
        Throws(() => new RecurrentLifNetwork(zeros(3, 4), zeros(3, 2), zeros(2, 3)), "recurrentWeights", "[3, 3]");
        Throws(() => RecurrentLifNetwork.Random(4, 3, 2, 0, settings: new RecurrentLifSettings { TauMem = 0 }), "TauMem");
        Throws(() => RecurrentLifTraining.Train(network, x, y, 0, GradientMethod.Bptt), "iterations");
        Throws(() => new HiddenLayerSuperSpike(zeros(4, 3), zeros(2, 1)), "outputWeights", "[3, N]");
    }
}
