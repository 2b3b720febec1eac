using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>The machinery shared by the class and functional forms: checks, the Heaviside step and the spike op.</summary>
internal static class SurrogateKernel
{
    /// <summary>H(x) = [x &gt;= 0] in x's dtype: exactly 0 or 1, H(-0.0) = 1 and H(NaN) = 0.</summary>
    internal static Tensor Heaviside(Tensor x) => x.ge(0).to_type(x.dtype);

    internal static Tensor Spike(SurrogateFunction family, Tensor x, IReadOnlyList<Tensor> theta, HyperGradientMode mode)
    {
        CheckInput(family, x, theta);
        bool thetaNeedsGrad = Autograd.Records([.. theta]);
        if (!thetaNeedsGrad && !Autograd.Records(x))
            return Heaviside(x);

        var args = new object[theta.Count + 2];
        args[0] = x;
        args[1] = family;
        for (int i = 0; i < theta.Count; i++) args[i + 2] = theta[i];
        var spike = SpikeFunction.apply(args);
        if (!thetaNeedsGrad || mode == HyperGradientMode.None) return spike;

        // A term whose value is exactly zero but whose theta-gradient is dG/dtheta (braintools) or dF/dtheta
        // (straight-through). x is detached, so it adds nothing to x's gradient.
        var xd = x.detach();
        var term = mode == HyperGradientMode.StraightThrough ? family.EvaluateOriginal(xd, theta) : family.EvaluateGrad(xd, theta);
        term = term.nan_to_num(0.0, 0.0, 0.0);
        return spike + (term - term.detach());
    }

    /// <summary>Rejects non-floating inputs and hyperparameters that do not broadcast to x's shape.</summary>
    internal static void CheckInput(SurrogateFunction family, Tensor x, IReadOnlyList<Tensor> theta)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!x.is_floating_point())
            throw new ArgumentException($"{family.Family}: the input must be a floating-point tensor, got {x.dtype}.", nameof(x));
        var xs = x.shape;
        for (int i = 0; i < theta.Count; i++)
        {
            var ts = theta[i].shape;
            bool ok = ts.Length <= xs.Length;
            for (int d = 1; ok && d <= ts.Length; d++)
                ok = ts[^d] == 1 || ts[^d] == xs[^d];
            if (!ok)
                throw new ArgumentException(
                    $"{family.Family}: hyperparameter '{family.HyperparameterInfos[i].Name}' has shape [{string.Join(", ", ts)}], " +
                    $"which does not broadcast to the input shape [{string.Join(", ", xs)}] (per-neuron values must match the trailing dimensions).",
                    nameof(theta));
            if (theta[i].device_type != x.device_type || theta[i].device_index != x.device_index)
                throw new ArgumentException(
                    $"{family.Family}: hyperparameter '{family.HyperparameterInfos[i].Name}' is on {theta[i].device}, the input on {x.device}.",
                    nameof(theta));
        }
    }

    /// <summary>
    /// Clamps x to +-B, with B = (largest finite value of the dtype)^(1/4) rounded down. Every family's G is
    /// saturated long before B, and keeping intermediates such as (alpha*x)^2 finite means no derivative of G
    /// ever evaluates 0 * inf, so x = +-inf or +-1e30 yields finite values and gradients (never NaN).
    /// </summary>
    internal static Tensor ClampFinite(Tensor x)
    {
        double bound = x.dtype switch
        {
            ScalarType.Float64 => 1e77,
            ScalarType.Float16 => 15,
            _ => 1e9,
        };
        return x.clamp(-bound, bound);
    }

    /// <summary>
    /// Per-neuron hyperparameters in x's dtype (a differentiable cast), so G is computed in one precision, as
    /// braintools does. Scalar (0-dim) tensors already act as weakly typed numbers and are left alone.
    /// </summary>
    internal static IReadOnlyList<Tensor> InDTypeOf(IReadOnlyList<Tensor> theta, Tensor x)
    {
        if (theta.All(t => t.dim() == 0 || t.dtype == x.dtype)) return theta;
        return theta.Select(t => t.dim() == 0 || t.dtype == x.dtype ? t : t.to_type(x.dtype)).ToArray();
    }

    internal static Tensor CastLike(Tensor value, Tensor like) => TensorText.CastLike(value, like);

    /// <summary>
    /// The spike's backward: upstream · G((x - shift) / scale; theta) / scale. Families with a vectorised G
    /// (<see cref="IElementwiseGrad"/>) compute it in one pass: directly when the backward records nothing (first
    /// order), else as a <see cref="SurrogateGradFunction"/> node, differentiable in x and the upstream. Otherwise —
    /// and when theta is trained, which those forms give no gradient — the tensor form (<see cref="TensorGradTimes"/>).
    /// </summary>
    internal static Tensor GradTimes(SurrogateFunction family, Tensor x, Tensor upstream, IReadOnlyList<Tensor> theta, double shift = 0, double scale = 1)
    {
        if (family.ElementwiseGrad is { } kernel
            && (torch.is_grad_enabled()
                ? SurrogateGradFunction.TryApply(family, x, upstream, theta, shift, scale)
                : ElementwiseGrads.TryGradTimes(kernel, x, upstream, theta, shift, scale)) is { } fast)
            return fast;
        return TensorGradTimes(family, x, upstream, theta, shift, scale);
    }

    /// <summary><see cref="GradTimes"/> as tensor operations: the reference, differentiable to any order in x, the upstream and theta.</summary>
    internal static Tensor TensorGradTimes(SurrogateFunction family, Tensor x, Tensor upstream, IReadOnlyList<Tensor> theta, double shift = 0, double scale = 1)
    {
        bool affine = shift != 0 || scale != 1;
        var grad = CastLike(upstream * family.EvaluateGrad(affine ? (x - shift) / scale : x, theta), x);
        return affine ? grad / scale : grad;
    }
}

