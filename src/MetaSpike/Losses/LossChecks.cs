using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Losses;

/// <summary>
/// Argument checks shared by the losses, regularisers and metrics. They run in C# before any torch op because
/// some libtorch errors abort the process in TorchSharp 0.107.0 instead of throwing.
/// </summary>
internal static class LossChecks
{
    internal static string Shape(Tensor t) => t.ShapeText();

    internal static void NotNull(string fn, Tensor? t, string name)
    {
        if (t is null) throw new ArgumentNullException(name, $"{fn}: {name} is null.");
        if (t.IsInvalid) throw new ArgumentException($"{fn}: {name} has been disposed.", name);
    }

    internal static void Floating(string fn, Tensor t, string name)
    {
        NotNull(fn, t, name);
        if (!t.is_floating_point())
            throw new ArgumentException($"{fn}: {name} must be a floating-point tensor, got {t.dtype}.", name);
    }

    /// <summary>Integer class indices; bool is refused since it is almost always a mask passed by mistake.</summary>
    internal static void Integer(string fn, Tensor t, string name)
    {
        NotNull(fn, t, name);
        if (t.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
            throw new ArgumentException($"{fn}: {name} must be an integer tensor (class indices), got {t.dtype}.", name);
    }

    internal static void SameShape(string fn, Tensor a, string aName, Tensor b, string bName)
    {
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"{fn}: {aName} and {bName} must have the same shape, got {Shape(a)} and {Shape(b)}.", bName);
    }

    internal static void SameDevice(string fn, Tensor a, string aName, Tensor b, string bName)
    {
        if (a.device_type != b.device_type || a.device_index != b.device_index)
            throw new ArgumentException($"{fn}: {aName} is on {a.device}, {bName} on {b.device}.", bName);
    }

    internal static void NotEmpty(string fn, Tensor t, string name)
    {
        if (t.numel() == 0)
            throw new ArgumentException($"{fn}: {name} is empty (shape {Shape(t)}).", name);
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and strictly positive.</summary>
    internal static void Positive(string fn, double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentException($"{fn}: {name} must be finite and > 0, got {value}.", name);
    }

    /// <summary>Throws if a 1-D label tensor holds a value outside [0, classes); one min and one max read back.</summary>
    internal static void LabelsInRange(string fn, Tensor labels, long classes, string name)
    {
        long min = labels.min().ToInt64();
        long max = labels.max().ToInt64();
        if (min < 0 || max >= classes)
            throw new ArgumentException(
                $"{fn}: {name} must lie in [0, {classes}), got values from {min} to {max}.", name);
    }

    /// <summary>One reduction and one read back; used only where NaN would silently spoil the result.</summary>
    internal static void NoNaN(string fn, Tensor t, string name)
    {
        if (t.isnan().any().item<bool>())
            throw new ArgumentException($"{fn}: {name} contains NaN.", name);
    }

    /// <summary>
    /// The sum over dimension 0 (time). Written with a long because a literal 0 binds to the sum(ScalarType)
    /// overload (0 converts to any enum) and would sum everything as Byte.
    /// </summary>
    internal static Tensor SumOverTime(Tensor x) => x.sum(0L);

    internal static Tensor Reduce(Tensor perElement, Reduction reduction) => reduction switch
    {
        Reduction.Mean => perElement.mean(),
        Reduction.Sum => perElement.sum(),
        Reduction.None => perElement,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "unknown reduction."),
    };
}
