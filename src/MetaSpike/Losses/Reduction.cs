namespace MetaSpike.Losses;

/// <summary>How a loss combines its per-element values.</summary>
public enum Reduction
{
    /// <summary>The average over all elements (the default).</summary>
    Mean,

    /// <summary>The sum over all elements.</summary>
    Sum,

    /// <summary>No reduction: the per-element values.</summary>
    None,
}
