using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Neurons;

/// <summary>
/// The neuron of Stewart and Neftci (2022) (DECOLLE's LIF with traces), per step, from the previous state:
/// <code>
/// Q ← β Q + I                    synaptic trace (jump 1 per unit input; β = 0.95)
/// P ← α P + Q[t-1]               membrane trace (α = 0.9)
/// R ← γ R - w_r s[t-1]           reset (refractory) trace (γ = 0.65, w_r = 1)
/// U = P + R + b                  membrane potential, b a trainable bias current per neuron ("bias")
/// s = spike(U - θ)               fast sigmoid 1/(10|x|+1)^2 by default, θ = 0
/// </code>
/// In the paper the traces filter the presynaptic spikes before the weights; since the filters are linear and the
/// weights are linear, filtering the weighted input (put a Linear or Conv2d without bias before this neuron) gives
/// the same potential. Decays are per step (dt-independent), as in the paper. State "U" holds the potential,
/// which the paper's loss reads at the output layer.
/// </summary>
/// <remarks>
/// With <see cref="Fused"/> on, a whole sequence runs as one fused CPU operation for the synaptic and membrane traces
/// (linear in the input and the initial traces, so its backward and double backward are linear scans too), a
/// gradient-free kernel for the reset trace (its spike input is detached), and the surrogate spike function applied
/// once to all steps: values, first- and second-order gradients (input, initial traces, bias, surrogate
/// hyperparameters) are those of the step-by-step path. A reset that carries gradient (<see cref="DetachReset"/>
/// false) is not fused (see <see cref="FusedUnsupportedReason"/>).
/// </remarks>
public sealed class StewartNeftciNeuron : NeuronLayer, IFusable
{
    private const int Q = 0, P = 1, R = 2, U = 3, S = 4;

    /// <summary>Creates the population.</summary>
    /// <param name="shape">Feature shape.</param>
    /// <param name="synapticDecay">β, the synaptic trace's per-step decay (default 0.95).</param>
    /// <param name="membraneDecay">α, the membrane trace's per-step decay (default 0.9).</param>
    /// <param name="resetDecay">γ, the reset trace's per-step decay (default 0.65).</param>
    /// <param name="resetWeight">w_r, the reset trace's jump per spike (default 1).</param>
    /// <param name="threshold">θ (default 0).</param>
    /// <param name="surrogate">Spike function (default fast sigmoid with slope 10).</param>
    /// <param name="detachReset">Cut the gradient through the reset trace's spike input (default true).</param>
    /// <param name="normalizedTraces">Scale each trace's input by (1 - decay), as DECOLLE's released code does
    /// (Q ← β Q + (1-β) I, P ← α P + (1-α) Q), so a constant input I settles at U = I instead of I / ((1-α)(1-β)):
    /// the potential stays on the scale of the reset and of the surrogate's width. Default false (the paper's text: jumps of 1).</param>
    public StewartNeftciNeuron(FeatureShape shape, double synapticDecay = 0.95, double membraneDecay = 0.9, double resetDecay = 0.65,
        double resetWeight = 1.0, double threshold = 0.0, SurrogateFunction? surrogate = null, bool detachReset = true, bool normalizedTraces = false)
        : base(nameof(StewartNeftciNeuron), shape, "Q", "P", "R", "U", "spike")
    {
        (SynapticDecay, MembraneDecay, ResetDecay) =
            (Fraction(synapticDecay, nameof(synapticDecay)), Fraction(membraneDecay, nameof(membraneDecay)), Fraction(resetDecay, nameof(resetDecay)));
        if (!double.IsFinite(resetWeight) || resetWeight < 0) throw new ArgumentException($"StewartNeftciNeuron: resetWeight must be finite and >= 0, got {resetWeight}.", nameof(resetWeight));
        if (!double.IsFinite(threshold)) throw new ArgumentException($"StewartNeftciNeuron: threshold must be finite, got {threshold}.", nameof(threshold));
        (ResetWeight, Theta, DetachReset, NormalizedTraces) = (resetWeight, threshold, detachReset, normalizedTraces);
        Surrogate = surrogate ?? new FastSigmoid(slope: 10.0);
        register_module("surrogate", Surrogate);
        register_parameter("bias", new Parameter(zeros(Shape.ToArray())));
    }

    /// <summary>β, the synaptic trace's per-step decay.</summary>
    public double SynapticDecay { get; }

    /// <summary>α, the membrane trace's per-step decay.</summary>
    public double MembraneDecay { get; }

