namespace MetaSpike.Neuromorphic;

/// <summary>What a <see cref="Population"/> records during a run (PyNN's <c>record(["spikes", "v"])</c>).</summary>
[Flags]
public enum Recordables
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Spike times of every neuron.</summary>
    Spikes = 1,

    /// <summary>The membrane potential of every neuron, sampled by the ADC in LSB.</summary>
    Membrane = 2,

    /// <summary>Spikes and membrane.</summary>
    All = Spikes | Membrane,
}
