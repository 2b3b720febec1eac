using MetaSpike.InTheLoop;
using MetaSpike.Neuromorphic;
using MetaSpike.Runtime;
using TorchSharp;
using static MetaSpike.Tests.Losses.ArgumentAssert;
using static MetaSpike.Tests.TensorAssert;
using static TorchSharp.torch;

namespace MetaSpike.Tests.InTheLoop;

public class InTheLoopTests
{
    [Fact]
    public void Substitution_has_the_hardware_value_and_the_model_gradient()
    {
        using var _ = NewDisposeScope();
        var x = tensor(new[] { 1.5, -2.0 }, requires_grad: true);
        var hardware = tensor(new[] { 7.0, 3.0 });
        var y = StraightThrough.Substitute(x * x, hardware);
        Assert.Equal(new[] { 7.0, 3.0 }, Values(y));
        var grad = Autograd.Grad(y.sum(), x);
        Assert.Equal(new[] { 3.0, -4.0 }, Values(grad)); // d(x^2)/dx = 2x, not d(hardware)/dx = 0
        Throws(() => StraightThrough.Substitute(x, tensor(new[] { 1.0 })), "same shape");
    }

    [Fact]
    public void Lif_model_in_the_loop_has_hardware_values_forward_and_hand_worked_model_gradients_backward()
    {
        using var _ = NewDisposeScope();
        // One input spike at step 0 -> one hidden LIF neuron -> one output integrator, three steps of 0.5 µs.
        var settings = new LifModelSettings();
        double a = Math.Exp(-0.1), b = Math.Exp(-0.05), k = 0.025, beta = 5;
        using var model = new TwoLayerLifModel(tensor(new float[] { 3 }).reshape(1, 1), tensor(new float[] { -2 }).reshape(1, 1), settings);
        var input = tensor(new float[] { 1, 0, 0 }).reshape(1, 3, 1);
        float[] hv = [0.2f, 0.9f, 0.4f], hz = [1, 1, 0], ho = [0.05f, -0.3f, 0.7f];
        var hardware = new LayerTraces(tensor(hv).reshape(1, 3, 1), tensor(hz).reshape(1, 3, 1), tensor(ho).reshape(1, 3, 1));
        var traces = model.Forward(input, hardware);
        Assert.Equal(hv, Values(traces.HiddenMembrane).Select(v => (float)v));
        Assert.Equal(hz, Values(traces.HiddenSpikes).Select(v => (float)v));
        Assert.Equal(ho, Values(traces.OutputMembrane).Select(v => (float)v));

        // L = o[1] + o[2]. o[1] = (1-b) k z0 W2; o[2] = b o[1] + (1-b) (a k z0 W2 + k z1 W2), with the hardware's z;
        // z1 depends on W1 through the surrogate at the hardware's v1: dz1/dW1 = s'(hv1 - 1) (1-b) k x0.
        var grads = Autograd.Grad([traces.OutputMembrane.select(1, 1).sum() + traces.OutputMembrane.select(1, 2).sum()], [model.InputWeights, model.OutputWeights]);
        double surrogate = 1 / Math.Pow(beta * Math.Abs(hv[1] - 1) + 1, 2);
        double dW2 = (1 - b) * k * hz[0] + b * (1 - b) * k * hz[0] + (1 - b) * (a * k * hz[0] + k * hz[1]);
        double dW1 = (1 - b) * k * -2 * surrogate * (1 - b) * k;
        Close(dW2, Values(grads[1])[0], 1e-5, 1e-9, "dL/dW2");
        Close(dW1, Values(grads[0])[0], 1e-5, 1e-9, "dL/dW1");
    }

    [Fact]
    public void Software_model_alone_spikes_by_its_own_threshold()
    {
        using var _ = NewDisposeScope();
        // 20 simultaneous input spikes of weight 40 drive the hidden neuron over threshold; weights beyond 63 are clipped.
        using var model = new TwoLayerLifModel(full(20, 1, 100f), ones(1, 1), new LifModelSettings());
        var input = zeros(1, 40, 20);
        input[0, 0] = ones(20);
        var traces = model.Forward(input);
        Assert.True(Values(traces.HiddenSpikes).Sum() >= 1);
        Assert.True(Values(traces.HiddenMembrane).Max() >= 1);
        Throws(() => model.Forward(zeros(1, 40, 3)), "inputs must be [batch, steps, 20]");
        Throws(() => model.Forward(input, new LayerTraces(zeros(1, 40, 2), zeros(1, 40, 1), zeros(1, 40, 1))), "hidden membrane");
    }

    [Fact]
    public void Seeded_in_the_loop_training_on_the_realistic_emulator_learns_above_chance()
    {
        var settings = new InTheLoopSettings { TestSamples = 45 };
        var task = settings.Task;
        var train = task.Generate(settings.TrainSamples, settings.Seed, 1);
        var test = task.Generate(settings.TestSamples, settings.Seed, 2);
        using var chip = new EmulatorClassifier(new SubstrateEmulator(EmulatorOptions.Realistic(0, 1)), task.Inputs, settings.Hidden, task.Classes, task.DurationUs, settings.Model.DtUs);
        var run = InTheLoopTraining.Train(TrainingMode.InTheLoop, train, chip, settings);
        double accuracy = InTheLoopTraining.ChipAccuracy(chip, test, run.InputWeights, run.OutputWeights);
        Assert.True(accuracy > 0.7, $"accuracy {accuracy} (chance 1/3)");
        Assert.True(run.Curve[^1].Loss < run.Curve[0].Loss);
    }

    [Fact]
    public void Latency_patterns_are_seeded_balanced_and_inside_the_run()
    {
        var task = new LatencyPatternTask();
        var a = task.Generate(12, 5, 1);
        var b = task.Generate(12, 5, 1);
        var c = task.Generate(12, 5, 2);
        Assert.Equal(a.Trains(a.All).ToArray(), b.Trains(b.All).ToArray());
        Assert.NotEqual(a.Trains(a.All).ToArray(), c.Trains(c.All).ToArray());
        Assert.Equal(new[] { 4, 4, 4 }, a.Labels.GroupBy(l => l).Select(g => g.Count()));
        Assert.All(a.Trains(a.All).ToArray().SelectMany(t => t).SelectMany(n => n), t => Assert.InRange(t, 0, task.DurationUs - 1));
        Throws(() => (task with { Classes = 1 }).Generate(3, 0, 0), "Classes");
        Throws(() => a.Trains([12]), "sample 12");
    }
}
