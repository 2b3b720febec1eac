using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using MetaSpike.Units;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Neurons;

/// <summary>
/// Leaky integrate-and-fire neurons. Each step, from the previous potential V and spike s:
/// <code>
/// V ← V_rest + β (V - V_rest) + c·I                 β = exp(-dt/tau); c = (1-β)R (InputKind.Current) or 1 (VoltageJump)
/// V ← reset(V, s)                                    ToValue: V(1-s) + V_reset s; Subtract: V - (V_th - V_reset) s; None
/// V ← V_reset while refractory                       (if a refractory period is set)
/// s ← spike((V - V_th) / (V_th0 - V_reset))          the surrogate's Heaviside; V_th0 = the initial threshold
/// </code>
/// The reset uses the previous spike, detached from the graph by default (no gradient through the reset), so a
/// neuron that spikes at step t is reset at step t+1, as in the benchmark neuron of spec/workloads.md.
/// </summary>
/// <remarks>
/// With <see cref="Fused"/> on, a whole sequence runs as one fused CPU kernel for the potentials (and, after an
/// <see cref="Expon"/> in a <see cref="Layers.Sequential"/>, the synapse too), followed by the surrogate spike
/// function applied once to all steps, so any surrogate family works and its hyperparameters and a trainable
/// threshold receive their gradients (first and second order). A trainable tau, a reset that carries gradient,
/// a subtractive reset with a trainable threshold and subclasses are not fused (see <see cref="FusedUnsupportedReason"/>).
/// </remarks>
public class Lif : NeuronLayer, IFusable
{
    /// <summary>State slot of the membrane potential.</summary>
    protected const int VSlot = 0;

    /// <summary>State slot of the last spike.</summary>
    protected const int SpikeSlot = 1;

    /// <summary>State slot of the remaining refractory steps.</summary>
    protected const int RefractorySlot = 2;

    private readonly double _tau;
    private readonly double _vThreshold;
    private readonly double _scale;
    private readonly double _refractoryMs;

    /// <summary>Creates the population.</summary>
    /// <param name="shape">Feature shape, e.g. [128] or [32, 16, 8].</param>
    /// <param name="tau">Membrane time constant (default 20 ms).</param>
    /// <param name="vRest">Resting potential (default 0 mV).</param>
    /// <param name="vReset">Reset potential (default 0 mV).</param>
    /// <param name="vThreshold">Firing threshold (default 1 mV); must exceed <paramref name="vReset"/>.</param>
    /// <param name="surrogate">Spike function (default <see cref="FastSigmoid"/> with slope 25, the SuperSpike surrogate).</param>
    /// <param name="reset">Reset mode (default <see cref="ResetMode.ToValue"/>).</param>
    /// <param name="refractory">Refractory period (default 0: none), rounded to whole steps.</param>
    /// <param name="input">How the input enters the potential (default <see cref="InputKind.Current"/>).</param>
    /// <param name="resistance">Membrane resistance R for <see cref="InputKind.Current"/> (default 1 ohm: mV per mA).</param>
    /// <param name="trainTau">Make tau a trainable parameter "tau" (one per layer).</param>
    /// <param name="trainThreshold">Make V_th a trainable parameter "threshold" (one per layer).</param>
    /// <param name="detachReset">Cut the gradient through the reset (default true).</param>
    public Lif(FeatureShape shape, Time? tau = null, Voltage? vRest = null, Voltage? vReset = null, Voltage? vThreshold = null,
        SurrogateFunction? surrogate = null, ResetMode reset = ResetMode.ToValue, Time? refractory = null,
        InputKind input = InputKind.Current, Resistance? resistance = null, bool trainTau = false, bool trainThreshold = false,
        bool detachReset = true)
        : this(nameof(Lif), shape, tau, vRest, vReset, vThreshold, surrogate, reset, refractory, input, resistance, trainTau, trainThreshold, detachReset)
    {
    }

