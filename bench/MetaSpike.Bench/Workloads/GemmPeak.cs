using System.Diagnostics;
using static TorchSharp.torch;

namespace MetaSpike.Bench.Workloads;

/// <summary>The machine's measured single-precision GEMM rate: a square float32 matmul on torch's threads.</summary>
/// <param name="Size">n of the n x n by n x n product.</param>
/// <param name="BestGflops">2n³ over the fastest repetition (the peak).</param>
/// <param name="MedianGflops">2n³ over the median repetition.</param>
internal sealed record GemmPeak(int Size, double BestGflops, double MedianGflops)
{
    /// <summary>Times <paramref name="reps"/> products of two n x n float32 matrices after two untimed ones.</summary>
    public static GemmPeak Measure(int size = 2048, int reps = 5)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var a = randn([size, size], ScalarType.Float32);
        var b = randn([size, size], ScalarType.Float32);
        var seconds = new List<double>();
        for (int i = 0; i < reps + 2; i++)
        {
            using var inner = NewDisposeScope();
            long start = Stopwatch.GetTimestamp();
            a.mm(b);
            if (i >= 2) seconds.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        double flops = 2.0 * size * size * size;
        var spread = Common.Spread.Of(seconds);
        return new GemmPeak(size, flops / spread.Min / 1e9, flops / spread.Median / 1e9);
    }
}
