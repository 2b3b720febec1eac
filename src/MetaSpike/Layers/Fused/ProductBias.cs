using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>
/// The bias of a fused linear product (<see cref="SparseProductFunction"/>, <see cref="NarrowProductFunction"/>), added
/// to every row inside the kernel: which tensors qualify, and its gradient, the column sums of the incoming gradient.
/// </summary>
internal static class ProductBias
{
    private const string Key = "bias";

    /// <summary>Whether <paramref name="bias"/> is null or a vector [outputs] of <paramref name="weight"/> [outputs, inputs]'s dtype and device.</summary>
    public static bool IsBiasOf(Tensor? bias, Tensor weight) =>
        bias is null || (bias.dim() == 1 && bias.shape[0] == weight.shape[0] && bias.dtype == weight.dtype && bias.device_type == weight.device_type);

    /// <summary>The optional bias among a node's inputs (at <paramref name="position"/>), noted in <paramref name="ctx"/> for <see cref="Gradients"/>.</summary>
    public static Tensor? Save(autograd.AutogradContext ctx, object[] vars, int position)
    {
        var bias = vars.Length > position ? vars[position] as Tensor : null;
        ctx.save_data(Key, bias?.requires_grad);
        return bias;
    }

    /// <summary>
    /// <paramref name="gradients"/> (one per input before the bias) followed by the bias's gradient when the node was
    /// given a bias: Σ over rows of <paramref name="grad"/>, or null when the bias needs none.
    /// </summary>
    public static List<Tensor> Gradients(autograd.AutogradContext ctx, Tensor grad, List<Tensor> gradients)
    {
        if (ctx.get_data(Key) is bool needsGrad) gradients.Add(needsGrad ? grad.sum([0]) : null!);
        return gradients;
    }
}
