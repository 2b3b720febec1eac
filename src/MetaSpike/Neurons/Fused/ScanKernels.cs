using System.Numerics;
using System.Runtime.Intrinsics;
using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.Neurons.Fused;

/// <summary>One time step of a kernel over a range of columns, in registers of <c>TL</c>.</summary>
internal interface IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Time steps.</summary>
    int Steps { get; }

    /// <summary>Independent columns per step.</summary>
    int Columns { get; }

    /// <summary>Whether time runs backwards (the adjoint).</summary>
    bool Reverse { get; }

    /// <summary>Whether an input held a NaN or an infinity.</summary>
    bool NonFinite { get; }

    /// <summary>Processes step <paramref name="t"/> for columns from <paramref name="j"/> in whole registers; returns the first column left.</summary>
    int Run<TL, TV>(int t, int j, int end) where TL : ILanes<TV, T>;
}

/// <summary>
/// The raw kernels of the fused scan (see <see cref="ScanSpec"/>) over contiguous [T, columns] memory: the forward
/// (with spikes, resets and masks), its adjoint (reverse time, the backward) and its tangent (forward time with given
/// masks, the backward's backward). Columns are independent, so large scans split them across threads; each step
/// is vectorised with 512-bit, then 256-bit registers, then scalars for the tail. Nothing is allocated per step:
/// running states live in the output tensors.
/// </summary>
internal static unsafe partial class ScanKernels
{
    /// <summary>Scans with fewer elements (T x columns) than this run on one thread.</summary>
    internal static long ParallelThreshold { get; set; } = 1 << 16;

    /// <summary>
    /// The forward outputs: v [T, ...], the last synaptic trace, the last refractory counter, the masks m [T, ...] and,
    /// when asked for, the spikes H((v - threshold) / scale) [T, ...] (no gradient attached).
    /// </summary>
    internal sealed record ForwardResult(Tensor V, Tensor? SynLast, Tensor? CounterLast, Tensor? Mask, Tensor? Spikes, bool NonFinite);

    /// <summary>Runs the forward scan. Inputs are contiguous CPU tensors of one floating dtype (checked by the caller).</summary>
    public static ForwardResult Forward(Tensor x, Tensor? syn0, Tensor v0, ScanSpec spec, Tensor? spike0, Tensor? counter0, bool emitSpikes = false)
    {
        var v = empty_like(x);
        var synLast = spec.HasSynapse ? syn0!.clone() : null;
        var rule = spec.Spiking;
        var counter = rule is { RefractorySteps: > 0 } ? counter0!.clone() : null;
        var mask = rule is null ? null : empty_like(x);
        var spikes = rule is not null && emitSpikes ? empty_like(x) : null;
        bool nonFinite = x.dtype == ScalarType.Float32
            ? Sweep<ForwardKernel<float>, float>(ForwardOf<float>(x, v, synLast, v0, spike0, counter, mask, spikes, spec))
            : Sweep<ForwardKernel<double>, double>(ForwardOf<double>(x, v, synLast, v0, spike0, counter, mask, spikes, spec));
        return new ForwardResult(v, synLast, counter, mask, spikes, nonFinite);
    }

    /// <summary>
    /// The adjoint: from the gradients of v [T, ...] and of the last synaptic trace, the gradients of x [T, ...],
    /// of the initial trace (with a synapse) and of the initial potential.
    /// </summary>
    public static (Tensor Gx, Tensor? GSyn0, Tensor GV0) Adjoint(Tensor gv, Tensor? gSynLast, Tensor? mask, ScanSpec spec)
    {
        var gx = empty_like(gv);
        var gv0 = zeros_like(gv[0]);
        var gSyn0 = spec.HasSynapse ? gSynLast?.clone() ?? zeros_like(gv[0]) : null;
        if (gv.dtype == ScalarType.Float32) Sweep<AdjointKernel<float>, float>(AdjointOf<float>(gv, gx, gv0, gSyn0, mask, spec));
        else Sweep<AdjointKernel<double>, double>(AdjointOf<double>(gv, gx, gv0, gSyn0, mask, spec));
        return (gx, gSyn0, gv0);
    }

