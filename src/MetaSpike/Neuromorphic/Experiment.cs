namespace MetaSpike.Neuromorphic;

/// <summary>
/// Everything a backend needs to run one experiment, independent of the PyNN-like objects that described it:
/// neuron groups placed on hardware neurons, spike sources, and integer synapse matrices. A run starts from the
/// resting state at t = 0 and lasts <see cref="DurationUs"/>; each of the <see cref="Trials"/> trials is an
/// independent repetition with its own inputs (on hardware: back-to-back runs; in the emulator: one batch).
/// </summary>
/// <param name="DurationUs">Run duration in µs (&gt; 0).</param>
/// <param name="Trials">Trials (batch size, &gt;= 1). Sources with one trial are shared by all trials.</param>
/// <param name="NeuronGroups">Neuron populations, in the order of the results.</param>
/// <param name="Sources">Spike source populations.</param>
/// <param name="Synapses">Synapse matrices between them.</param>
public sealed record Experiment(
    double DurationUs,
    int Trials,
    IReadOnlyList<NeuronGroup> NeuronGroups,
    IReadOnlyList<SourceGroup> Sources,
    IReadOnlyList<SynapseMatrix> Synapses)
{
    /// <summary>Checks that the experiment is consistent and fits <paramref name="substrate"/> (for backends).</summary>
    /// <exception cref="ArgumentException">A non-positive or non-finite duration, no trials, an empty or overlapping or
    /// misplaced group, invalid neuron parameters, sources with the wrong number of trials or spikes at or after the end
    /// of the run, or synapses with a bad group index, size or weight.</exception>
    public void Validate(SubstrateProperties substrate)
    {
        ArgumentNullException.ThrowIfNull(substrate);
        if (!double.IsFinite(DurationUs) || DurationUs <= 0) throw new ArgumentException($"the run duration must be finite and > 0 µs, got {DurationUs}.");
        if (Trials < 1) throw new ArgumentException($"an experiment needs at least one trial, got {Trials}.");
        var used = new bool[substrate.NeuronCount];
        for (int g = 0; g < NeuronGroups.Count; g++)
        {
            var group = NeuronGroups[g];
            if (group.Size < 1) throw new ArgumentException($"neuron group {g} is empty.");
            group.Parameters.Validate();
            if (group.FirstHardwareNeuron < 0 || group.FirstHardwareNeuron + group.Size > substrate.NeuronCount)
                throw new ArgumentException($"neuron group {g} ({group.Size} neurons from neuron {group.FirstHardwareNeuron}) does not fit on the {substrate.NeuronCount} neurons of {substrate.Name}.");
            for (int n = group.FirstHardwareNeuron; n < group.FirstHardwareNeuron + group.Size; n++)
            {
                if (used[n]) throw new ArgumentException($"neuron group {g} overlaps another group on hardware neuron {n}.");
                used[n] = true;
            }
        }
        for (int s = 0; s < Sources.Count; s++)
        {
            var spikes = Sources[s].Spikes;
            if (spikes.Trials != 1 && spikes.Trials != Trials)
                throw new ArgumentException($"source group {s} has {spikes.Trials} trials; the experiment has {Trials} (sources must have 1 or {Trials}).");
            double latest = spikes.LatestTimeUs;
            if (latest >= DurationUs) throw new ArgumentException($"source group {s} spikes at {latest} µs, outside the run [0, {DurationUs}) µs.");
        }
        for (int i = 0; i < Synapses.Count; i++) ValidateSynapses(i, substrate.MaxWeight);
    }

    /// <summary>Size of the group <paramref name="group"/> refers to.</summary>
    public int SizeOf(GroupRef group) => group.IsSource ? Sources[group.Index].Size : NeuronGroups[group.Index].Size;

    private void ValidateSynapses(int i, int maxWeight)
    {
        var synapses = Synapses[i];
        int groups = synapses.Pre.IsSource ? Sources.Count : NeuronGroups.Count;
        if ((uint)synapses.Pre.Index >= (uint)groups) throw new ArgumentException($"synapse matrix {i} starts at a group that does not exist ({synapses.Pre}).");
        if ((uint)synapses.PostGroup >= (uint)NeuronGroups.Count) throw new ArgumentException($"synapse matrix {i} ends at neuron group {synapses.PostGroup}, which does not exist.");
        int pre = SizeOf(synapses.Pre), post = NeuronGroups[synapses.PostGroup].Size;
        if (synapses.Weights.Length != pre * post)
            throw new ArgumentException($"synapse matrix {i} holds {synapses.Weights.Length} weights, its groups need {pre} x {post}.");
        var weights = synapses.Weights.Span;
        for (int k = 0; k < weights.Length; k++)
            if (!(weights[k] >= 0 && weights[k] <= maxWeight && weights[k] == MathF.Round(weights[k])))
                throw new ArgumentException($"synapse matrix {i} has weight {weights[k]} at ({k / post}, {k % post}); weights must be integers 0 .. {maxWeight}.");
    }
}

/// <summary>A population of hardware neurons.</summary>
/// <param name="FirstHardwareNeuron">The chip neuron of the group's neuron 0 (the group occupies consecutive neurons).</param>
/// <param name="Size">Neurons in the group.</param>
/// <param name="Parameters">Nominal neuron parameters (the chip adds its mismatch).</param>
/// <param name="Record">What to record.</param>
public sealed record NeuronGroup(int FirstHardwareNeuron, int Size, NeuronParameters Parameters, Recordables Record);

/// <summary>A population of spike sources with given times.</summary>
/// <param name="Spikes">Spike times per trial (1 or the experiment's trials) and source.</param>
public sealed record SourceGroup(SpikeTrains Spikes)
{
    /// <summary>Sources in the group.</summary>
    public int Size => Spikes.Neurons;
}

/// <summary>Where a projection starts: a source group or a neuron group, by index into the experiment's lists.</summary>
/// <param name="IsSource">Whether <paramref name="Index"/> refers to <see cref="Experiment.Sources"/> (else <see cref="Experiment.NeuronGroups"/>).</param>
/// <param name="Index">The group's index.</param>
public readonly record struct GroupRef(bool IsSource, int Index);

/// <summary>The synapses of one projection: integer weights 0 .. MaxWeight, row-major [pre, post], 0 where no synapse.</summary>
/// <param name="Pre">The pre-synaptic group.</param>
/// <param name="PostGroup">Index of the post-synaptic neuron group.</param>
/// <param name="Receptor">Excitatory or inhibitory input.</param>
/// <param name="Weights">Row-major [pre size x post size] integer-valued weights.</param>
public sealed record SynapseMatrix(GroupRef Pre, int PostGroup, ReceptorType Receptor, ReadOnlyMemory<float> Weights);
