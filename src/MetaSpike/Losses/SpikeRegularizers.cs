using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Losses;

/// <summary>
/// Activity regularisers on spike trains shaped [T, B, ...] (time, batch, then any neuron dimensions). Spikes
/// must be floating point; those from surrogate spike functions carry gradients and every result is
/// differentiable. Each result is a scalar in the spikes' dtype, on their device.
/// </summary>
public static class SpikeRegularizers
{
    /// <summary>The mean number of spikes per neuron per sample: the sum over time, averaged over batch and neurons.</summary>
    /// <param name="spikes">Spike trains [T, B, ...].</param>
    /// <exception cref="ArgumentException">Non-floating spikes, fewer than two dimensions or an empty tensor.</exception>
    public static Tensor SpikeCount(Tensor spikes)
    {
        CheckSpikes("SpikeRegularizers.SpikeCount", spikes);
        return LossChecks.SumOverTime(spikes).mean();
    }

    /// <summary>The mean firing rate in Hz: <see cref="SpikeCount"/> / (T * dt / 1000), with dt in milliseconds.</summary>
    /// <param name="spikes">Spike trains [T, B, ...].</param>
    /// <param name="dt">The time step in milliseconds, finite and &gt; 0.</param>
    /// <exception cref="ArgumentException">Invalid spikes, or dt not finite and positive.</exception>
    public static Tensor FiringRate(Tensor spikes, double dt)
    {
        const string fn = "SpikeRegularizers.FiringRate";
        CheckSpikes(fn, spikes);
        LossChecks.Positive(fn, dt, nameof(dt));
        return LossChecks.SumOverTime(spikes).mean() / Seconds(spikes, dt);
    }

    /// <summary>
    /// A penalty that keeps each neuron's rate inside [lower, upper] Hz: with rate_i the firing rate of neuron i
    /// in Hz, averaged over time and batch, the result is the mean over neurons of
    /// relu(lower - rate_i)^2 + relu(rate_i - upper)^2. It is 0 while every rate lies in the band and grows
    /// quadratically, in Hz^2, outside it, so scale it to the size of the task loss.
    /// </summary>
    /// <param name="spikes">Spike trains [T, B, ...]; every position after the batch dimension is a neuron.</param>
    /// <param name="lower">Lower rate bound in Hz, finite and &gt;= 0 (0 disables it).</param>
    /// <param name="upper">Upper rate bound in Hz, &gt;= <paramref name="lower"/>; +infinity disables it.</param>
    /// <param name="dt">The time step in milliseconds, finite and &gt; 0.</param>
    /// <exception cref="ArgumentException">Invalid spikes, bounds out of order or not numbers, or dt not finite and positive.</exception>
    public static Tensor RateRegularizer(Tensor spikes, double lower, double upper, double dt)
    {
        const string fn = "SpikeRegularizers.RateRegularizer";
        CheckSpikes(fn, spikes);
        LossChecks.Positive(fn, dt, nameof(dt));
        if (!double.IsFinite(lower) || lower < 0)
            throw new ArgumentException($"{fn}: lower must be finite and >= 0 Hz, got {lower}.", nameof(lower));
        if (double.IsNaN(upper) || upper < lower)
            throw new ArgumentException($"{fn}: upper must be >= lower ({lower} Hz), got {upper}.", nameof(upper));

        var rate = LossChecks.SumOverTime(spikes).mean([0]) / Seconds(spikes, dt);
        return ((lower - rate).relu().square() + (rate - upper).relu().square()).mean();
    }

    /// <summary>
    /// The mean over batch and neurons of the squared spike count per neuron per sample, (sum over t of s[t, b, i])^2:
    /// the per-neuron activity regulariser of Zenke &amp; Vogels (2021), which penalises a few very active neurons
    /// more than many moderately active ones.
    /// </summary>
    /// <param name="spikes">Spike trains [T, B, ...].</param>
    /// <exception cref="ArgumentException">Non-floating spikes, fewer than two dimensions or an empty tensor.</exception>
    public static Tensor L2SpikeCount(Tensor spikes)
    {
        CheckSpikes("SpikeRegularizers.L2SpikeCount", spikes);
        return LossChecks.SumOverTime(spikes).square().mean();
    }

    private static double Seconds(Tensor spikes, double dtMs) => spikes.shape[0] * dtMs / 1000.0;

    private static void CheckSpikes(string fn, Tensor spikes)
    {
        LossChecks.Floating(fn, spikes, nameof(spikes));
        if (spikes.dim() < 2)
            throw new ArgumentException($"{fn}: spikes must be [T, B, ...], got shape {LossChecks.Shape(spikes)}.", nameof(spikes));
        LossChecks.NotEmpty(fn, spikes, nameof(spikes));
    }
}
