using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// Maps a recorded membrane to the normalised scale of the surrogate, (v - Zero) / Range, so that the threshold sits
/// near 1. The tutorial takes Zero = min and Range = max - min of the trace recorded with the target weights.
/// </summary>
/// <param name="Zero">The potential mapped to 0.</param>
/// <param name="Range">The potential difference mapped to 1, finite and &gt; 0.</param>
public sealed record MembraneNormalization(double Zero, double Range)
{
    /// <summary>Zero = min(trace), Range = max(trace) - min(trace), as the tutorial reads them off the target run.</summary>
    /// <param name="trace">A recorded membrane, any shape, finite.</param>
    /// <exception cref="ArgumentException">An empty or non-finite trace, or a flat one (range 0).</exception>
    public static MembraneNormalization FromTrace(Tensor trace)
    {
        const string fn = "MembraneNormalization.FromTrace";
        ArgumentNullException.ThrowIfNull(trace);
        if (trace.numel() == 0) throw new ArgumentException($"{fn}: the trace is empty.", nameof(trace));
        var v = trace.to_type(ScalarType.Float64);
        if (!Checks.AllFinite(v)) throw new ArgumentException($"{fn}: the trace contains NaN or infinite values.", nameof(trace));
        double min = v.min().ToDouble(), max = v.max().ToDouble();
        if (!(max > min)) throw new ArgumentException($"{fn}: the trace is flat at {min}; its range cannot normalise it.", nameof(trace));
        return new MembraneNormalization(min, max - min);
    }

    /// <summary>(v - Zero) / Range, float64.</summary>
    /// <param name="membrane">A recorded membrane.</param>
    /// <exception cref="ArgumentException">Range is not finite and positive, or Zero is not finite.</exception>
    public Tensor Apply(Tensor membrane)
    {
        const string fn = "MembraneNormalization.Apply";
        ArgumentNullException.ThrowIfNull(membrane);
        OnlineChecks.Finite(fn, Zero, nameof(Zero));
        OnlineChecks.Positive(fn, Range, nameof(Range));
        return (membrane.to_type(ScalarType.Float64) - Zero) / Range;
    }
}
