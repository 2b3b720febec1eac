using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Neurons.Fused;

/// <summary>The outputs of <see cref="FusedScan.Run"/>.</summary>
/// <param name="V">The potentials v [T, ...] (after reset and refractory clamp), differentiable in x and the initial states.</param>
/// <param name="SynLast">The last synaptic trace [...] (with a synapse), differentiable.</param>
/// <param name="CounterLast">The last refractory counter [...] (with a refractory period), no gradient.</param>
/// <param name="Spikes">When asked for, the spikes H((v - threshold) / scale) [T, ...], no gradient attached.</param>
internal sealed record ScanResult(Tensor V, Tensor? SynLast, Tensor? CounterLast, Tensor? Spikes);

/// <summary>
/// The fused multi-step scan of <see cref="ScanSpec"/> as one autograd operation. Its backward is a second operation
/// (the adjoint kernel) whose own backward is a third (the tangent kernel), whose backward is the adjoint again,
/// so <c>autograd.grad(..., create_graph: true)</c> differentiates through it to any order. Gradients reach x and the
/// initial potential and trace; the spike masks, resets and counters carry none (the reset uses the detached spike).
/// </summary>
internal static class FusedScan
{
    /// <summary>Whether the fused kernels can run on <paramref name="x"/>: a CPU float32/float64 tensor [T, ...] small enough to address.</summary>
    public static bool Supports(Tensor x) =>
        x.device_type == DeviceType.CPU && x.dtype is ScalarType.Float32 or ScalarType.Float64 && x.dim() >= 2
        && x.numel() > 0 && x.numel() * x.ElementSize <= int.MaxValue;

    /// <summary>A state for a fused kernel over <paramref name="x"/>: a CPU tensor in x's dtype shaped like one step of x, made contiguous.</summary>
    /// <exception cref="ArgumentException">The state is missing, on another device, of another dtype or shape.</exception>
    public static Tensor StepState(Tensor? state, Tensor x, string name, string who)
    {
        if (state is null) throw new ArgumentException($"{who}: the fused kernel needs the {name}.", name);
        var stepShape = x.shape[1..];
        if (state.device_type != DeviceType.CPU || state.dtype != x.dtype || !state.shape.SequenceEqual(stepShape))
            throw new ArgumentException(
                $"{who}: the {name} must be a CPU {x.dtype} tensor {TensorText.Shape(stepShape)} like one step of the input, got {state.dtype} {state.ShapeText()} on {state.device}.", name);
        return state.contiguous();
    }

    /// <summary>Runs the scan over x [T, ...] from the initial states (each shaped like one step of x, in x's dtype).</summary>
    /// <param name="x">Input [T, ...]: the synaptic input (with a synapse) or the drive.</param>
    /// <param name="v0">Initial potential.</param>
    /// <param name="syn0">Initial synaptic trace, exactly when <see cref="ScanSpec.HasSynapse"/>.</param>
    /// <param name="spec">The coefficients.</param>
    /// <param name="spike0">Spiking: the previous spike (its value only).</param>
    /// <param name="counter0">Spiking with a refractory period: the remaining refractory steps.</param>
    /// <param name="who">The layer name for error messages.</param>
    /// <param name="emitSpikes">Spiking: also return the spikes of every step, computed in the scan.</param>
    /// <exception cref="ArgumentException">A tensor is missing, on another device, of another dtype or shape, or x holds NaN or infinity.</exception>
    public static ScanResult Run(Tensor x, Tensor v0, Tensor? syn0, ScanSpec spec, Tensor? spike0, Tensor? counter0, string who, bool emitSpikes = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(spec);
        if (!Supports(x))
            throw new ArgumentException(
                $"{who}: the fused kernel needs a CPU float32 or float64 sequence [T, ...] with T >= 1 (under 2 GiB), got {x.dtype} {x.ShapeText()} on {x.device}.", nameof(x));
        Tensor State(Tensor? state, string name) => StepState(state, x, name, who);
        var input = x.contiguous();
        var potential = State(v0, "initial potential");
        var trace = spec.HasSynapse ? State(syn0, "initial synaptic trace") : null;
        var rule = spec.Spiking;
        Tensor? spike = null, counter = null;
        if (rule is not null)
        {
            spike = State(spike0?.detach(), "previous spike");
            if (rule.RefractorySteps > 0) counter = State(counter0?.detach(), "refractory counter");
        }
        ScanKernels.ForwardResult raw;
        using (no_grad()) raw = ScanKernels.Forward(input, trace, potential.detach(), spec, spike, counter, emitSpikes);
        if (raw.NonFinite && Checks.NonFiniteInputs) Checks.RequireFinite(input, who);
        var outputs = ScanFunction.apply(input, trace, potential, spec, raw);
        return new ScanResult(outputs[0], spec.HasSynapse ? outputs[1] : null, raw.CounterLast, raw.Spikes);
    }
}

