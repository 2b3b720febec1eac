using System.Numerics;
using System.Runtime.InteropServices;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>
/// A family whose G has a closed form in one scalar hyperparameter, evaluated in one vectorised pass: the spike's
/// first-order backward (grad mode off, so no graph is recorded) computes upstream · G(x) there instead of the handful
/// of tensor operations of <see cref="SurrogateFunction.Grad"/>. Both give the same numbers; the tensor form stays
/// the reference and serves higher orders, other devices and per-neuron hyperparameters.
/// </summary>
internal interface IElementwiseGrad
{
    /// <summary>
    /// result = upstream · G((v - shift) / scale; theta) / scale elementwise, with theta a scalar in v's precision:
    /// the gradient of a spike H((v - shift) / scale) in v (shift 0 and scale 1 give upstream · G(v) exactly).
    /// </summary>
    void GradTimes(ReadOnlySpan<float> v, float shift, float scale, ReadOnlySpan<float> upstream, float theta, Span<float> result);

    /// <inheritdoc cref="GradTimes(ReadOnlySpan{float}, float, float, ReadOnlySpan{float}, float, Span{float})"/>
    void GradTimes(ReadOnlySpan<double> v, double shift, double scale, ReadOnlySpan<double> upstream, double theta, Span<double> result);
}

/// <summary>The inverse-square curve 1 / (alpha |x| + 1)^2 of <see cref="FastSigmoid"/> and <see cref="InvSquareGrad"/>.</summary>
internal sealed class InverseSquareKernel : IElementwiseGrad
{
    public static readonly InverseSquareKernel Instance = new();

    // The bounds of SurrogateKernel.ClampFinite.
    public void GradTimes(ReadOnlySpan<float> v, float shift, float scale, ReadOnlySpan<float> upstream, float theta, Span<float> result) =>
        Run(v, shift, scale, upstream, theta, 1e9f, result);

    public void GradTimes(ReadOnlySpan<double> v, double shift, double scale, ReadOnlySpan<double> upstream, double theta, Span<double> result) =>
        Run(v, shift, scale, upstream, theta, 1e77, result);

    // The same operations in the same order as the tensor form (the spike's input (v - shift) / scale; clamp to
    // +-bound, abs, times alpha, plus 1, square, reciprocal, times upstream; over scale), each rounded once, so the
    // results are identical; NaN stays NaN. x - 0 and x / 1 are exact, so the plain form is the same numbers.
    private static void Run<T>(ReadOnlySpan<T> v, T shift, T scale, ReadOnlySpan<T> upstream, T alpha, T bound, Span<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (a, one, b, s, c) = (new Vector<T>(alpha), Vector<T>.One, new Vector<T>(bound), new Vector<T>(shift), new Vector<T>(scale));
            var xv = MemoryMarshal.Cast<T, Vector<T>>(v);
            var uv = MemoryMarshal.Cast<T, Vector<T>>(upstream);
            var rv = MemoryMarshal.Cast<T, Vector<T>>(result);
            // x / 1 is exact, so a unit scale skips both divisions (the costliest operations here) with the same bits.
            bool unitScale = scale == T.One;
            for (int k = 0; k < xv.Length; k++)
            {
                var ax = Vector.Abs(unitScale ? xv[k] - s : (xv[k] - s) / c);
                ax = Vector.ConditionalSelect(Vector.GreaterThan(ax, b), b, ax);
                var d = a * ax + one;
                var g = uv[k] * (one / (d * d));
                rv[k] = unitScale ? g : g / c;
            }
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < v.Length; i++)
        {
            var ax = T.Abs((v[i] - shift) / scale);
            if (ax > bound) ax = bound;
            var d = alpha * ax + T.One;
            result[i] = upstream[i] * (T.One / (d * d)) / scale;
        }
    }
}

/// <summary>Runs an <see cref="IElementwiseGrad"/> on tensors.</summary>
internal static class ElementwiseGrads
{
    /// <summary>How many backward passes took the elementwise form (a diagnostic for tests and benchmarks).</summary>
    public static long Calls => Interlocked.Read(ref _calls);

    private static long _calls;

    /// <summary>
    /// upstream · G((x - shift) / scale) / scale as a new tensor when the fast form applies (CPU float32/float64,
    /// same shapes, scalar theta), else null.
    /// </summary>
    public static Tensor? TryGradTimes(IElementwiseGrad kernel, Tensor x, Tensor upstream, IReadOnlyList<Tensor> theta, double shift = 0, double scale = 1)
    {
        if (theta.Count != 1 || theta[0].numel() != 1 || x.device_type != DeviceType.CPU || upstream.device_type != DeviceType.CPU
            || x.dtype != upstream.dtype || x.dtype is not (ScalarType.Float32 or ScalarType.Float64) || !x.shape.SequenceEqual(upstream.shape)
            || x.numel() >= int.MaxValue)
            return null;
        var (xc, uc) = (x.contiguous(), upstream.contiguous());
        var result = empty_like(xc);
        double value = theta[0].ToDouble();
        Run(kernel, xc, uc, result, shift, scale, value);
        Interlocked.Increment(ref _calls);
        return result;
    }

    /// <summary>Tensors with fewer elements than this are processed on one thread.</summary>
    private const int ParallelElements = 1 << 16;

    private static unsafe void Run(IElementwiseGrad kernel, Tensor x, Tensor upstream, Tensor result, double shift, double scale, double theta)
    {
        var (xp, up, rp) = ((nint)TensorMemory.Pointer<byte>(x), (nint)TensorMemory.Pointer<byte>(upstream), (nint)TensorMemory.Pointer<byte>(result));
        bool single = x.dtype == ScalarType.Float32;
        int length = (int)x.numel();
        void Range(int start, int n)
        {
            if (single)
                kernel.GradTimes(new ReadOnlySpan<float>((float*)xp + start, n), (float)shift, (float)scale, new ReadOnlySpan<float>((float*)up + start, n), (float)theta, new Span<float>((float*)rp + start, n));
            else
                kernel.GradTimes(new ReadOnlySpan<double>((double*)xp + start, n), shift, scale, new ReadOnlySpan<double>((double*)up + start, n), theta, new Span<double>((double*)rp + start, n));
        }
        KernelThreads.OneOrTwoParts(length >= ParallelElements, length / 2 / 64 * 64, length, (start, end) => Range(start, end - start));
    }

}
