namespace MetaSpike.Neurons.Fused;

/// <summary>
/// The spiking part of a fused leaky scan: threshold, reset and refractory period, as in <see cref="Lif"/>.
/// </summary>
/// <param name="Threshold">Firing threshold: a spike where (v - Threshold) / Scale &gt;= 0.</param>
/// <param name="Scale">The surrogate's input scale (V_th0 - V_reset).</param>
/// <param name="Reset">How the previous step's spike resets the potential.</param>
/// <param name="VReset">The reset potential (also the clamp value while refractory).</param>
/// <param name="SubtractAmount">What <see cref="ResetMode.Subtract"/> removes (V_th - V_reset).</param>
/// <param name="RefractorySteps">Steps clamped to <paramref name="VReset"/> after a spike (0: none).</param>
internal sealed record SpikeRule(double Threshold, double Scale, ResetMode Reset, double VReset, double SubtractAmount, int RefractorySteps);

/// <summary>
/// The coefficients of one fused multi-step scan over [T, columns]:
/// <code>
/// syn[t] = A syn[t-1] + K x[t]                     (only with a synapse; else syn[t] = x[t])
/// pre[t] = V_rest + B (v[t-1] - V_rest) + G syn[t]  (G syn[t-1] with <see cref="DelayedSynapse"/>)
/// v[t]   = m[t] pre[t] + c[t]                      m, c from the previous spike and the refractory counter (no gradient)
/// </code>
/// Without a <see cref="Spiking"/> rule m = 1 and c = 0 (a linear leaky integrator: the exponential synapse or the readout).
/// Given the masks m the map x → v is linear, so its adjoint (the backward) and tangent (the backward's backward)
/// are linear scans with the same masks, and derivatives of any order exist.
/// </summary>
/// <param name="HasSynapse">Whether an exponential synapse filters x first.</param>
/// <param name="A">Synapse decay exp(-dt/tau_syn).</param>
/// <param name="B">Membrane decay exp(-dt/tau_mem).</param>
/// <param name="G">Input gain.</param>
/// <param name="VRest">Resting potential.</param>
/// <param name="Spiking">The threshold and reset, or null for a non-spiking integrator.</param>
internal sealed record ScanSpec(bool HasSynapse, double A, double B, double G, double VRest, SpikeRule? Spiking)
{
    /// <summary>K, the synaptic trace's input gain (default 1).</summary>
    public double SynapseGain { get; init; } = 1.0;

    /// <summary>
    /// Whether the potential integrates the trace of the previous step (before this step's input), as the membrane
    /// trace of <see cref="StewartNeftciNeuron"/> does, instead of the updated one (default false: the Expon + LIF order).
    /// </summary>
    public bool DelayedSynapse { get; init; }

    /// <summary>A non-spiking integrator v = V_rest + B (v - V_rest) + G x.</summary>
    public static ScanSpec Integrator(double decay, double gain = 1.0, double vRest = 0.0) => new(false, 0.0, decay, gain, vRest, null);

    /// <summary>
    /// Two cascaded traces without spikes: q[t] = A q[t-1] + K x[t], p[t] = B p[t-1] + G q[t-1] (the synaptic and
    /// membrane traces of <see cref="StewartNeftciNeuron"/>; v is p, the synaptic trace is q).
    /// </summary>
    public static ScanSpec DelayedTraces(double synapticDecay, double synapticGain, double membraneDecay, double membraneGain) =>
        new(true, synapticDecay, membraneDecay, membraneGain, 0.0, null) { SynapseGain = synapticGain, DelayedSynapse = true };
}