/// <summary>
/// The spike as a custom autograd operation: forward H(x); backward upstream * G(x; theta), with x and theta
/// attached, so that a backward run with create_graph records it and second derivatives are exact.
/// Hyperparameters get no gradient here; their direct gradient is added by <see cref="SurrogateKernel.Spike"/>.
/// </summary>
internal sealed class SpikeFunction : torch.autograd.SingleTensorFunction<SpikeFunction>
{
    private const string FamilyKey = "family";
    private const string NeedsInputGradKey = "x_needs_grad";

    public override string Name => "MetaSpikeSurrogateSpike";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var saved = new List<Tensor>(vars.Length - 1) { x };
        for (int i = 2; i < vars.Length; i++) saved.Add((Tensor)vars[i]);
        ctx.save_for_backward(saved);
        ctx.save_data(FamilyKey, vars[1]);
        ctx.save_data(NeedsInputGradKey, x.requires_grad);
        return SurrogateKernel.Heaviside(x);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var family = (SurrogateFunction)ctx.get_data(FamilyKey);
        var grads = new List<Tensor>(saved.Count + 1);
        if ((bool)ctx.get_data(NeedsInputGradKey))
        {
            grads.Add(SurrogateKernel.GradTimes(family, saved[0], gradOutput, saved.GetRange(1, saved.Count - 1)));
        }
        else
        {
            grads.Add(null!);
        }
        for (int i = 0; i < saved.Count; i++) grads.Add(null!);
        return grads;
    }
}

/// <summary>
/// The spike of a potential, H((v - threshold) / scale), when a fused kernel has already computed the spikes: the
/// forward hands them through, and the backward is that of <see cref="SpikeFunction"/> after the shift and scale —
/// upstream · G((v - threshold) / scale) / scale — in one vectorised pass at first order, or as recorded tensor
/// operations on v when the backward is itself differentiated (create_graph). The hyperparameters carry no gradient
/// here (the caller keeps trainable ones on the tensor path, which adds their direct term).
/// </summary>
internal sealed class ThresholdSpikeFunction : torch.autograd.SingleTensorFunction<ThresholdSpikeFunction>
{
    private const string FamilyKey = "family", ThresholdKey = "threshold", ScaleKey = "scale";

    public override string Name => "MetaSpikeThresholdSpike";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (v, spikes, family, threshold, scale) = ((Tensor)vars[0], (GivenSpikes)vars[1], (SurrogateFunction)vars[2], (double)vars[3], (double)vars[4]);
        var saved = new List<Tensor> { v };
        for (int i = 5; i < vars.Length; i++) saved.Add((Tensor)vars[i]);
        ctx.save_for_backward(saved);
        ctx.save_data(FamilyKey, family);
        ctx.save_data(ThresholdKey, threshold);
        ctx.save_data(ScaleKey, scale);
        return spikes.Value;
    }

    /// <summary>The precomputed spikes, wrapped so that autograd sees a value to hand through, not an input of the node.</summary>
    internal sealed record GivenSpikes(Tensor Value);

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (v, theta) = (saved[0], saved.GetRange(1, saved.Count - 1));
        var family = (SurrogateFunction)ctx.get_data(FamilyKey);
        var (threshold, scale) = ((double)ctx.get_data(ThresholdKey), (double)ctx.get_data(ScaleKey));
        var grads = new List<Tensor>(saved.Count + 5) { SurrogateKernel.GradTimes(family, v, gradOutput, theta, threshold, scale) };
        for (int i = 1; i < saved.Count + 5; i++) grads.Add(null!);
        return grads;
    }
}
