using MetaSpike.Units;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Encoders;

/// <summary>Poisson (Bernoulli per step) spike trains, drawn from torch's global generator.</summary>
public static class PoissonEncoder
{
    /// <summary>Spikes [steps, ...shape] at a constant <paramref name="rate"/>: each step fires with probability rate·dt.</summary>
    public static Tensor Constant(long steps, long[] shape, Rate rate, Time dt, ScalarType dtype = ScalarType.Float32)
    {
        if (steps < 1 || shape.Any(d => d < 1))
            throw new ArgumentException($"PoissonEncoder: steps and every size must be >= 1, got steps={steps}, shape=[{string.Join(", ", shape)}].");
        var p = rate.ProbabilityPerStep(dt.RequirePositive(nameof(dt)));
        return rand([steps, .. shape]).lt(p).to_type(dtype);
    }

    /// <summary>Spikes [steps, ...] from per-element rates in Hz (e.g. pixel intensities times a maximum rate).</summary>
    public static Tensor FromRates(Tensor ratesHz, long steps, Time dt)
    {
        if (steps < 1) throw new ArgumentException($"PoissonEncoder: steps must be >= 1, got {steps}.", nameof(steps));
        var p = ratesHz * (dt.RequirePositive(nameof(dt)).Milliseconds / 1000.0);
        using (no_grad())
        {
            if (!(p.min().ToDouble() >= 0 && p.max().ToDouble() <= 1))
                throw new ArgumentException($"PoissonEncoder: rates must give per-step probabilities in [0, 1] at dt = {dt}.", nameof(ratesHz));
        }
        return rand([steps, .. p.shape], dtype: p.dtype).lt(p.unsqueeze(0)).to_type(p.dtype);
    }
}
