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
    /// <summary>result = upstream · G(x; theta) elementwise, with theta a scalar in x's precision.</summary>
    void GradTimes(ReadOnlySpan<float> x, ReadOnlySpan<float> upstream, float theta, Span<float> result);

    /// <inheritdoc cref="GradTimes(ReadOnlySpan{float}, ReadOnlySpan{float}, float, Span{float})"/>
    void GradTimes(ReadOnlySpan<double> x, ReadOnlySpan<double> upstream, double theta, Span<double> result);
}

/// <summary>The inverse-square curve 1 / (alpha |x| + 1)^2 of <see cref="FastSigmoid"/> and <see cref="InvSquareGrad"/>.</summary>
internal sealed class InverseSquareKernel : IElementwiseGrad
{
    public static readonly InverseSquareKernel Instance = new();

    // The bounds of SurrogateKernel.ClampFinite.
    public void GradTimes(ReadOnlySpan<float> x, ReadOnlySpan<float> upstream, float theta, Span<float> result) => Run(x, upstream, theta, 1e9f, result);

    public void GradTimes(ReadOnlySpan<double> x, ReadOnlySpan<double> upstream, double theta, Span<double> result) => Run(x, upstream, theta, 1e77, result);

    // The same operations in the same order as the tensor form (clamp to +-bound, abs, times alpha, plus 1, square,
    // reciprocal, times upstream), each rounded once, so the results are identical; NaN stays NaN.
    private static void Run<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, T alpha, T bound, Span<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (a, one, b) = (new Vector<T>(alpha), Vector<T>.One, new Vector<T>(bound));
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var uv = MemoryMarshal.Cast<T, Vector<T>>(upstream);
            var rv = MemoryMarshal.Cast<T, Vector<T>>(result);
            for (int v = 0; v < xv.Length; v++)
            {
                var ax = Vector.Abs(xv[v]);
                ax = Vector.ConditionalSelect(Vector.GreaterThan(ax, b), b, ax);
                var d = a * ax + one;
                rv[v] = uv[v] * (one / (d * d));
            }
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++)
        {
            var ax = T.Abs(x[i]);
            if (ax > bound) ax = bound;
            var d = alpha * ax + T.One;
            result[i] = upstream[i] * (T.One / (d * d));
        }
    }

}

/// <summary>Runs an <see cref="IElementwiseGrad"/> on tensors.</summary>
internal static class ElementwiseGrads
{
    /// <summary>How many backward passes took the elementwise form (a diagnostic for tests and benchmarks).</summary>
    public static long Calls => Interlocked.Read(ref _calls);

    private static long _calls;

    /// <summary>upstream · G(x) as a new tensor when the fast form applies (CPU float32/float64, same shapes, scalar theta), else null.</summary>
    public static Tensor? TryGradTimes(IElementwiseGrad kernel, Tensor x, Tensor upstream, IReadOnlyList<Tensor> theta)
    {
        if (theta.Count != 1 || theta[0].numel() != 1 || x.device_type != DeviceType.CPU || upstream.device_type != DeviceType.CPU
            || x.dtype != upstream.dtype || x.dtype is not (ScalarType.Float32 or ScalarType.Float64) || !x.shape.SequenceEqual(upstream.shape)
            || x.numel() >= int.MaxValue)
            return null;
        var (xc, uc) = (x.contiguous(), upstream.contiguous());
        var result = empty_like(xc);
        double value = theta[0].ToDouble();
        if (x.dtype == ScalarType.Float32)
            kernel.GradTimes(TensorMemory.Span<float>(xc), TensorMemory.Span<float>(uc), (float)value, TensorMemory.Span<float>(result));
        else
            kernel.GradTimes(TensorMemory.Span<double>(xc), TensorMemory.Span<double>(uc), value, TensorMemory.Span<double>(result));
        Interlocked.Increment(ref _calls);
        return result;
    }

}