    /// <summary>The tangent: the change of v [T, ...] and of the last trace for changes of x, the initial trace and the initial potential.</summary>
    public static (Tensor Dv, Tensor? DSynLast) Tangent(Tensor dx, Tensor? dSyn0, Tensor dv0, Tensor? mask, ScanSpec spec)
    {
        var dv = empty_like(dx);
        var dSynLast = spec.HasSynapse ? dSyn0?.clone() ?? zeros_like(dx[0]) : null;
        if (dx.dtype == ScalarType.Float32) Sweep<TangentKernel<float>, float>(TangentOf<float>(dx, dv, dv0, dSynLast, mask, spec));
        else Sweep<TangentKernel<double>, double>(TangentOf<double>(dx, dv, dv0, dSynLast, mask, spec));
        return (dv, dSynLast);
    }

    private static ForwardKernel<T> ForwardOf<T>(Tensor x, Tensor v, Tensor? syn, Tensor v0, Tensor? spike0, Tensor? counter, Tensor? mask, Tensor? spikes, ScanSpec spec)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rule = spec.Spiking;
        return new ForwardKernel<T>
        {
            X = TensorMemory.Pointer<T>(x), V = TensorMemory.Pointer<T>(v), V0 = TensorMemory.Pointer<T>(v0), Syn = TensorMemory.Pointer<T>(syn), S0 = TensorMemory.Pointer<T>(spike0), Counter = TensorMemory.Pointer<T>(counter), M = TensorMemory.Pointer<T>(mask),
            S = TensorMemory.Pointer<T>(spikes), Steps = (int)x.shape[0], Columns = Columns(x),
            A = T.CreateChecked(spec.A), B = T.CreateChecked(spec.B), G = T.CreateChecked(spec.G), K = T.CreateChecked(spec.SynapseGain),
            VRest = T.CreateChecked(spec.VRest), HasSynapse = spec.HasSynapse, Delayed = spec.DelayedSynapse, Spiking = rule is not null, Reset = rule?.Reset ?? ResetMode.None,
            Threshold = T.CreateChecked(rule?.Threshold ?? 0), Scale = T.CreateChecked(rule?.Scale ?? 1), VReset = T.CreateChecked(rule?.VReset ?? 0),
            SubtractAmount = T.CreateChecked(rule?.SubtractAmount ?? 0), Refractory = T.CreateChecked(rule?.RefractorySteps ?? 0),
        };
    }

    private static AdjointKernel<T> AdjointOf<T>(Tensor gv, Tensor gx, Tensor gv0, Tensor? gSyn0, Tensor? mask, ScanSpec spec)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
    {
        GV = TensorMemory.Pointer<T>(gv), GX = TensorMemory.Pointer<T>(gx), CarryV = TensorMemory.Pointer<T>(gv0), CarrySyn = TensorMemory.Pointer<T>(gSyn0), M = TensorMemory.Pointer<T>(mask),
        Steps = (int)gv.shape[0], Columns = Columns(gv),
        A = T.CreateChecked(spec.A), B = T.CreateChecked(spec.B), G = T.CreateChecked(spec.G), K = T.CreateChecked(spec.SynapseGain),
        HasSynapse = spec.HasSynapse, Delayed = spec.DelayedSynapse,
    };

    private static TangentKernel<T> TangentOf<T>(Tensor dx, Tensor dv, Tensor dv0, Tensor? dSyn, Tensor? mask, ScanSpec spec)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
    {
        DX = TensorMemory.Pointer<T>(dx), DV = TensorMemory.Pointer<T>(dv), DV0 = TensorMemory.Pointer<T>(dv0), DSyn = TensorMemory.Pointer<T>(dSyn), M = TensorMemory.Pointer<T>(mask),
        Steps = (int)dx.shape[0], Columns = Columns(dx),
        A = T.CreateChecked(spec.A), B = T.CreateChecked(spec.B), G = T.CreateChecked(spec.G), K = T.CreateChecked(spec.SynapseGain),
        HasSynapse = spec.HasSynapse, Delayed = spec.DelayedSynapse,
    };

    private static int Columns(Tensor sequence) => (int)(sequence.numel() / sequence.shape[0]);

    /// <summary>Runs a kernel over all steps and columns, on one thread or split by columns; returns whether an input was non-finite.</summary>
    private static bool Sweep<TK, T>(TK kernel) where TK : struct, IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int columns = kernel.Columns;
        int parts = Parts(columns, (long)columns * kernel.Steps);
        if (parts == 1)
        {
            SweepRange<TK, T>(ref kernel, 0, columns);
            return kernel.NonFinite;
        }
        // Split at multiples of 64 columns (one cache line of doubles x 8), so the threads never share a line.
        int chunk = (columns / parts + 63) & ~63;
        var copies = new TK[parts];
        Array.Fill(copies, kernel);
        KernelThreads.For(parts, p => SweepRange<TK, T>(ref copies[p], Math.Min(columns, p * chunk), Math.Min(columns, (p + 1) * chunk)));
        return copies.Any(k => k.NonFinite);
    }

    private static int Parts(int columns, long work)
    {
        if (work < ParallelThreshold || columns < 128) return 1;
        return Math.Clamp(Math.Min(get_num_threads(), columns / 64), 1, 2);
    }

    private static void SweepRange<TK, T>(ref TK kernel, int j0, int j1) where TK : struct, IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = kernel.Steps;
        for (int i = 0; i < steps; i++)
        {
            int t = kernel.Reverse ? steps - 1 - i : i;
            int j = j0;
            if (Vector512.IsHardwareAccelerated) j = kernel.Run<Lanes512<T>, Vector512<T>>(t, j, j1);
            if (Vector256.IsHardwareAccelerated) j = kernel.Run<Lanes256<T>, Vector256<T>>(t, j, j1);
            kernel.Run<ScalarLanes<T>, T>(t, j, j1);
        }
    }
}

