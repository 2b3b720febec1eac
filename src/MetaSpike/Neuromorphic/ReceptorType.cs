namespace MetaSpike.Neuromorphic;

/// <summary>
/// The synaptic input a projection drives. Hardware synapses are unsigned (Dale's law): an excitatory projection
/// raises the membrane and an inhibitory one lowers it, each through its own current-based exponential synapse.
/// </summary>
public enum ReceptorType
{
    /// <summary>Excitatory input: each spike raises the excitatory synaptic current by weight x gain.</summary>
    Excitatory,

    /// <summary>Inhibitory input: each spike raises the inhibitory current, which is subtracted from the membrane drive.</summary>
    Inhibitory,
}
