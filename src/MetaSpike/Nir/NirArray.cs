using System.Globalization;
using static TorchSharp.torch;

namespace MetaSpike.Nir;

/// <summary>How a <see cref="NirArray"/> is stored in the HDF5 file.</summary>
public enum NirElementType
{
    /// <summary>32-bit float (weights, written as the model holds them).</summary>
    Float32,

    /// <summary>64-bit float (time constants, voltages, resistances).</summary>
    Float64,

    /// <summary>64-bit integer (shapes, strides, padding).</summary>
    Int64,

    /// <summary>A string.</summary>
    Text,
}

/// <summary>
/// One dataset of a NIR node: a numeric array of any rank (rank 0 is a scalar) or a string. Numbers are held as
/// doubles, which represent float32, float64 and integer values up to 2^53 exactly.
/// </summary>
/// <param name="Shape">Dimensions (empty for a scalar or a string).</param>
/// <param name="Values">The numbers in row-major order (empty for a string).</param>
/// <param name="ElementType">How the array is stored.</param>
/// <param name="Text">The string, for <see cref="NirElementType.Text"/>.</param>
public sealed record NirArray(long[] Shape, double[] Values, NirElementType ElementType, string? Text = null)
{
    /// <summary>Number of elements.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Whether this is a string.</summary>
    public bool IsText => ElementType == NirElementType.Text;

    /// <summary>A string dataset.</summary>
    public static NirArray Of(string text) => new([], [], NirElementType.Text, text);

    /// <summary>A float64 scalar.</summary>
    public static NirArray Scalar(double value) => new([], [value], NirElementType.Float64);

    /// <summary>An int64 scalar.</summary>
    public static NirArray Integer(long value) => new([], [value], NirElementType.Int64);

    /// <summary>A one-dimensional int64 array (a shape, a stride pair).</summary>
    public static NirArray Integers(params long[] values) => new([values.Length], values.Select(v => (double)v).ToArray(), NirElementType.Int64);

    /// <summary>A float64 array of <paramref name="shape"/> with every element <paramref name="value"/> (a per-neuron parameter).</summary>
    public static NirArray Filled(IReadOnlyList<long> shape, double value)
    {
        var dims = shape.ToArray();
        return new(dims, Enumerable.Repeat(value, checked((int)dims.Aggregate(1L, (a, b) => a * b))).ToArray(), NirElementType.Float64);
    }

    /// <summary>A float32 copy of a tensor's values (detached, on the CPU).</summary>
    public static NirArray FromTensor(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var data = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return new(data.shape.ToArray(), data.data<float>().Select(v => (double)v).ToArray(), NirElementType.Float32);
    }

    /// <summary>The values as a float32 tensor of <see cref="Shape"/>.</summary>
    public Tensor ToTensor() => tensor(Values.Select(v => (float)v).ToArray(), Shape);

    /// <summary>Shape as text, e.g. "[3, 4]".</summary>
    public string ShapeText => $"[{string.Join(", ", Shape)}]";

    /// <inheritdoc />
    public override string ToString() => IsText ? $"\"{Text}\""
        : Count <= 4 ? $"{ShapeText} {{{string.Join(", ", Values.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))}}}"
        : $"{ElementType} {ShapeText}";
}
