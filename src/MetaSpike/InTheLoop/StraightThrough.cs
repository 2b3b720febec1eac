using static TorchSharp.torch;

namespace MetaSpike.InTheLoop;

/// <summary>
/// The straight-through substitution of in-the-loop training (Cramer et al. 2022): model + (hardware - model).detach()
/// has the hardware's value in the forward pass and the model's gradient in the backward pass (its derivative with
/// respect to anything is that of <c>model</c>).
/// </summary>
public static class StraightThrough
{
    /// <summary>A tensor with <paramref name="hardware"/>'s values and <paramref name="model"/>'s gradient.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor Substitute(Tensor model, Tensor hardware)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(hardware);
        if (!model.shape.SequenceEqual(hardware.shape))
            throw new ArgumentException($"StraightThrough.Substitute: the model [{string.Join(", ", model.shape)}] and the hardware [{string.Join(", ", hardware.shape)}] must have the same shape.", nameof(hardware));
        return model + (hardware.to_type(model.dtype) - model).detach();
    }
}
