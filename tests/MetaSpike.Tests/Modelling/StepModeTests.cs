using MetaSpike.Modules;
using MetaSpike.Simulation;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Modelling;

[Collection(GlobalRandomCollection.Name)]
public class StepModeTests
{
    public static TheoryData<string> Networks() => new(NetworkFactory.Names);

    private static (double[] Output, double[][] Grads) Run(string name, int seed, SimulationOptions options, int dropoutSeed = 99)
    {
        var (net, input) = NetworkFactory.Create(name, seed);
        manual_seed(dropoutSeed);
        var output = Simulator.Run(net, input, options);
        // A loss that weighs every step and unit differently, so any mismatch shows up in the gradient.
        var weights = arange(output.numel(), dtype: float64).reshape(output.shape).sin();
        (output * weights).sum().backward();
        return (TensorAssert.Values(output), net.parameters().Select(p => TensorAssert.Values(p.grad ?? zeros_like(p))).ToArray());
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Multi_step_mode_equals_step_by_step_mode_in_values_and_gradients(string name)
    {
        for (int seed = 1; seed <= 3; seed++)
        {
            var multi = Run(name, seed, new SimulationOptions { Mode = StepMode.Multi });
            var single = Run(name, seed, new SimulationOptions { Mode = StepMode.Single });
            Assert.Contains(multi.Output, v => v != 0);
            for (int i = 0; i < multi.Output.Length; i++)
                TensorAssert.Close(single.Output[i], multi.Output[i], 1e-12, 1e-12, $"{name} seed {seed} output {i}");
            Assert.Contains(multi.Grads.SelectMany(g => g), v => v != 0);
            for (int p = 0; p < multi.Grads.Length; p++)
            for (int i = 0; i < multi.Grads[p].Length; i++)
                TensorAssert.Close(single.Grads[p][i], multi.Grads[p][i], 1e-10, 1e-12, $"{name} seed {seed} grad {p}[{i}]");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Burn_in_and_truncation_give_the_same_values_as_a_full_run(string name)
    {
        var full = Run(name, 7, new SimulationOptions());
        var truncated = Run(name, 7, new SimulationOptions { BurnIn = 5, Truncation = 3 });
        for (int i = 0; i < full.Output.Length; i++)
            TensorAssert.Close(full.Output[i], truncated.Output[i], 1e-12, 1e-12, $"{name} output {i}");
    }

    [Fact]
    public void Burn_in_steps_carry_no_gradient_and_later_steps_start_from_the_burnt_in_state()
    {
        const int burnIn = 7;
        var (net, input) = NetworkFactory.Create("lif-expon", 3);
        var output = Simulator.Run(net, input, new SimulationOptions { BurnIn = burnIn });
        output.narrow(0, 0, burnIn).sum().backward(retain_graph: true);
        Assert.All(net.parameters(), p => Assert.True(p.grad is null || TensorAssert.Values(p.grad).All(g => g == 0), "burn-in outputs must carry no gradient"));
        output.narrow(0, burnIn, input.shape[0] - burnIn).sum().backward();
        var grads = net.parameters().Select(p => TensorAssert.Values(p.grad!)).ToArray();

        // Reference: run the burn-in under no_grad by hand, then the rest with a graph, step by step.
        var (reference, _) = NetworkFactory.Create("lif-expon", 3);
        reference.SetStepMode(StepMode.Single);
        reference.ResetState(input.shape[1]);
        using (no_grad())
            for (int t = 0; t < burnIn; t++) reference.forward(input[t]);
        var rest = new List<Tensor>();
        for (long t = burnIn; t < input.shape[0]; t++) rest.Add(reference.forward(input[t]));
        stack(rest).sum().backward();
        var expected = reference.parameters().Select(p => TensorAssert.Values(p.grad!)).ToArray();
        for (int p = 0; p < grads.Length; p++)
        for (int i = 0; i < grads[p].Length; i++)
            TensorAssert.Close(expected[p][i], grads[p][i], 1e-12, 1e-14, $"grad {p}[{i}]");
    }

    [Fact]
    public void Truncated_bptt_cuts_the_gradient_at_window_boundaries()
    {
        // The loss on the last step reaches the inputs of earlier steps only through the state, which a
        // 1-step window detaches; full BPTT reaches them through the recurrent loop and the membrane.
        double[] InputGradient(int? window)
        {
            var (net, input) = NetworkFactory.Create("recurrent", 5);
            input.requires_grad_();
            Simulator.Run(net, input, new SimulationOptions { Truncation = window })[^1].sum().backward();
            return TensorAssert.Values(input.grad!.narrow(0, 0, input.shape[0] - 1));
        }
        Assert.All(InputGradient(1), g => Assert.Equal(0.0, g));
        Assert.All(InputGradient(3).Take(InputGradient(3).Length - 2 * 3 * 5), g => Assert.Equal(0.0, g));
        Assert.Contains(InputGradient(3).Skip(InputGradient(3).Length - 2 * 3 * 5), g => g != 0);
        Assert.Contains(InputGradient(null), g => g != 0);
    }
}
