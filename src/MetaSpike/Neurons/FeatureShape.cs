namespace MetaSpike.Neurons;

/// <summary>The feature shape of a population (without batch): a size such as 128, or a shape such as [32, 16, 8] for a conv layer's output.</summary>
public readonly struct FeatureShape
{
    private readonly long[]? _dims;

    /// <summary>Creates the shape.</summary>
    public FeatureShape(params long[] dims) => _dims = dims.ToArray();

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<long> Dims => _dims ?? [];

    /// <summary>A 1-D population of <paramref name="size"/> units.</summary>
    public static implicit operator FeatureShape(long size) => new(size);

    /// <summary>A population of the given shape.</summary>
    public static implicit operator FeatureShape(long[] dims) => new(dims);

    /// <inheritdoc />
    public override string ToString() => $"[{string.Join(", ", Dims)}]";
}
