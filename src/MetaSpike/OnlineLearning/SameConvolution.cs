using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// numpy's <c>np.convolve(x, kernel, mode="same")</c> along the time axis of every channel at once:
/// y[t] = sum_j x[t + c - j] kernel[j] with c = (n - 1) / 2 for an odd kernel of n taps and x taken as 0 outside the
/// run, i.e. steps c .. c + T - 1 of the full convolution. The full convolution is computed with real FFTs of a
/// length with no wrap-around (libtorch's direct conv1d took 10 ms per channel for the tutorial's 2000 steps and
/// 1001 taps; the FFT agrees with the direct sum to about 1e-15 relative to the largest value). For runs at least
/// as long as the kernel this is numpy's result; for shorter runs numpy would return n values, this returns the
/// run's T steps (scipy's "same").
/// </summary>
public static class SameConvolution
{
    /// <summary>Convolves each channel of <paramref name="series"/> with <paramref name="kernel"/>.</summary>
    /// <param name="series">[T, C] or [B, T, C], floating point.</param>
    /// <param name="kernel">An odd number of finite taps.</param>
    /// <returns>The convolved series, float64, of <paramref name="series"/>'s shape.</returns>
    /// <exception cref="ArgumentException">A bad series shape, NaN values, or a kernel that is empty, even or not finite.</exception>
    public static Tensor Apply(Tensor series, IReadOnlyList<double> kernel)
    {
        const string fn = "SameConvolution.Apply";
        var x = OnlineChecks.Series(fn, series, nameof(series));
        ArgumentNullException.ThrowIfNull(kernel);
        if (kernel.Count % 2 == 0)
            throw new ArgumentException($"{fn}: the kernel must have an odd number of taps, got {kernel.Count}.", nameof(kernel));
        foreach (var tap in kernel) OnlineChecks.Finite(fn, tap, nameof(kernel));
        return ApplyUnchecked(x, kernel);
    }

    /// <summary>The convolution of a checked float64 series.</summary>
    internal static Tensor ApplyUnchecked(Tensor x, IReadOnlyList<double> kernel)
    {
        int taps = kernel.Count;
        long steps = x.shape[x.dim() - 2];
        long length = FftLength(steps + taps - 1);
        // Time last and contiguous: pocketfft is much slower along a strided axis.
        var rows = x.transpose(-1, -2).contiguous();
        var spectrum = fft.rfft(rows, length, -1) * fft.rfft(tensor(kernel.ToArray(), ScalarType.Float64), length, -1);
        return fft.irfft(spectrum, length, -1).narrow(-1, taps / 2, steps).transpose(-1, -2).contiguous();
    }

    /// <summary>The smallest 2^a 3^b 5^c &gt;= n: lengths with only small factors keep the FFT fast.</summary>
    private static long FftLength(long n)
    {
        long best = long.MaxValue;
        for (long p2 = 1; p2 < 2 * n; p2 *= 2)
            for (long p3 = p2; p3 < 2 * n; p3 *= 3)
                for (long p5 = p3; p5 < 2 * n; p5 *= 5)
                    if (p5 >= n && p5 < best) best = p5;
        return best;
    }

    /// <summary>The taps in reverse order: "same" convolution with them is the adjoint of "same" convolution with the taps.</summary>
    internal static double[] Reversed(IReadOnlyList<double> kernel) => kernel.Reverse().ToArray();
}