    /// <summary>Creates the population (for subclasses, with their module name and extra state slots).</summary>
    protected Lif(string name, FeatureShape shape, Time? tau, Voltage? vRest, Voltage? vReset, Voltage? vThreshold,
        SurrogateFunction? surrogate, ResetMode reset, Time? refractory, InputKind input, Resistance? resistance,
        bool trainTau, bool trainThreshold, bool detachReset, params string[] extraState)
        : base(name, shape, ["V", "spike", "refractory", .. extraState])
    {
        _tau = (tau ?? 20.0).RequirePositive(nameof(tau)).Milliseconds;
        VRest = (vRest ?? 0.0).RequireFinite(nameof(vRest)).Millivolts;
        VReset = (vReset ?? 0.0).RequireFinite(nameof(vReset)).Millivolts;
        _vThreshold = (vThreshold ?? 1.0).RequireFinite(nameof(vThreshold)).Millivolts;
        if (_vThreshold <= VReset)
            throw new ArgumentException($"{name}: the threshold ({_vThreshold} mV) must be above the reset potential ({VReset} mV).", nameof(vThreshold));
        _scale = _vThreshold - VReset;
        _refractoryMs = (refractory ?? 0.0).RequireNonNegative(nameof(refractory)).Milliseconds;
        Resistance = (resistance ?? 1.0).RequirePositive(nameof(resistance)).Ohms;
        (Reset, Input, DetachReset) = (reset, input, detachReset);
        Surrogate = surrogate ?? new FastSigmoid();
        register_module("surrogate", Surrogate);
        if (trainTau) register_parameter("tau", new Parameter(tensor(_tau, float32)));
        if (trainThreshold) register_parameter("threshold", new Parameter(tensor(_vThreshold, float32)));
        (TrainTau, TrainThreshold) = (trainTau, trainThreshold);
    }

    /// <summary>Resting potential in mV.</summary>
    public double VRest { get; }

    /// <summary>Reset potential in mV.</summary>
    public double VReset { get; }

    /// <summary>Membrane resistance in ohms.</summary>
    public double Resistance { get; }

    /// <summary>The spike function.</summary>
    public SurrogateFunction Surrogate { get; }

    /// <summary>The reset mode.</summary>
    public ResetMode Reset { get; }

    /// <summary>How the input enters the potential.</summary>
    public InputKind Input { get; }

    /// <summary>Whether the reset is cut from the gradient graph.</summary>
    public bool DetachReset { get; }

    /// <summary>Whether tau is a trainable parameter.</summary>
    public bool TrainTau { get; }

    /// <summary>Whether the threshold is a trainable parameter.</summary>
    public bool TrainThreshold { get; }

    /// <summary>The membrane time constant in ms (the trainable value's current value when <see cref="TrainTau"/>).</summary>
    public double Tau => TrainTau ? Param("tau").ToDouble() : _tau;

    /// <summary>The firing threshold in mV (the current value when <see cref="TrainThreshold"/>).</summary>
    public double VThreshold => TrainThreshold ? Param("threshold").ToDouble() : _vThreshold;

    /// <inheritdoc />
    public bool Fused
    {
        get => _fused;
        set
        {
            if (value && FusedUnsupportedReason is { } reason)
                throw new NotSupportedException($"{GetType().Name}: the fused kernel cannot run this layer: {reason}. Keep Fused off (the unfused path supports it).");
            _fused = value;
        }
    }

    private bool _fused;

    /// <inheritdoc />
    public string? FusedUnsupportedReason =>
        GetType() != typeof(Lif) ? $"{GetType().Name} changes the LIF step (the fused kernel implements the plain LIF)"
        : TrainTau ? "a trainable tau would get no gradient from the fused kernel"
        : !DetachReset ? "the fused kernel cuts the gradient through the reset (DetachReset is false)"
        : Reset == ResetMode.Subtract && TrainThreshold ? "a trainable threshold would miss its gradient through the subtractive reset"
        : null;

    /// <inheritdoc />
    public override Tensor Sequence(Tensor input) =>
        Fused && FusedScan.Supports(input) ? FusedSequence(input, null) : base.Sequence(input);

    /// <summary>Whether this layer and <paramref name="synapse"/> before it run <paramref name="input"/> as one fused synapse + LIF operation.</summary>
    internal bool FusesWith(Expon synapse, Tensor input) =>
        Fused && synapse.Fused && FusedScan.Supports(input) && synapse.Shape.SequenceEqual(Shape);