/// <summary>The forward scan as an autograd node; the kernel ran before <c>apply</c> (so input errors throw before a node exists).</summary>
internal sealed class ScanFunction : torch.autograd.MultiTensorFunction<ScanFunction>
{
    private const string SpecKey = "spec";

    public override string Name => "MetaSpikeFusedScan";

    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var spec = (ScanSpec)vars[3];
        var raw = (ScanKernels.ForwardResult)vars[4];
        ctx.save_data(SpecKey, spec);
        if (raw.Mask is not null) ctx.save_for_backward([raw.Mask]);
        return raw.SynLast is null ? [raw.V] : [raw.V, raw.SynLast];
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grads)
    {
        var spec = (ScanSpec)ctx.get_data(SpecKey);
        var mask = spec.Spiking is null ? null : ctx.get_saved_variables()[0];
        var g = AdjointFunction.apply(grads[0], spec.HasSynapse ? grads[1] : null, mask, spec);
        return [g[0], spec.HasSynapse ? g[1] : null!, g[^1], null!, null!];
    }
}

/// <summary>The backward kernel as an autograd node: (grad v, grad last trace) → (grad x, grad initial trace, grad initial potential). Its backward is the tangent.</summary>
internal sealed class AdjointFunction : torch.autograd.MultiTensorFunction<AdjointFunction>
{
    private const string SpecKey = "spec";

    public override string Name => "MetaSpikeFusedScanBackward";

    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (gv, gSynLast, mask, spec) = ((Tensor)vars[0], vars[1] as Tensor, vars[2] as Tensor, (ScanSpec)vars[3]);
        ctx.save_data(SpecKey, spec);
        if (mask is not null) ctx.save_for_backward([mask]);
        var (gx, gSyn0, gv0) = ScanKernels.Adjoint(gv.contiguous(), gSynLast?.contiguous(), mask, spec);
        return gSyn0 is null ? [gx, gv0] : [gx, gSyn0, gv0];
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grads)
    {
        var spec = (ScanSpec)ctx.get_data(SpecKey);
        var mask = spec.Spiking is null ? null : ctx.get_saved_variables()[0];
        var d = TangentFunction.apply(grads[0], spec.HasSynapse ? grads[1] : null, grads[^1], mask, spec);
        return [d[0], spec.HasSynapse ? d[1] : null!, null!, null!];
    }
}

/// <summary>The backward's backward as an autograd node: (dx, d initial trace, d initial potential) → (dv, d last trace). Its backward is the adjoint.</summary>
internal sealed class TangentFunction : torch.autograd.MultiTensorFunction<TangentFunction>
{
    private const string SpecKey = "spec";

    public override string Name => "MetaSpikeFusedScanTangent";

    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (dx, dSyn0, dv0, mask, spec) = ((Tensor)vars[0], vars[1] as Tensor, (Tensor)vars[2], vars[3] as Tensor, (ScanSpec)vars[4]);
        ctx.save_data(SpecKey, spec);
        if (mask is not null) ctx.save_for_backward([mask]);
        var (dv, dSynLast) = ScanKernels.Tangent(dx.contiguous(), dSyn0?.contiguous(), dv0.contiguous(), mask, spec);
        return dSynLast is null ? [dv] : [dv, dSynLast];
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grads)
    {
        var spec = (ScanSpec)ctx.get_data(SpecKey);
        var mask = spec.Spiking is null ? null : ctx.get_saved_variables()[0];
        var g = AdjointFunction.apply(grads[0], spec.HasSynapse ? grads[1] : null, mask, spec);
        return [g[0], spec.HasSynapse ? g[1] : null!, g[^1], null!, null!];
    }
}
