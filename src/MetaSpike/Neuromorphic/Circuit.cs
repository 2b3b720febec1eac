using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// The per-neuron constants of one run, as [neurons] tensors over all neuron groups side by side (with the chip's
/// mismatch applied), including the exact one-step propagators of the linear membrane/synapse system.
/// </summary>
internal sealed class Circuit
{
    private Circuit() { }

    /// <summary>Neurons in all groups.</summary>
    public int Neurons { get; private init; }

    /// <summary>exp(-dt / tau_mem).</summary>
    public Tensor MembraneDecay { get; private init; } = null!;

    /// <summary>Synaptic decays [2 x neurons]: excitatory then inhibitory.</summary>
    public Tensor SynapticDecay { get; private init; } = null!;

    /// <summary>
    /// Current-to-membrane propagators [2 x neurons], signed (inhibitory negative): a current I at t adds
    /// I tau_s / (tau_m - tau_s) (exp(-dt/tau_m) - exp(-dt/tau_s)) to V at t + dt.
    /// </summary>
    public Tensor CurrentToMembrane { get; private init; } = null!;

    /// <summary>(Leak + offset current) (1 - exp(-dt / tau_mem)): the constant drive per step.</summary>
    public Tensor ConstantDrive { get; private init; } = null!;

    /// <summary>1 - exp(-dt / tau_mem), the weight of a constant input over one step.</summary>
    public Tensor InputWeight { get; private init; } = null!;

    /// <summary>Leak potentials.</summary>
    public Tensor Leak { get; private init; } = null!;

    /// <summary>Reset potentials.</summary>
    public Tensor Reset { get; private init; } = null!;

    /// <summary>Thresholds.</summary>
    public Tensor Threshold { get; private init; } = null!;

    /// <summary>Refractory period in steps.</summary>
    public Tensor RefractorySteps { get; private init; } = null!;

    /// <summary>Synaptic gain per unit weight [2 x neurons] (excitatory, inhibitory), LSB.</summary>
    public Tensor Gain { get; private init; } = null!;

    /// <summary>Stationary membrane noise per step: sigma sqrt(1 - exp(-2 dt / tau_mem)).</summary>
    public Tensor NoiseScale { get; private init; } = null!;

    /// <summary>Synaptic decay powers d^j [chunk, 2 x neurons], j = 0 .. <see cref="MaxChunkForPowers"/> - 1.</summary>
    public Tensor SynapticDecayPowers { get; private init; } = null!;

    /// <summary>Inverse powers d^-j, same shape.</summary>
    public Tensor SynapticDecayInversePowers { get; private init; } = null!;

    /// <summary>The longest chunk whose inverse powers stay below e^40 (so float32 cannot overflow).</summary>
    public int MaxChunkForPowers { get; private init; }

    /// <summary>AdEx terms, or null when no neuron uses them.</summary>
    public AdExTerms? AdEx { get; private init; }