    /// <summary>
    /// The fused sequence pass: the potentials of all steps from one kernel (through <paramref name="synapse"/> first
    /// if given, whose trace state it reads and advances), then the spikes of all steps from one surrogate call.
    /// </summary>
    internal Tensor FusedSequence(Tensor input, Expon? synapse)
    {
        RequireSequence(input);
        var c = Coefficients();
        var (beta, gain, threshold) = (c[0], c[1], c[2]);
        var first = input[0];
        var trace = synapse?.TraceBefore(first);
        var v0 = Get(VSlot, first);
        var spike0 = Get(SpikeSlot, first);
        int refractorySteps = RefractorySteps;
        var counter0 = refractorySteps > 0 ? Get(RefractorySlot, first) : null;
        double vThreshold = threshold.ToDouble();
        var rule = new SpikeRule(vThreshold, _scale, Reset, VReset, vThreshold - VReset, refractorySteps);
        var spec = new ScanSpec(synapse is not null, synapse?.DecayFactor ?? 0.0, beta.ToDouble(), gain.ToDouble(), VRest, rule);
        // The scan also yields the spikes unless the threshold or a surrogate hyperparameter is trained (their
        // gradients come from the tensor form).
        bool kernelSpikes = !TrainThreshold && !Surrogate.HasTrainedHyperparameter;
        var result = FusedScan.Run(input, v0, trace, spec, spike0, counter0, synapse is null ? GetType().Name : "Expon+Lif", kernelSpikes);
        var spikes = (result.Spikes is { } given ? Surrogate.TryThresholdSpike(result.V, given, vThreshold, _scale) : null)
            ?? Surrogate.forward((result.V - threshold) / _scale);
        Set(VSlot, result.V[-1]);
        Set(SpikeSlot, spikes[-1]);
        if (result.CounterLast is { } counter) Set(RefractorySlot, counter);
        if (result.SynLast is { } synapseTrace) synapse!.SetTrace(synapseTrace);
        return spikes;
    }

    /// <summary>The refractory period in whole steps of the current dt.</summary>
    public int RefractorySteps => (int)Math.Round(_refractoryMs / Dt.Milliseconds);

    /// <summary>Coefficient slots: β, input gain c, threshold.</summary>
    protected override Tensor[] Coefficients()
    {
        Tensor beta;
        if (TrainTau)
        {
            var tau = Param("tau");
            var value = tau.ToDouble();
            if (!(value > 0))
                throw new InvalidOperationException($"{GetType().Name}: the trainable tau became {value} ms (it must stay > 0); lower the learning rate or clamp it.");
            beta = exp(-Dt.Milliseconds / tau);
        }
        else beta = tensor(Decay(_tau), float64);
        var gain = Input == InputKind.Current ? (1 - beta) * Resistance : tensor(1.0, float64);
        var threshold = TrainThreshold ? Param("threshold") : tensor(_vThreshold, float64);
        return [beta, gain, threshold];
    }

    /// <inheritdoc />
    protected override Tensor InitialState(int slot, Tensor like) =>
        slot == VSlot && VRest != 0 ? full_like(like, VRest) : zeros_like(like);

    /// <inheritdoc />
    protected override Tensor Advance(Tensor input, Tensor[] c)
    {
        var (beta, gain, threshold) = (c[0], c[1], c[2]);
        var v = Get(VSlot, input);
        var spike = Get(SpikeSlot, input);
        var resetSpike = DetachReset ? spike.detach() : spike;
        var drive = InputCurrent(input, spike);
        v = VRest == 0 ? beta * v + gain * drive : VRest + beta * (v - VRest) + gain * drive;
        var effectiveThreshold = Threshold(threshold, input);
        v = Reset switch
        {
            ResetMode.ToValue => VReset == 0 ? v * (1 - resetSpike) : v * (1 - resetSpike) + VReset * resetSpike,
            ResetMode.Subtract => v - (effectiveThreshold - VReset) * resetSpike,
            _ => v,
        };
        int refractorySteps = RefractorySteps;
        Tensor? counter = null;
        if (refractorySteps > 0)
        {
            counter = Get(RefractorySlot, input);
            v = where(counter.gt(0), full_like(v, VReset), v);
        }
        var newSpike = Surrogate.forward((v - effectiveThreshold) / _scale);
        if (counter is not null)
            Set(RefractorySlot, where(newSpike.detach().gt(0), full_like(counter, refractorySteps), (counter - 1).clamp_min(0)));
        Set(VSlot, v);
        Set(SpikeSlot, newSpike);
        return newSpike;
    }

    /// <summary>The input to integrate this step; the recurrent LIF adds its recurrent current here.</summary>
    protected virtual Tensor InputCurrent(Tensor input, Tensor previousSpike) => input;

    /// <summary>The threshold this step; the adaptive LIF raises it with its adaptation state.</summary>
    protected virtual Tensor Threshold(Tensor threshold, Tensor input) => threshold;

    /// <inheritdoc />
    public override string ToString() =>
        $"{GetType().Name}({TensorText.Shape(Shape)}, tau={Tau:G4} ms, V_rest={VRest:G4}, V_reset={VReset:G4}, V_th={VThreshold:G4}, reset={Reset}, input={Input}, {Surrogate})";
}
