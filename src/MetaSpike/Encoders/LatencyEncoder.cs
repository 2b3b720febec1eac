using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Encoders;

/// <summary>
/// Time-to-first-spike coding: each element fires once, the brighter the earlier, at step
/// t = floor((1 - intensity) * steps); an intensity of 0 (t = steps) never fires. Deterministic.
/// </summary>
public static class LatencyEncoder
{
    /// <summary>Spikes [steps, ...] (in the input's dtype) from intensities in [0, 1].</summary>
    /// <exception cref="ArgumentException">steps &lt; 1, a non-floating input, or an intensity outside [0, 1] (NaN included).</exception>
    public static Tensor Encode(Tensor intensities, long steps)
    {
        ArgumentNullException.ThrowIfNull(intensities);
        if (steps < 1) throw new ArgumentException($"LatencyEncoder: steps must be >= 1, got {steps}.", nameof(steps));
        if (!intensities.is_floating_point())
            throw new ArgumentException($"LatencyEncoder: intensities must be floating-point, got {intensities.dtype}.", nameof(intensities));
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            if (intensities.numel() > 0 && !(intensities.min().ToDouble() >= 0 && intensities.max().ToDouble() <= 1))
                throw new ArgumentException("LatencyEncoder: intensities must lie in [0, 1].", nameof(intensities));
            var time = ((1 - intensities.detach()) * steps).floor().to_type(ScalarType.Int64);
            var grid = arange(steps, dtype: ScalarType.Int64, device: intensities.device)
                .reshape([steps, .. Enumerable.Repeat(1L, (int)intensities.dim())]);
            return grid.eq(time.unsqueeze(0)).to_type(intensities.dtype).MoveToOuterDisposeScope();
        }
    }
}
