using MetaSpike.Runtime;
using MetaSpike.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Simulation;

/// <summary>How <see cref="Simulator.Run"/> drives a network through a sequence.</summary>
public sealed record SimulationOptions
{
    /// <summary>Multi-step (each layer over the whole chunk, default) or step by step; both give the same numbers.</summary>
    public StepMode Mode { get; init; } = StepMode.Multi;

    /// <summary>Steps at the start run without building a gradient graph; the states they reach are kept (detached). Default 0.</summary>
    public int BurnIn { get; init; }

    /// <summary>
    /// Truncated BPTT: after the burn-in, the state is detached every <c>Truncation</c> steps, so gradients flow
    /// back at most that many steps. Null (default): full BPTT. For "gradient through the last k steps only"
    /// (Stewart and Neftci 2022) use <see cref="LastSteps"/>.
    /// </summary>
    public int? Truncation { get; init; }

    /// <summary>Reset every state to the input's batch before running (default true).</summary>
    public bool ResetState { get; init; } = true;

    /// <summary>Options whose gradient flows through the last <paramref name="k"/> of <paramref name="steps"/> steps only (burn-in = steps - k).</summary>
    public static SimulationOptions LastSteps(int k, int steps) =>
        k >= 1 && k <= steps ? new SimulationOptions { BurnIn = steps - k }
            : throw new ArgumentException($"the gradient window must be between 1 and {steps} steps, got {k}.", nameof(k));
}

/// <summary>Runs a network over an input sequence [T, batch, ...], with burn-in and truncated BPTT.</summary>
public static class Simulator
{
    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="inputs"/> ([T, batch, ...]) and returns the outputs of all
    /// T steps stacked in time ([T, batch, ...]); outputs of burn-in steps carry no gradient.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not a sequence, holds NaN/infinity, or the options do not fit it.</exception>
    public static Tensor Run(nn.Module<Tensor, Tensor> model, Tensor inputs, SimulationOptions? options = null)
    {
        var o = options ?? new SimulationOptions();
        if (inputs.dim() < 2 || inputs.shape[0] < 1 || inputs.shape[1] < 1)
            throw new ArgumentException($"Simulator: inputs must be shaped [T, batch, ...] with T, batch >= 1, got {inputs.ShapeText()}.", nameof(inputs));
        long steps = inputs.shape[0];
        if (o.BurnIn < 0 || o.BurnIn > steps)
            throw new ArgumentException($"Simulator: burn-in must be between 0 and T = {steps}, got {o.BurnIn}.", nameof(options));
        if (o.Truncation is < 1)
            throw new ArgumentException($"Simulator: the truncation window must be >= 1 step, got {o.Truncation}.", nameof(options));
        Checks.RequireFinite(inputs, "Simulator");

        model.SetStepMode(o.Mode);
        if (o.ResetState) model.ResetState(inputs.shape[1]);
        var outputs = new List<Tensor>();
        if (o.BurnIn > 0)
        {
            using (no_grad()) outputs.Add(RunChunk(model, inputs.narrow(0, 0, o.BurnIn), o.Mode));
            model.DetachState();
        }
        long window = o.Truncation ?? steps;
        for (long start = o.BurnIn; start < steps; start += window)
        {
            if (start > o.BurnIn) model.DetachState();
            outputs.Add(RunChunk(model, inputs.narrow(0, start, Math.Min(window, steps - start)), o.Mode));
        }
        return outputs.Count == 1 ? outputs[0] : cat(outputs, 0);
    }

    private static Tensor RunChunk(nn.Module<Tensor, Tensor> model, Tensor chunk, StepMode mode)
    {
        if (mode == StepMode.Multi) return model.forward(chunk);
        var steps = chunk.unbind(0);
        var outputs = new Tensor[steps.Length];
        for (int t = 0; t < steps.Length; t++) outputs[t] = model.forward(steps[t]);
        return stack(outputs);
    }
}
