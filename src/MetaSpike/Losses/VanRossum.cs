using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Losses;

/// <summary>
/// The van Rossum distance between spike trains (van Rossum 2001): both trains are filtered with a causal kernel
/// and the squared difference is integrated over time. Spike trains are time-first, [T, ...] (e.g. [T, B, N]),
/// and may carry surrogate gradients; everything is differentiable.
/// </summary>
public static class VanRossum
{
    /// <summary>
    /// The causal convolution filtered[t] = sum over s &lt;= t of k((t - s) * dt) * x[s], computed as a recursion
    /// over time (trace = exp(-dt / tau) * trace + x[t]; the difference of two traces for the
    /// difference-of-exponentials kernel), so the kernel sampled at 0, dt, 2dt, ... is applied exactly.
    /// </summary>
    /// <param name="x">Input [T, ...], floating point, T &gt;= 1.</param>
    /// <param name="kernel">The kernel.</param>
    /// <param name="dt">The time step in the kernel's time unit, finite and &gt; 0.</param>
    /// <returns>The filtered trace, of x's shape, dtype and device.</returns>
    /// <exception cref="ArgumentException">A non-floating or zero-dimensional input, T = 0, or dt not finite and positive.</exception>
    public static Tensor Filter(Tensor x, VanRossumKernel kernel, double dt = 1)
    {
        const string fn = "VanRossum.Filter";
        CheckTrain(fn, x, nameof(x));
        ArgumentNullException.ThrowIfNull(kernel);
        LossChecks.Positive(fn, dt, nameof(dt));
        return FilterUnchecked(x, kernel, dt);
    }

    /// <summary>
    /// 0.5 * dt * sum over t of (filtered spikes - filtered target)^2, per element of the non-time dimensions, then
    /// reduced. The difference is filtered once, as the filter is linear.
    /// </summary>
    /// <param name="spikes">Spike trains [T, ...], floating point.</param>
    /// <param name="target">Target trains of the same shape, floating point; cast to the spikes' dtype if it differs.</param>
    /// <param name="kernel">The kernel.</param>
    /// <param name="dt">The time step in the kernel's time unit, finite and &gt; 0.</param>
    /// <param name="reduction">
    /// Mean (default) averages over all non-time elements, Sum adds them, None returns them, shaped [...] (the
    /// input shape without the time dimension).
    /// </param>
    /// <exception cref="ArgumentException">Different shapes, non-floating or zero-dimensional inputs, T = 0, or dt not finite and positive.</exception>
    public static Tensor Distance(Tensor spikes, Tensor target, VanRossumKernel kernel, double dt = 1, Reduction reduction = Reduction.Mean)
    {
        const string fn = "VanRossum.Distance";
        CheckTrain(fn, spikes, nameof(spikes));
        LossChecks.Floating(fn, target, nameof(target));
        LossChecks.SameShape(fn, spikes, nameof(spikes), target, nameof(target));
        LossChecks.SameDevice(fn, spikes, nameof(spikes), target, nameof(target));
        ArgumentNullException.ThrowIfNull(kernel);
        LossChecks.Positive(fn, dt, nameof(dt));
        LossChecks.NotEmpty(fn, spikes, nameof(spikes));

        var filtered = FilterUnchecked(spikes - TensorText.CastLike(target, spikes), kernel, dt);
        return LossChecks.Reduce(LossChecks.SumOverTime(filtered.square()) * (0.5 * dt), reduction);
    }

    private static void CheckTrain(string fn, Tensor x, string name)
    {
        LossChecks.Floating(fn, x, name);
        if (x.dim() < 1 || x.shape[0] < 1)
            throw new ArgumentException($"{fn}: {name} must be time-first [T, ...] with T >= 1, got shape {LossChecks.Shape(x)}.", name);
    }

    private static Tensor FilterUnchecked(Tensor x, VanRossumKernel kernel, double dt)
    {
        double decay = Math.Exp(-dt / kernel.Tau);
        double? decaySyn = kernel.TauSyn is { } tauSyn ? Math.Exp(-dt / tauSyn) : null;
        var steps = x.unbind(0);
        var outputs = new Tensor[steps.Length];
        Tensor? trace = null, traceSyn = null;
        for (int t = 0; t < steps.Length; t++)
        {
            trace = trace is null ? steps[t] : trace * decay + steps[t];
            if (decaySyn is { } d)
            {
                traceSyn = traceSyn is null ? steps[t] : traceSyn * d + steps[t];
                outputs[t] = trace - traceSyn;
            }
            else
            {
                outputs[t] = trace;
            }
        }
        return stack(outputs, 0);
    }
}
