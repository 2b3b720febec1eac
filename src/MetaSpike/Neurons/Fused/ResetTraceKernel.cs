using System.Numerics;
using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.Neurons.Fused;

internal static unsafe partial class ScanKernels
{
    /// <summary>
    /// The reset trace of <see cref="StewartNeftciNeuron"/> over given membrane traces p [T, ...] (no gradient: the
    /// spikes entering it are detached):
    /// <code>
    /// r[t] = decay r[t-1] - weight s[t-1]
    /// s[t] = H(p[t] + r[t] + bias - threshold)
    /// </code>
    /// Returns r [T, ...]. All tensors are contiguous CPU tensors of p's dtype; bias, r0 and s0 are shaped like one step.
    /// </summary>
    public static Tensor ResetTrace(Tensor p, Tensor bias, Tensor r0, Tensor s0, double decay, double weight, double threshold)
    {
        var r = empty_like(p);
        var spikes = s0.clone();
        if (p.dtype == ScalarType.Float32) Sweep<ResetTraceKernel<float>, float>(ResetTraceOf<float>(p, bias, r, r0, spikes, decay, weight, threshold));
        else Sweep<ResetTraceKernel<double>, double>(ResetTraceOf<double>(p, bias, r, r0, spikes, decay, weight, threshold));
        return r;
    }

    private static ResetTraceKernel<T> ResetTraceOf<T>(Tensor p, Tensor bias, Tensor r, Tensor r0, Tensor spikes, double decay, double weight, double threshold)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
    {
        P = TensorMemory.Pointer<T>(p), Bias = TensorMemory.Pointer<T>(bias), R = TensorMemory.Pointer<T>(r), R0 = TensorMemory.Pointer<T>(r0), S = TensorMemory.Pointer<T>(spikes),
        Steps = (int)p.shape[0], Columns = Columns(p),
        Decay = T.CreateChecked(decay), Weight = T.CreateChecked(weight), Threshold = T.CreateChecked(threshold),
    };
}

/// <summary>The reset-trace scan of <see cref="ScanKernels.ResetTrace"/>; the running spikes live in <see cref="S"/>.</summary>
internal unsafe struct ResetTraceKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* P, Bias, R, R0, S;
    public T Decay, Weight, Threshold;

    public int Steps { get; init; }
    public int Columns { get; init; }
    public readonly bool Reverse => false;
    public readonly bool NonFinite => false;

    public readonly int Run<TL, TV>(int t, int j, int end) where TL : ILanes<TV, T>
    {
        long row = (long)t * Columns;
        T* p = P + row, r = R + row, previous = t == 0 ? R0 : R + row - Columns;
        var (decay, weight, threshold) = (TL.Broadcast(Decay), TL.Broadcast(Weight), TL.Broadcast(Threshold));
        bool thresholdAtZero = Threshold == T.Zero;
        for (; j + TL.Count <= end; j += TL.Count)
        {
            // The same operations in the same order as StewartNeftciNeuron.Advance, so the spikes agree bit for bit.
            var trace = TL.Subtract(TL.Multiply(decay, TL.Load(previous + j)), TL.Multiply(weight, TL.Load(S + j)));
            TL.Store(trace, r + j);
            var u = TL.Add(TL.Add(TL.Load(p + j), trace), TL.Load(Bias + j));
            TL.Store(TL.StepAtZero(thresholdAtZero ? u : TL.Subtract(u, threshold)), S + j);
        }
        return j;
    }
}
