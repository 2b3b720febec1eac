using MetaSpike.Runtime;
using TorchSharp;
using TorchSharp.Modules;

namespace MetaSpike.Training;

/// <summary>Gradient clipping before an optimiser step (parameters without a gradient are skipped).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients together so that their total norm is at most <paramref name="maxNorm"/>
    /// (<c>torch.nn.utils.clip_grad_norm_</c>: factor maxNorm / (norm + 1e-6) when that is below 1).
    /// </summary>
    /// <param name="parameters">The parameters whose <c>grad</c> is clipped in place.</param>
    /// <param name="maxNorm">The largest allowed total norm; finite and &gt; 0.</param>
    /// <param name="normType">The p of the p-norm; &gt; 0, or <see cref="double.PositiveInfinity"/> for the max norm (default 2).</param>
    /// <returns>The total norm before clipping (0 when no parameter has a gradient). A non-finite value means the
    /// gradients were not finite; they are then NaN after clipping, so skip the step.</returns>
    public static double ClipNorm(IEnumerable<Parameter> parameters, double maxNorm, double normType = 2.0)
    {
        var list = Materialize(parameters);
        if (!double.IsFinite(maxNorm) || maxNorm <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the maximum gradient norm must be finite and > 0.");
        if (double.IsNaN(normType) || normType <= 0)
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "the norm type must be > 0 (or +infinity).");
        TorchRuntime.EnsureLoaded();
        return torch.nn.utils.clip_grad_norm_(list, maxNorm, normType);
    }

    /// <summary>Clamps every gradient element to [-clip, clip] (<c>torch.nn.utils.clip_grad_value_</c>).</summary>
    /// <param name="parameters">The parameters whose <c>grad</c> is clipped in place.</param>
    /// <param name="clip">The largest allowed absolute value; finite and &gt; 0.</param>
    public static void ClipValue(IEnumerable<Parameter> parameters, double clip)
    {
        var list = Materialize(parameters);
        if (!double.IsFinite(clip) || clip <= 0)
            throw new ArgumentOutOfRangeException(nameof(clip), clip, "the gradient clip value must be finite and > 0.");
        TorchRuntime.EnsureLoaded();
        torch.nn.utils.clip_grad_value_(list, clip);
    }

    private static List<Parameter> Materialize(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        // A disposed handle would reach libtorch as a null pointer.
        if (list.Any(p => p is null || p.IsInvalid)) throw new ArgumentException("a parameter is null or disposed.", nameof(parameters));
        return list;
    }
}
