using System.Numerics;
using MetaSpike.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Training;

/// <summary>
/// TorchSharp's Adam (same options, state and saved state) whose step updates each CPU parameter in one vectorised
/// pass over its value, gradient and moments, instead of seven or eight tensor operations per parameter. For small
/// networks those operations' fixed costs dominate: the tutorial workload's four parameters took 0.05 ms per step
/// with <c>torch.optim.Adam</c>. Parameters that are not contiguous float32/float64 CPU tensors with gradients of the
/// same kind (a GPU model, a sparse gradient) make the step fall back to TorchSharp's own, so any model works.
/// </summary>
public sealed class FusedAdam : Adam
{
    /// <summary>Adam over <paramref name="parameters"/> with the hyperparameters of <c>torch.optim.Adam</c>.</summary>
    public FusedAdam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)
    {
    }

    /// <summary>Performs one Adam step, fused on the CPU (see the class remarks).</summary>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        // Each gradient is read once (a native call and a wrapper per parameter), for the check and the update. The
        // wrappers are disposed here rather than by a scope, which would also take the closure's loss.
        var grads = _parameter_groups.ToDictionary(group => group, group => group.Parameters.Select(p => p.grad).ToArray());
        try
        {
            if (!_parameter_groups.All(group => group.Parameters.Zip(grads[group]).All(pair => Fusable(pair.First, pair.Second))))
                return base.step(closure!);
            return _step<ParamGroup>(group => Update(group, grads[group]), closure!);
        }
        finally
        {
            foreach (var grad in grads.Values.SelectMany(g => g)) grad?.Dispose();
        }
    }

    private void Update(ParamGroup group, Tensor?[] grads)
    {
        var options = (Options)group.Options;
        var hyper = new Hyper(options.LearningRate!.Value, options.beta1!.Value, options.beta2!.Value, options.eps!.Value,
            options.weight_decay!.Value, options.amsgrad!.Value, options.maximize!.Value);
        foreach (var (parameter, grad) in group.Parameters.Zip(grads))
        {
            if (grad is null) continue;
            var state = (State)_state[parameter.Handle];
            state.step += 1;
            if (hyper.AmsGrad) state.max_exp_avg_sq ??= zeros_like(parameter).DetachFromDisposeScope();
            if (parameter.dtype == ScalarType.Float32) Update<float>(parameter, grad, state, hyper);
            else Update<double>(parameter, grad, state, hyper);
        }
    }

    private readonly record struct Hyper(double LearningRate, double Beta1, double Beta2, double Eps, double WeightDecay, bool AmsGrad, bool Maximize);

    private static bool Fusable(Parameter parameter, Tensor? grad) =>
        parameter.device_type == DeviceType.CPU && parameter.dtype is ScalarType.Float32 or ScalarType.Float64
            && parameter.is_contiguous() && parameter.numel() < int.MaxValue
            && (grad is null || (grad.device_type == DeviceType.CPU && grad.dtype == parameter.dtype && !grad.is_sparse
                && grad.is_contiguous() && grad.numel() == parameter.numel()));

    /// <summary>
    /// The update of torch's Adam, element by element in the parameter's precision: m = β1 m + (1 - β1) g,
    /// v = β2 v + (1 - β2) g², p -= lr / (1 - β1ᵗ) · m / (√v / √(1 - β2ᵗ) + ε), with g += λ p first for weight decay,
    /// g negated to maximise and v replaced by its running maximum for AMSGrad.
    /// </summary>
    private static unsafe void Update<T>(Tensor parameter, Tensor grad, State state, Hyper h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = (int)parameter.numel();
        T* p = TensorMemory.Pointer<T>(parameter), g = TensorMemory.Pointer<T>(grad);
        T* m = TensorMemory.Pointer<T>(state.exp_avg), v = TensorMemory.Pointer<T>(state.exp_avg_sq);
        T* vMax = h.AmsGrad ? TensorMemory.Pointer<T>(state.max_exp_avg_sq) : null;
        T beta1 = T.CreateChecked(h.Beta1), beta2 = T.CreateChecked(h.Beta2), decay = T.CreateChecked(h.WeightDecay);
        T keep1 = T.CreateChecked(1 - h.Beta1), keep2 = T.CreateChecked(1 - h.Beta2), eps = T.CreateChecked(h.Eps);
        T rootCorrection2 = T.CreateChecked(Math.Sqrt(1 - Math.Pow(h.Beta2, state.step)));
        T stepSize = T.CreateChecked(h.LearningRate / (1 - Math.Pow(h.Beta1, state.step)));
        T sign = h.Maximize ? -T.One : T.One;
        bool decays = h.WeightDecay != 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && !h.AmsGrad)
        {
            var (vb1, vb2, vk1, vk2, veps) = (new Vector<T>(beta1), new Vector<T>(beta2), new Vector<T>(keep1), new Vector<T>(keep2), new Vector<T>(eps));
            var (vdecay, vroot, vstep, vsign) = (new Vector<T>(decay), new Vector<T>(rootCorrection2), new Vector<T>(stepSize), new Vector<T>(sign));
            for (; i + Vector<T>.Count <= count; i += Vector<T>.Count)
            {
                var pi = Vector.Load(p + i);
                var gi = Vector.Load(g + i) * vsign;
                if (decays) gi += vdecay * pi;
                var mi = Vector.Load(m + i) * vb1 + vk1 * gi;
                var vi = Vector.Load(v + i) * vb2 + vk2 * (gi * gi);
                mi.Store(m + i);
                vi.Store(v + i);
                (pi - vstep * (mi / (Vector.SquareRoot(vi) / vroot + veps))).Store(p + i);
            }
        }
        for (; i < count; i++)
        {
            var gi = g[i] * sign;
            if (decays) gi += decay * p[i];
            m[i] = m[i] * beta1 + keep1 * gi;
            v[i] = v[i] * beta2 + keep2 * (gi * gi);
            var second = v[i];
            if (vMax != null) second = vMax[i] = T.Max(vMax[i], v[i]);
            p[i] -= stepSize * (m[i] / (T.Sqrt(second) / rootCorrection2 + eps));
        }
    }
}
