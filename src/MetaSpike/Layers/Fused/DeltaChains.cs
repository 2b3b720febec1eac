using System.Numerics;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>
/// A sequence's samples [T · B] (time-major: sample t · B + b) as chains, each the steps t ≡ phase (mod
/// <see cref="Lag"/>) of one batch entry, so that a linear layer can take each step as the output of the step
/// <see cref="Lag"/> before plus the layer applied to the change (x_t - x_{t-lag}). Spikes that repeat with a period
/// change far less often than they fire: on workload (c)'s burn-in, 35 % of the second and third layers' inputs are
/// ones, but only 16 % and 9 % differ from two steps before (LIF neurons driven to fire every other step), against 70
/// % from one step before.
/// </summary>
/// <param name="Steps">Time steps T.</param>
/// <param name="Batch">Batch entries B.</param>
/// <param name="Lag">Steps between a chain's consecutive samples.</param>
internal readonly record struct DeltaChains(int Steps, int Batch, int Lag)
{
    /// <summary>Lags tried: 1 (inputs that persist) and 2 (neurons that fire every other step).</summary>
    public const int MaxLag = 2;

    /// <summary>
    /// Most consecutive steps a chain takes as changes before it starts again from the input itself: bounds the
    /// rounding the running sums gather (sixteen changes of a sparser list stay within a few times the rounding of one
    /// direct sum).
    /// </summary>
    public const int MaxDeltaSteps = 16;

    /// <summary>
    /// Chains are used when the changes hold at most this fraction of the input's nonzeros: chains run their steps in
    /// order (fewer parallel items), and each step also reads the input a second time.
    /// </summary>
    public const double MaxChangeRatio = 0.75;

    /// <summary>Sampled step pairs per lag when choosing.</summary>
    private const int SampledSteps = 16;

    /// <summary>Chains.</summary>
    public int Count => Batch * Lag;

    /// <summary>
    /// Steps per segment: each chain is cut into equal segments of at most <see cref="MaxDeltaSteps"/> + 1 steps that
    /// start from the input itself, so a segment is the unit shared among threads (a whole chain was too coarse to
    /// balance two threads).
    /// </summary>
    public int SegmentSteps
    {
        get
        {
            int longest = (Steps + Lag - 1) / Lag, segments = (longest + MaxDeltaSteps) / (MaxDeltaSteps + 1);
            return (longest + segments - 1) / segments;
        }
    }

    /// <summary>Segments per chain.</summary>
    public int SegmentsPerChain => ((Steps + Lag - 1) / Lag + SegmentSteps - 1) / SegmentSteps;

    /// <summary>Segments of all chains (the items to share among threads).</summary>
    public int Segments => Count * SegmentsPerChain;

    /// <summary>
    /// The samples [first, end) of segment <paramref name="segment"/>, <see cref="Stride"/> apart (empty for a short
    /// chain's last): chain c = segment / <see cref="SegmentsPerChain"/> starts at sample c (step c / B of batch entry c % B).
    /// </summary>
    public (int First, int End) Range(int segment)
    {
        int chain = segment / SegmentsPerChain, first = chain + segment % SegmentsPerChain * SegmentSteps * Stride;
        return (first, Math.Min(Steps * Batch, first + SegmentSteps * Stride));
    }

    /// <summary>Samples from one step of a chain to its next.</summary>
    public int Stride => Lag * Batch;

    /// <summary>
    /// The lag whose changes hold the fewest nonzeros on sampled steps of <paramref name="x"/>, a contiguous CPU
    /// float32/float64 sequence [T · B, ...] time-major, if at most <see cref="MaxChangeRatio"/> of the input's and
    /// there are two chains or more; else null (also for a batch that does not divide the samples).
    /// </summary>
    public static unsafe DeltaChains? Choose(Tensor x, int batch)
    {
        long samples = x.shape[0];
        if (batch < 1 || samples % batch != 0 || samples == 0) return null;
        int steps = (int)(samples / batch), size = (int)(x.numel() / samples);
        return x.dtype == ScalarType.Float32
            ? Choose(TensorMemory.Pointer<float>(x), steps, batch, size)
            : Choose(TensorMemory.Pointer<double>(x), steps, batch, size);
    }

    private static unsafe DeltaChains? Choose<T>(T* x, int steps, int batch, int size) where T : unmanaged, INumber<T>
    {
        DeltaChains? best = null;
        long bestChanges = long.MaxValue;
        for (int lag = 1; lag <= MaxLag; lag++)
        {
            if (steps <= lag || batch * lag < 2) continue;
            long direct = 0, changes = 0;
            int samples = Math.Min(SampledSteps, steps - lag);
            for (int k = 0; k < samples; k++)
            {
                int t = lag + (int)((long)k * (steps - lag) / samples);
                for (int b = 0; b < batch; b++)
                {
                    T* now = x + ((long)t * batch + b) * size, before = now - (long)lag * batch * size;
                    direct += VectorOps.CountNonzeros(now, size);
                    changes += VectorOps.CountDifferences(now, before, size);
                }
            }
            if (changes <= MaxChangeRatio * direct && changes < bestChanges) (best, bestChanges) = (new DeltaChains(steps, batch, lag), changes);
        }
        return best;
    }
}