/// <summary>The forward scan with spikes, resets, refractory clamps and the masks the backward needs.</summary>
internal unsafe struct ForwardKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* X, V, V0, Syn, S0, Counter, M, S;
    public T A, B, G, K, VRest, Threshold, Scale, VReset, SubtractAmount, Refractory;
    public bool HasSynapse, Delayed, Spiking;
    public ResetMode Reset;

    public int Steps { get; init; }
    public int Columns { get; init; }
    public readonly bool Reverse => false;
    public bool NonFinite { get; private set; }

    public int Run<TL, TV>(int t, int j, int end) where TL : ILanes<TV, T>
    {
        long row = (long)t * Columns;
        T* x = X + row, v = V + row, m = M + row, vPrev = t == 0 ? V0 : V + row - Columns;
        var (a, b, g, vRest) = (TL.Broadcast(A), TL.Broadcast(B), TL.Broadcast(G), TL.Broadcast(VRest));
        var (threshold, scale, vReset, subtract, refractory) =
            (TL.Broadcast(Threshold), TL.Broadcast(Scale), TL.Broadcast(VReset), TL.Broadcast(SubtractAmount), TL.Broadcast(Refractory));
        var (zero, one) = (TL.Broadcast(T.Zero), TL.Broadcast(T.One));
        var k = TL.Broadcast(K);
        bool restAtZero = VRest == T.Zero, resetAtZero = VReset == T.Zero, refractoryOn = Refractory > T.Zero, unitGain = K == T.One;
        var acc = zero;
        for (; j + TL.Count <= end; j += TL.Count)
        {
            var input = TL.Load(x + j);
            acc = TL.AccumulateNonFinite(acc, input);
            var drive = input;
            if (HasSynapse)
            {
                var trace = TL.Load(Syn + j);
                var updated = TL.Add(TL.Multiply(a, trace), unitGain ? input : TL.Multiply(k, input));
                TL.Store(updated, Syn + j);
                drive = Delayed ? trace : updated;
            }
            var previous = TL.Load(vPrev + j);
            // The same operations in the same order as Lif.Advance, so fused and unfused potentials agree bit for bit.
            var value = restAtZero
                ? TL.Add(TL.Multiply(b, previous), TL.Multiply(g, drive))
                : TL.Add(TL.Add(vRest, TL.Multiply(b, TL.Subtract(previous, vRest))), TL.Multiply(g, drive));
            if (Spiking)
            {
                var spiked = t == 0 ? TL.Load(S0 + j) : TL.StepAtZero(TL.Divide(TL.Subtract(previous, threshold), scale));
                var keep = one;
                switch (Reset)
                {
                    case ResetMode.ToValue:
                        keep = TL.Subtract(one, spiked);
                        value = TL.Multiply(value, keep);
                        if (!resetAtZero) value = TL.Add(value, TL.Multiply(vReset, spiked));
                        break;
                    case ResetMode.Subtract:
                        value = TL.Subtract(value, TL.Multiply(subtract, spiked));
                        break;
                }
                if (refractoryOn)
                {
                    var counter = TL.Load(Counter + j);
                    var clamped = TL.Positive(counter);
                    value = TL.Select(clamped, vReset, value);
                    keep = TL.Multiply(keep, TL.Subtract(one, clamped));
                    var spike = TL.StepAtZero(TL.Divide(TL.Subtract(value, threshold), scale));
                    TL.Store(TL.Select(spike, refractory, TL.Max(TL.Subtract(counter, one), zero)), Counter + j);
                }
                TL.Store(keep, m + j);
                // The spike of this step as the surrogate's forward computes it from v (same operations, same bits).
                if (S != null) TL.Store(TL.StepAtZero(TL.Divide(TL.Subtract(value, threshold), scale)), S + row + j);
            }
            TL.Store(value, v + j);
        }
        if (!TL.AllFinite(acc)) NonFinite = true;
        return j;
    }
}

