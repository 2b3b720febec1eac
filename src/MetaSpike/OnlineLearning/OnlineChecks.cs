using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// Argument checks of the online rules. They run before any torch op, since some libtorch errors abort the process
/// in TorchSharp 0.107.0 instead of throwing, and they name the function and the argument.
/// </summary>
internal static class OnlineChecks
{
    internal static void Positive(string fn, double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentException($"{fn}: {name} must be finite and > 0, got {value}.", name);
    }

    internal static void Finite(string fn, double value, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"{fn}: {name} must be finite, got {value}.", name);
    }

    internal static void InUnitInterval(string fn, double value, string name)
    {
        if (!double.IsFinite(value) || value < 0 || value >= 1)
            throw new ArgumentException($"{fn}: {name} must be in [0, 1), got {value}.", name);
    }

    /// <summary>
    /// A recorded series, time-first [T, C] or batched [B, T, C], with finite values; returned as float64 (bool and
    /// integer spike rasters are accepted and converted).
    /// </summary>
    internal static Tensor Series(string fn, Tensor? t, string name)
    {
        if (t is null) throw new ArgumentNullException(name, $"{fn}: {name} is null.");
        if (t.IsInvalid) throw new ArgumentException($"{fn}: {name} has been disposed.", name);
        if (t.dim() is not (2 or 3))
            throw new ArgumentException($"{fn}: {name} must be [steps, channels] or [batch, steps, channels], got shape {t.ShapeText()}.", name);
        if (t.numel() == 0)
            throw new ArgumentException($"{fn}: {name} is empty (shape {t.ShapeText()}).", name);
        if (t.is_complex())
            throw new ArgumentException($"{fn}: {name} must be real, got {t.dtype}.", name);
        var values = t.to_type(ScalarType.Float64);
        if (!Checks.AllFinite(values))
            throw new ArgumentException($"{fn}: {name} contains NaN or infinite values.", name);
        return values;
    }

    /// <summary>Series that must agree in dimensions, batch and step count.</summary>
    internal static void SameLayout(string fn, Tensor a, string aName, Tensor b, string bName)
    {
        if (a.dim() != b.dim())
            throw new ArgumentException($"{fn}: {aName} {a.ShapeText()} and {bName} {b.ShapeText()} must both be batched or both unbatched.", bName);
        int time = a.dim() == 3 ? 1 : 0;
        if (a.dim() == 3 && a.shape[0] != b.shape[0])
            throw new ArgumentException($"{fn}: {aName} {a.ShapeText()} and {bName} {b.ShapeText()} have different batch sizes.", bName);
        if (a.shape[time] != b.shape[time])
            throw new ArgumentException($"{fn}: {aName} {a.ShapeText()} and {bName} {b.ShapeText()} have different numbers of steps.", bName);
    }

    internal static void SameShape(string fn, Tensor a, string aName, Tensor b, string bName)
    {
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"{fn}: {aName} and {bName} must have the same shape, got {a.ShapeText()} and {b.ShapeText()}.", bName);
    }

    /// <summary>A finite float64 matrix with <paramref name="rows"/> rows and, if given, <paramref name="columns"/> columns.</summary>
    internal static Tensor Matrix(string fn, Tensor? t, string name, long rows, long? columns = null)
    {
        if (t is null) throw new ArgumentNullException(name, $"{fn}: {name} is null.");
        if (t.IsInvalid) throw new ArgumentException($"{fn}: {name} has been disposed.", name);
        string expected = $"[{rows}, {(columns is { } c ? c.ToString() : "N")}]";
        if (t.dim() != 2 || t.shape[0] != rows || (columns is { } n && t.shape[1] != n) || t.shape[1] == 0)
            throw new ArgumentException($"{fn}: {name} must have shape {expected}, got {t.ShapeText()}.", name);
        var values = t.to_type(ScalarType.Float64);
        if (!Checks.AllFinite(values))
            throw new ArgumentException($"{fn}: {name} contains NaN or infinite values.", name);
        return values;
    }

    internal static long Steps(Tensor series) => series.shape[series.dim() - 2];

    internal static long Channels(Tensor series) => series.shape[series.dim() - 1];
}
