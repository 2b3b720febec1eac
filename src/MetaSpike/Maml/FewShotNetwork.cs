using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using MetaSpike.Simulation;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>How a <see cref="FewShotNetwork"/> reads its input frames [T, batch, C, H, W].</summary>
public enum FewShotInput
{
    /// <summary>An SNN over time: burn-in without gradient, then a gradient window whose mean head output is the logits.</summary>
    Spiking,

    /// <summary>
    /// A non-spiking network on event counts: the frames are averaged over time first (counts / T, so the input scale
    /// and with it the usable inner step size do not grow with the number of steps).
    /// </summary>
    EventCounts,
}

/// <summary>
/// A classifier for few-shot learning: a <see cref="Body"/> (convolutions, pooling, neurons, flatten) and a linear
/// <see cref="Head"/> with one output per class. For an SNN the head's output is read as the output neurons'
/// membrane potential, and the logits are its mean over the last <see cref="GradientWindow"/> steps (Stewart and
/// Neftci 2022: burn-in, then truncated BPTT over the last 30 steps; prediction = highest membrane potential).
/// </summary>
/// <remarks>
/// MAML runs the network with adapted weights through <see cref="FunctionalCall.Use"/>, so every method here reads
/// the parameters that are in force. <see cref="LayerOfParameter"/> numbers the weight layers from the input
/// (0, 1, ...; the head last), which is how layers are frozen in the inner loop.
/// <c>network.SetFused(true)</c> (or <c>fused: true</c> in <see cref="FewShotNetworks"/>) runs the neurons, synapses
/// readout and max pooling (and a Linear layer on the input events) with the fused CPU kernels, which give the same
/// logits and meta-gradients of any order.
/// </remarks>
public sealed class FewShotNetwork : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the network.</summary>
    /// <param name="body">Layers from the input to the flattened features [.., F].</param>
    /// <param name="head">Features to one output per class.</param>
    /// <param name="kind">Spiking (time) or event counts (static).</param>
    /// <param name="gradientWindow">Spiking: the last steps that carry gradient and make the logits (the rest is burn-in).</param>
    /// <param name="inputGain">Multiplies the input frames (the paper's first-layer gain of 10).</param>
    /// <param name="readout">Spiking: an optional filter of the head's output over the window (e.g. an <see cref="Neurons.Expon"/>
    /// synapse, the "exp. synapse readout" of spec/workloads.md), started from zero; the logits are its mean.</param>
    public FewShotNetwork(Sequential body, Linear head, FewShotInput kind, int gradientWindow = 30, double inputGain = 1.0, SpikingModule? readout = null)
        : base(nameof(FewShotNetwork))
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(head);
        if (!Enum.IsDefined(kind)) throw new ArgumentException($"unknown input kind {kind}.", nameof(kind));
        if (gradientWindow < 1) throw new ArgumentException($"the gradient window must be at least 1 step, got {gradientWindow}.", nameof(gradientWindow));
        if (!double.IsFinite(inputGain) || inputGain <= 0) throw new ArgumentException($"the input gain must be finite and > 0, got {inputGain}.", nameof(inputGain));
        if (readout is not null && kind != FewShotInput.Spiking) throw new ArgumentException("a readout filter needs a spiking (time) network.", nameof(readout));
        (Body, Head, Kind, GradientWindow, InputGain, Readout) = (body, head, kind, gradientWindow, inputGain, readout);
        register_module("body", body);
        register_module("head", head);
        if (readout is not null)
        {
            register_module("readout", readout);
            readout.SetStepMode(StepMode.Multi);
        }
        head.SetStepMode(kind == FewShotInput.Spiking ? StepMode.Multi : StepMode.Single);
        _layerOfParameter = NumberLayers();
        _isWeight = FunctionalCall.ParameterNames(this).Select(n => n.EndsWith(".weight", StringComparison.Ordinal)).ToArray();
    }

    private readonly int[] _layerOfParameter;
    private readonly bool[] _isWeight;

    /// <summary>Input to features.</summary>
    public Sequential Body { get; }

    /// <summary>Features to class outputs.</summary>
    public Linear Head { get; }

    /// <summary>How the input is read.</summary>
    public FewShotInput Kind { get; }

    /// <summary>Spiking: steps at the end of the input that carry gradient and are averaged into the logits.</summary>
    public int GradientWindow { get; }

    /// <summary>The filter of the head's output over time, if any.</summary>
    public SpikingModule? Readout { get; }

    /// <summary>Input frames are multiplied by this.</summary>
    public double InputGain { get; }

    /// <summary>Classes (the head's outputs).</summary>
    public long Ways => Head.OutFeatures;

    /// <summary>Weight layers (convolutions and linear layers, the head included).</summary>
    public int LayerCount => _layerOfParameter.Length == 0 ? 0 : _layerOfParameter.Max() + 1;

    /// <summary>
    /// For each parameter in <see cref="FunctionalCall.Parameters"/> order, the weight layer it belongs to: 0 for
    /// the first convolution or linear layer and everything after it up to the next (e.g. a neuron's bias), the
    /// head <see cref="LayerCount"/> - 1.
    /// </summary>
    public IReadOnlyList<int> LayerOfParameter => _layerOfParameter;

    /// <summary>For each parameter in <see cref="FunctionalCall.Parameters"/> order, whether it is a convolution or linear weight (what quantisation acts on).</summary>
    public IReadOnlyList<bool> IsWeight => _isWeight;

    /// <summary>The logits [batch, ways] for input frames [T, batch, C, H, W] (or [T, batch, F]).</summary>
    public override Tensor forward(Tensor frames) => LogitsOf(Head.forward(Features(frames)));

    /// <summary>
    /// The head's input: for an SNN the body's output over the gradient window [window, batch, F] (burn-in steps
    /// run without gradient from a reset state); for event counts [batch, F].
    /// </summary>
    /// <exception cref="ArgumentException">The frames are not [T, batch, ...], hold NaN/infinity, or are shorter than the gradient window.</exception>
    public Tensor Features(Tensor frames)
    {
        if (frames.dim() < 3)
            throw new ArgumentException($"FewShotNetwork: frames must be [T, batch, ...], got {frames.ShapeText()}.", nameof(frames));
        var x = InputGain == 1.0 ? frames : frames * InputGain;
        if (Kind == FewShotInput.EventCounts)
        {
            Checks.RequireFinite(x, nameof(FewShotNetwork));
            Body.SetStepMode(StepMode.Single);
            return Body.forward(x.mean([0]));
        }
        long steps = frames.shape[0];
        if (steps < GradientWindow)
            throw new ArgumentException($"FewShotNetwork: the input has {steps} steps, fewer than the gradient window of {GradientWindow}.", nameof(frames));
        var outputs = Simulator.Run(Body, x, SimulationOptions.LastSteps(GradientWindow, (int)steps));
        return outputs.narrow(0, steps - GradientWindow, GradientWindow);
    }

    /// <summary>The logits for the head's output <paramref name="headOutput"/> (<see cref="Head"/> applied to <see cref="Features"/>).</summary>
    public Tensor LogitsOf(Tensor headOutput)
    {
        if (Kind == FewShotInput.EventCounts) return headOutput;
        if (Readout is null) return headOutput.mean([0]);
        Readout.ResetState(headOutput.shape[1]);
        return Readout.forward(headOutput).mean([0]);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"FewShotNetwork({Kind}, window={GradientWindow}, gain={InputGain}, body=[{string.Join(", ", Body.Layers)}], head={Head}{(Readout is null ? "" : $", readout={Readout}")})";

    private int[] NumberLayers()
    {
        var names = FunctionalCall.ParameterNames(this);
        var layerOfPrefix = new List<(string Prefix, int Layer)>();
        int layer = -1;
        for (int i = 0; i < Body.Layers.Count; i++)
        {
            if (Body.Layers[i] is Conv2d or Linear) layer++;
            layerOfPrefix.Add(($"body.{i}.", Math.Max(layer, 0)));
        }
        int headLayer = layer + 1;
        return names.Select(n => n.StartsWith("head.", StringComparison.Ordinal) ? headLayer
            : layerOfPrefix.First(p => n.StartsWith(p.Prefix, StringComparison.Ordinal)).Layer).ToArray();
    }
}
