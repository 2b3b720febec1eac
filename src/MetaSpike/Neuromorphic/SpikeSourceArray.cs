using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// Spike sources that fire at given times (PyNN's <c>SpikeSourceArray</c>), for one trial or a batch of trials.
/// Times are µs from the start of the run; they must be finite, non-negative, strictly increasing per source and
/// earlier than the run's end. Default: no spikes.
/// </summary>
public sealed class SpikeSourceArray : PopulationBase
{
    internal SpikeSourceArray(NeuromorphicNetwork network, int size, string label) : base(network, size, label)
    {
        Spikes = SpikeTrains.Empty(1, size);
    }

    /// <summary>The current spike times.</summary>
    public SpikeTrains Spikes { get; private set; }

    /// <summary>Trials the sources hold (1 is shared by every trial of a run).</summary>
    public int Trials => Spikes.Trials;

    /// <summary>One trial: <paramref name="perSource"/>[i] are the times (µs) of source i.</summary>
    /// <exception cref="ArgumentException">Not one list per source, or invalid times.</exception>
    public void SetSpikeTimes(IReadOnlyList<IReadOnlyList<double>> perSource) => SetSpikeTimes(SpikeTrains.FromTimes(perSource));

    /// <summary>Spike times for one or more trials.</summary>
    /// <exception cref="ArgumentException">A different number of sources than the population's size.</exception>
    public void SetSpikeTimes(SpikeTrains spikes)
    {
        ArgumentNullException.ThrowIfNull(spikes);
        if (spikes.Neurons != Size) throw new ArgumentException($"'{Label}' has {Size} sources, the spike trains {spikes.Neurons}.", nameof(spikes));
        Spikes = spikes;
    }

    /// <summary>
    /// Spikes from a binned 0/1 tensor [trials, steps, sources] on the substrate's grid: a 1 in step k is a spike at k dt.
    /// </summary>
    /// <exception cref="ArgumentException">The wrong shape or values other than 0 and 1.</exception>
    public void SetBinnedSpikes(Tensor binned) => SetSpikeTimes(SpikeTrains.FromBinned(binned, Network.DtUs));
}