    /// <summary>Builds the constants of <paramref name="experiment"/>'s neuron groups on a chip with <paramref name="mismatch"/>.</summary>
    public static Circuit Build(Experiment experiment, ChipMismatch mismatch, double dtUs, double noiseLsb, ScalarType dtype, int chunkSteps)
    {
        int neurons = experiment.NeuronGroups.Sum(g => g.Size);
        var v = new Dictionary<string, double[]>();
        double[] Column(string name) => v.TryGetValue(name, out var c) ? c : v[name] = new double[neurons];
        bool adex = experiment.NeuronGroups.Any(g => g.Parameters.HasAdaptation || g.Parameters.ExponentialSlopeLsb > 0);
        int i = 0;
        foreach (var group in experiment.NeuronGroups)
            for (int k = 0; k < group.Size; k++, i++)
            {
                int hw = group.FirstHardwareNeuron + k;
                var p = mismatch.Apply(hw, group.Parameters);
                double pm = Math.Exp(-dtUs / p.TauMemUs), pe = Math.Exp(-dtUs / p.TauSynExcUs), pi = Math.Exp(-dtUs / p.TauSynInhUs);
                Column("pm")[i] = pm; Column("pe")[i] = pe; Column("pi")[i] = pi;
                Column("p21e")[i] = Propagator(p.TauMemUs, p.TauSynExcUs, dtUs);
                Column("p21i")[i] = -Propagator(p.TauMemUs, p.TauSynInhUs, dtUs);
                Column("drive")[i] = (p.LeakLsb + p.OffsetCurrentLsb) * (1 - pm);
                Column("input")[i] = 1 - pm;
                Column("leak")[i] = p.LeakLsb; Column("reset")[i] = p.ResetLsb; Column("threshold")[i] = p.ThresholdLsb;
                Column("refractory")[i] = Math.Round(p.RefractoryUs / dtUs);
                Column("gainE")[i] = p.SynapticGainLsb * mismatch.ExcitatoryGainFactor(hw);
                Column("gainI")[i] = p.SynapticGainLsb * mismatch.InhibitoryGainFactor(hw);
                Column("noise")[i] = noiseLsb * Math.Sqrt(1 - pm * pm);
                if (!adex) continue;
                Column("deltaT")[i] = p.ExponentialSlopeLsb;
                Column("invDeltaT")[i] = p.ExponentialSlopeLsb > 0 ? 1 / p.ExponentialSlopeLsb : 0;
                Column("vT")[i] = p.ExponentialThresholdLsb;
                double pw = Math.Exp(-dtUs / p.TauAdaptationUs);
                Column("pw")[i] = pw; Column("aw")[i] = p.AdaptationCoupling * (1 - pw); Column("b")[i] = p.AdaptationJumpLsb;
            }
        Tensor T(params string[] names) => tensor(names.SelectMany(n => v[n]).ToArray(), dtype);
        double fastest = v["pe"].Concat(v["pi"]).Max(d => -Math.Log(d)); // largest dt / tau_syn
        int maxChunk = (int)Math.Clamp(Math.Floor(40 / fastest), 1, chunkSteps);
        var logDecay = T("pe", "pi").log().to_type(ScalarType.Float64);
        var exponent = arange(maxChunk, ScalarType.Float64).unsqueeze(1) * logDecay; // j ln d
        var powers = exponent.exp().to_type(dtype);
        var inversePowers = exponent.neg().exp().to_type(dtype);
        return new Circuit
        {
            Neurons = neurons,
            MembraneDecay = T("pm"), SynapticDecay = T("pe", "pi"), CurrentToMembrane = T("p21e", "p21i"),
            ConstantDrive = T("drive"), InputWeight = T("input"), Leak = T("leak"), Reset = T("reset"), Threshold = T("threshold"),
            RefractorySteps = T("refractory"), Gain = T("gainE", "gainI"), NoiseScale = T("noise"),
            SynapticDecayPowers = powers, SynapticDecayInversePowers = inversePowers, MaxChunkForPowers = maxChunk,
            AdEx = adex ? new AdExTerms(T("deltaT"), T("invDeltaT"), T("vT"), T("pw"), T("aw"), T("b")) : null,
        };
    }

    /// <summary>
    /// tau_s / (tau_m - tau_s) (exp(-dt/tau_m) - exp(-dt/tau_s)): V's response at dt to a unit current at 0
    /// (tau_m dV/dt = -V + I, tau_s dI/dt = -I); the limit (dt / tau) exp(-dt / tau) when the time constants meet.
    /// </summary>
    internal static double Propagator(double tauMem, double tauSyn, double dtUs)
    {
        if (Math.Abs(tauMem - tauSyn) < 1e-9 * tauMem) return dtUs / tauMem * Math.Exp(-dtUs / tauMem);
        return tauSyn / (tauMem - tauSyn) * (Math.Exp(-dtUs / tauMem) - Math.Exp(-dtUs / tauSyn));
    }
}

/// <summary>The AdEx constants: slope, its inverse (0 where off), V_T, adaptation decay, a (1 - decay), b.</summary>
internal sealed record AdExTerms(Tensor DeltaT, Tensor InverseDeltaT, Tensor ExponentialThreshold, Tensor AdaptationDecay, Tensor Coupling, Tensor Jump);
