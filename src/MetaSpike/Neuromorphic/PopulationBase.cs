namespace MetaSpike.Neuromorphic;

/// <summary>A group of neurons or spike sources in a <see cref="NeuromorphicNetwork"/>; created by the network.</summary>
public abstract class PopulationBase
{
    private protected PopulationBase(NeuromorphicNetwork network, int size, string label)
    {
        if (size < 1) throw new ArgumentException($"population '{label}' must hold at least one neuron, got size {size}.", nameof(size));
        (Network, Size, Label) = (network, size, label);
    }

    /// <summary>The network the population belongs to.</summary>
    public NeuromorphicNetwork Network { get; }

    /// <summary>Neurons (or sources) in the population.</summary>
    public int Size { get; }

    /// <summary>A name for messages.</summary>
    public string Label { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Label} ({Size})";
}