    /// <summary>γ, the reset trace's per-step decay.</summary>
    public double ResetDecay { get; }

    /// <summary>w_r, the reset trace's jump per spike.</summary>
    public double ResetWeight { get; }

    /// <summary>The threshold θ.</summary>
    public double Theta { get; }

    /// <summary>Whether the spike entering the reset trace is detached.</summary>
    public bool DetachReset { get; }

    /// <summary>Whether each trace's input is scaled by (1 - its decay).</summary>
    public bool NormalizedTraces { get; }

    /// <summary>The spike function.</summary>
    public SurrogateFunction Surrogate { get; }

    /// <inheritdoc />
    public bool Fused
    {
        get => _fused;
        set
        {
            if (value && FusedUnsupportedReason is { } reason)
                throw new NotSupportedException($"{nameof(StewartNeftciNeuron)}: the fused kernel cannot run this layer: {reason}. Keep Fused off (the unfused path supports it).");
            _fused = value;
        }
    }

    private bool _fused;

    /// <inheritdoc />
    public string? FusedUnsupportedReason =>
        DetachReset ? null : "the fused kernel cuts the gradient through the reset trace's spike input (DetachReset is false)";

    /// <inheritdoc />
    public override Tensor Sequence(Tensor input) =>
        Fused && FusedScan.Supports(input) && Param("bias").dtype == input.dtype ? FusedSequence(input) : base.Sequence(input);

    /// <summary>
    /// The fused sequence pass: the synaptic and membrane traces of all steps from one differentiable kernel, the
    /// reset trace from a second (no gradient), the potentials as one sum and the spikes from one surrogate call.
    /// </summary>
    private Tensor FusedSequence(Tensor input)
    {
        RequireSequence(input);
        const string who = nameof(StewartNeftciNeuron);
        var first = input[0];
        var (q0, p0, r0, s0) = (Get(Q, first), Get(P, first), Get(R, first), Get(S, first));
        var spec = ScanSpec.DelayedTraces(SynapticDecay, NormalizedTraces ? 1 - SynapticDecay : 1.0, MembraneDecay, NormalizedTraces ? 1 - MembraneDecay : 1.0);
        var traces = FusedScan.Run(input, p0, q0, spec, null, null, who);
        var bias = Param("bias");
        Tensor reset;
        using (no_grad())
        {
            var biasPerColumn = bias.detach().expand(first.shape).contiguous();
            reset = ScanKernels.ResetTrace(traces.V.detach(), biasPerColumn, FusedScan.StepState(r0.detach(), input, "reset trace", who),
                FusedScan.StepState(s0.detach(), input, "previous spike", who), ResetDecay, ResetWeight, Theta);
        }
        var u = traces.V + reset + bias;
        var spikes = Surrogate.forward(Theta == 0 ? u : u - Theta);
        Set(Q, traces.SynLast!);
        Set(P, traces.V[-1]);
        Set(R, reset[-1]);
        Set(U, u[-1]);
        Set(S, spikes[-1]);
        return spikes;
    }

    /// <inheritdoc />
    protected override Tensor[] Coefficients() => [];

    /// <inheritdoc />
    protected override Tensor InitialState(int slot, Tensor like) => zeros_like(like);

    /// <inheritdoc />
    protected override Tensor Advance(Tensor input, Tensor[] coefficients)
    {
        var (q, p, r, s) = (Get(Q, input), Get(P, input), Get(R, input), Get(S, input));
        var newP = NormalizedTraces ? MembraneDecay * p + (1 - MembraneDecay) * q : MembraneDecay * p + q;
        var newQ = NormalizedTraces ? SynapticDecay * q + (1 - SynapticDecay) * input : SynapticDecay * q + input;
        var newR = ResetDecay * r - ResetWeight * (DetachReset ? s.detach() : s);
        var u = newP + newR + Param("bias");
        var spike = Surrogate.forward(Theta == 0 ? u : u - Theta);
        Set(Q, newQ);
        Set(P, newP);
        Set(R, newR);
        Set(U, u);
        Set(S, spike);
        return spike;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"StewartNeftciNeuron({TensorText.Shape(Shape)}, syn={SynapticDecay}, mem={MembraneDecay}, reset={ResetDecay}, w_r={ResetWeight}, theta={Theta}{(NormalizedTraces ? ", normalized" : "")}, {Surrogate})";

    private static double Fraction(double value, string what) =>
        value >= 0 && value < 1 ? value : throw new ArgumentException($"StewartNeftciNeuron: {what} must be in [0, 1), got {value}.", what);
}
