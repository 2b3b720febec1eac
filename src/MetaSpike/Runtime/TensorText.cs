using static TorchSharp.torch;

namespace MetaSpike.Runtime;

/// <summary>Small tensor helpers shared by error messages and dtype handling across the library.</summary>
internal static class TensorText
{
    /// <summary>A shape as "[2, 3]".</summary>
    internal static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>A tensor's shape as "[2, 3]".</summary>
    internal static string ShapeText(this Tensor t) => Shape(t.shape);

    /// <summary>A differentiable cast of <paramref name="value"/> to the dtype of <paramref name="like"/>, if it differs.</summary>
    internal static Tensor CastLike(Tensor value, Tensor like) =>
        value.dtype == like.dtype ? value : value.to_type(like.dtype);
}
