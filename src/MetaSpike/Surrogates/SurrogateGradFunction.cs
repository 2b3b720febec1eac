using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>
/// The spike's backward, upstream · G((v - shift) / scale) / scale, as one autograd node for when that backward is
/// itself recorded (create_graph, as in second-order MAML's inner step): one vectorised pass instead of the tensor
/// form's eight operations, and, differentiated once more, one pass for both of its gradients instead of about a
/// dozen backward operations. Differentiated with a recorded graph again (third order), it is this node and
/// <see cref="IElementwiseGrad.Slope"/>'s tensor operations. The hyperparameter gets no gradient here: callers take
/// the tensor form when one is trained.
/// </summary>
internal sealed class SurrogateGradFunction : torch.autograd.SingleTensorFunction<SurrogateGradFunction>
{
    private const string SettingsKey = "settings", NeedsKey = "needs";

    public override string Name => "MetaSpikeSurrogateGrad";

    /// <summary>The node's non-tensor inputs.</summary>
    internal sealed record Settings(SurrogateFunction Family, Tensor Theta, double Shift, double Scale)
    {
        /// <summary>The family's vectorised G (<see cref="TryApply"/> takes only families that have one).</summary>
        public IElementwiseGrad Kernel => Family.ElementwiseGrad!;
    }

    /// <summary>How many nodes were recorded (a diagnostic for tests).</summary>
    public static long Recorded => Interlocked.Read(ref _recorded);

    private static long _recorded;

    /// <summary>
    /// The node, or null where <paramref name="family"/> has no vectorised G, the elementwise form does not apply or
    /// theta is trained.
    /// </summary>
    public static Tensor? TryApply(SurrogateFunction family, Tensor v, Tensor upstream, IReadOnlyList<Tensor> theta, double shift, double scale)
    {
        if (family.ElementwiseGrad is null || !ElementwiseGrads.Fits(v, upstream, theta) || Autograd.Records([.. theta])) return null;
        Interlocked.Increment(ref _recorded);
        return apply(upstream, v, new Settings(family, theta[0], shift, scale));
    }

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (upstream, v, settings) = ((Tensor)vars[0], (Tensor)vars[1], (Settings)vars[2]);
        ctx.save_for_backward([upstream, v]);
        ctx.save_data(SettingsKey, settings);
        ctx.save_data(NeedsKey, (upstream.requires_grad, v.requires_grad));
        return ElementwiseGrads.GradTimes(settings.Kernel, v, upstream, settings.Theta.ToDouble(), settings.Shift, settings.Scale);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad)
    {
        var saved = ctx.get_saved_variables();
        var (upstream, v) = (saved[0], saved[1]);
        var s = (Settings)ctx.get_data(SettingsKey);
        var (upstreamNeeds, vNeeds) = ((bool, bool))ctx.get_data(NeedsKey);
        Tensor upstreamGrad, vGrad;
        if (!is_grad_enabled())
            (upstreamGrad, vGrad) = ElementwiseGrads.GradTimesBackward(s.Kernel, v, upstream, grad, s.Theta.ToDouble(), s.Shift, s.Scale);
        else
        {
            upstreamGrad = SurrogateKernel.GradTimes(s.Family, v, grad, [s.Theta], s.Shift, s.Scale);
            bool affine = s.Shift != 0 || s.Scale != 1;
            var slope = SurrogateKernel.CastLike(grad * upstream * s.Kernel.Slope(affine ? (v - s.Shift) / s.Scale : v, s.Theta), v);
            vGrad = affine ? slope / (s.Scale * s.Scale) : slope;
        }
        return [upstreamNeeds ? upstreamGrad : null!, vNeeds ? vGrad : null!, null!];
    }
}
