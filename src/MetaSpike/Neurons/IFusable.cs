namespace MetaSpike.Neurons;

/// <summary>
/// A layer whose whole-sequence pass (<c>Sequence</c>) can run as one fused CPU kernel with its own backward and
/// double backward, instead of a handful of tensor operations per time step. The unfused path stays the reference
/// and serves other devices and dtypes: with <see cref="Fused"/> on, a sequence that is not a CPU float32/float64
/// tensor still runs unfused. Single steps (<c>Step</c>) are never fused.
/// </summary>
public interface IFusable
{
    /// <summary>Whether <c>Sequence</c> runs the fused kernel (default false).</summary>
    /// <exception cref="NotSupportedException">Set to true while <see cref="FusedUnsupportedReason"/> is not null.</exception>
    bool Fused { get; set; }

    /// <summary>Why the fused kernel cannot reproduce this layer's configuration (values and gradients), or null if it can.</summary>
    string? FusedUnsupportedReason { get; }
}