/// <summary>The adjoint (reverse-time) scan: gradients of the inputs and initial states from the gradients of the potentials.</summary>
internal unsafe struct AdjointKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* GV, GX, CarryV, CarrySyn, M;
    public T A, B, G, K;
    public bool HasSynapse, Delayed;

    public int Steps { get; init; }
    public int Columns { get; init; }
    public readonly bool Reverse => true;
    public readonly bool NonFinite => false;

    public readonly int Run<TL, TV>(int t, int j, int end) where TL : ILanes<TV, T>
    {
        long row = (long)t * Columns;
        T* gv = GV + row, gx = GX + row, m = M + row;
        var (a, b, g, k) = (TL.Broadcast(A), TL.Broadcast(B), TL.Broadcast(G), TL.Broadcast(K));
        bool masked = M != null, unitGain = K == T.One;
        for (; j + TL.Count <= end; j += TL.Count)
        {
            // The gradient of v[t] (its own plus what v[t+1] passed back), through the reset mask to the pre-reset value.
            var lambda = TL.Add(TL.Load(gv + j), TL.Load(CarryV + j));
            var pre = masked ? TL.Multiply(lambda, TL.Load(m + j)) : lambda;
            TL.Store(TL.Multiply(b, pre), CarryV + j);
            var drive = TL.Multiply(g, pre);
            if (HasSynapse)
            {
                // The carry holds the gradient of this step's trace; v[t] read this step's trace, or (delayed) the previous one.
                var carried = TL.Load(CarrySyn + j);
                var traceGradient = Delayed ? carried : TL.Add(drive, carried);
                TL.Store(Delayed ? TL.Add(TL.Multiply(a, carried), drive) : TL.Multiply(a, traceGradient), CarrySyn + j);
                drive = unitGain ? traceGradient : TL.Multiply(k, traceGradient);
            }
            TL.Store(drive, gx + j);
        }
        return j;
    }
}

/// <summary>The tangent (forward-time, masks given) scan: the linear map whose adjoint is <see cref="AdjointKernel{T}"/>.</summary>
internal unsafe struct TangentKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* DX, DV, DV0, DSyn, M;
    public T A, B, G, K;
    public bool HasSynapse, Delayed;

    public int Steps { get; init; }
    public int Columns { get; init; }
    public readonly bool Reverse => false;
    public readonly bool NonFinite => false;

    public readonly int Run<TL, TV>(int t, int j, int end) where TL : ILanes<TV, T>
    {
        long row = (long)t * Columns;
        T* dx = DX + row, dv = DV + row, m = M + row, previous = t == 0 ? DV0 : DV + row - Columns;
        var (a, b, g, k) = (TL.Broadcast(A), TL.Broadcast(B), TL.Broadcast(G), TL.Broadcast(K));
        bool masked = M != null, unitGain = K == T.One;
        for (; j + TL.Count <= end; j += TL.Count)
        {
            var drive = TL.Load(dx + j);
            if (HasSynapse)
            {
                var trace = TL.Load(DSyn + j);
                var updated = TL.Add(TL.Multiply(a, trace), unitGain ? drive : TL.Multiply(k, drive));
                TL.Store(updated, DSyn + j);
                drive = Delayed ? trace : updated;
            }
            var value = TL.Add(TL.Multiply(b, TL.Load(previous + j)), TL.Multiply(g, drive));
            TL.Store(masked ? TL.Multiply(TL.Load(m + j), value) : value, dv + j);
        }
        return j;
    }
}
