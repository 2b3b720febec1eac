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

    /// <summary>
    /// The two gradients of <see cref="GradTimes(ReadOnlySpan{float}, float, float, ReadOnlySpan{float}, float, Span{float})"/>
    /// for an incoming <paramref name="gradient"/>, in one pass: in the upstream, gradient · G(x) / scale (the same
    /// numbers as GradTimes of the gradient), and in v, gradient · upstream · G'(x) / scale², with x = (v - shift) / scale.
    /// </summary>
    void GradTimesBackward(ReadOnlySpan<float> v, float shift, float scale, ReadOnlySpan<float> upstream, ReadOnlySpan<float> gradient, float theta,
        Span<float> upstreamGrad, Span<float> vGrad);

    /// <inheritdoc cref="GradTimesBackward(ReadOnlySpan{float}, float, float, ReadOnlySpan{float}, ReadOnlySpan{float}, float, Span{float}, Span{float})"/>
    void GradTimesBackward(ReadOnlySpan<double> v, double shift, double scale, ReadOnlySpan<double> upstream, ReadOnlySpan<double> gradient, double theta,
        Span<double> upstreamGrad, Span<double> vGrad);

    /// <summary>G'(x; theta) as tensor operations (differentiable again), for derivatives of third order and above.</summary>
    Tensor Slope(Tensor x, Tensor theta);
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

    public void GradTimesBackward(ReadOnlySpan<float> v, float shift, float scale, ReadOnlySpan<float> upstream, ReadOnlySpan<float> gradient, float theta,
        Span<float> upstreamGrad, Span<float> vGrad) =>
        RunBackward(v, shift, scale, upstream, gradient, theta, 1e9f, upstreamGrad, vGrad);

    public void GradTimesBackward(ReadOnlySpan<double> v, double shift, double scale, ReadOnlySpan<double> upstream, ReadOnlySpan<double> gradient, double theta,
        Span<double> upstreamGrad, Span<double> vGrad) =>
        RunBackward(v, shift, scale, upstream, gradient, theta, 1e77, upstreamGrad, vGrad);

    /// <summary>
    /// G' = -2 alpha sign(x) / (alpha |x| + 1)^3 inside the finite clamp and 0 beyond it (where the clamp holds the
    /// input constant); sign(0) = 0, as torch differentiates |x|.
    /// </summary>
    public Tensor Slope(Tensor x, Tensor theta)
    {
        var alpha = SurrogateKernel.InDTypeOf([theta], x)[0];
        var clamped = SurrogateKernel.ClampFinite(x);
        var slope = -2.0 * alpha * clamped.sign() / (alpha * clamped.abs() + 1.0).pow(3);
        return where(clamped.eq(x), slope, zeros_like(slope));
    }

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

    // Upstream gradient: GradTimes's operations on the incoming gradient (the same numbers). v gradient: with
    // d = alpha |x| + 1 and g = 1 / d², G' = -2 alpha sign(x) g / d inside the clamp, 0 outside (and for NaN).
    private static void RunBackward<T>(ReadOnlySpan<T> v, T shift, T scale, ReadOnlySpan<T> upstream, ReadOnlySpan<T> gradient, T alpha, T bound,
        Span<T> upstreamGrad, Span<T> vGrad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T minusTwoAlpha = -(alpha + alpha), squaredScale = scale * scale;
        bool unitScale = scale == T.One;
        if (Vector.IsHardwareAccelerated)
        {
            var (a, one, b, s, c, c2, m) = (new Vector<T>(alpha), Vector<T>.One, new Vector<T>(bound), new Vector<T>(shift), new Vector<T>(scale),
                new Vector<T>(squaredScale), new Vector<T>(minusTwoAlpha));
            var xv = MemoryMarshal.Cast<T, Vector<T>>(v);
            var uv = MemoryMarshal.Cast<T, Vector<T>>(upstream);
            var gv = MemoryMarshal.Cast<T, Vector<T>>(gradient);
            var ugv = MemoryMarshal.Cast<T, Vector<T>>(upstreamGrad);
            var vgv = MemoryMarshal.Cast<T, Vector<T>>(vGrad);
            for (int k = 0; k < xv.Length; k++)
            {
                var x = unitScale ? xv[k] - s : (xv[k] - s) / c;
                var ax = Vector.Abs(x);
                var d = a * Vector.ConditionalSelect(Vector.GreaterThan(ax, b), b, ax) + one;
                var g = one / (d * d);
                var gg = gv[k] * g;
                ugv[k] = unitScale ? gg : gg / c;
                var sign = Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), one, Vector<T>.Zero)
                    - Vector.ConditionalSelect(Vector.LessThan(x, Vector<T>.Zero), one, Vector<T>.Zero);
                var slope = Vector.ConditionalSelect(Vector.LessThanOrEqual(ax, b), m * sign * g / d, Vector<T>.Zero);
                var vg = gv[k] * uv[k] * slope;
                vgv[k] = unitScale ? vg : vg / c2;
            }
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < v.Length; i++)
        {
            var x = (v[i] - shift) / scale;
            var ax = T.Abs(x);
            var d = alpha * (ax > bound ? bound : ax) + T.One;
            var g = T.One / (d * d);
            upstreamGrad[i] = gradient[i] * g / scale;
            var slope = ax <= bound ? minusTwoAlpha * T.CreateTruncating(T.Sign(x)) * g / d : T.Zero;
            vGrad[i] = gradient[i] * upstream[i] * slope / squaredScale;
        }
    }
}

/// <summary>Runs an <see cref="IElementwiseGrad"/> on tensors.</summary>
internal static class ElementwiseGrads
{
    /// <summary>How many first-order backward passes took the elementwise form (a diagnostic for tests and benchmarks).</summary>
    public static long Calls => Interlocked.Read(ref _calls);

    private static long _calls;

    /// <summary>Whether the elementwise form applies: CPU float32/float64 tensors of one shape and dtype, and a scalar theta.</summary>
    public static bool Fits(Tensor x, Tensor upstream, IReadOnlyList<Tensor> theta) =>
        theta.Count == 1 && theta[0].numel() == 1 && x.device_type == DeviceType.CPU && upstream.device_type == DeviceType.CPU
        && x.dtype == upstream.dtype && x.dtype is ScalarType.Float32 or ScalarType.Float64 && x.shape.SequenceEqual(upstream.shape)
        && x.numel() < int.MaxValue;

    /// <summary>
    /// upstream · G((x - shift) / scale) / scale as a new tensor when the fast form applies (see <see cref="Fits"/>),
    /// else null.
    /// </summary>
    public static Tensor? TryGradTimes(IElementwiseGrad kernel, Tensor x, Tensor upstream, IReadOnlyList<Tensor> theta, double shift = 0, double scale = 1)
    {
        if (!Fits(x, upstream, theta)) return null;
        Interlocked.Increment(ref _calls);
        return GradTimes(kernel, x, upstream, theta[0].ToDouble(), shift, scale);
    }

    /// <summary>upstream · G((x - shift) / scale) / scale for tensors that <see cref="Fits"/>.</summary>
    public static unsafe Tensor GradTimes(IElementwiseGrad kernel, Tensor x, Tensor upstream, double theta, double shift, double scale)
    {
        var (xc, uc) = (x.contiguous(), upstream.contiguous());
        var result = empty_like(xc);
        var (xp, up, rp) = ((nint)TensorMemory.Pointer<byte>(xc), (nint)TensorMemory.Pointer<byte>(uc), (nint)TensorMemory.Pointer<byte>(result));
        InRanges(xc, (start, n) =>
        {
            if (xc.dtype == ScalarType.Float32)
                kernel.GradTimes(At<float>(xp, start, n), (float)shift, (float)scale, At<float>(up, start, n), (float)theta, At<float>(rp, start, n));
            else
                kernel.GradTimes(At<double>(xp, start, n), shift, scale, At<double>(up, start, n), theta, At<double>(rp, start, n));
        });
        return result;
    }

    /// <summary>The gradients of <see cref="GradTimes"/> in the upstream and in x for an incoming <paramref name="gradient"/>, in one pass.</summary>
    public static unsafe (Tensor Upstream, Tensor X) GradTimesBackward(IElementwiseGrad kernel, Tensor x, Tensor upstream, Tensor gradient, double theta, double shift, double scale)
    {
        var (xc, uc, gc) = (x.contiguous(), upstream.contiguous(), gradient.contiguous());
        var (upstreamGrad, xGrad) = (empty_like(xc), empty_like(xc));
        var (xp, up, gp, ugp, xgp) = ((nint)TensorMemory.Pointer<byte>(xc), (nint)TensorMemory.Pointer<byte>(uc), (nint)TensorMemory.Pointer<byte>(gc),
            (nint)TensorMemory.Pointer<byte>(upstreamGrad), (nint)TensorMemory.Pointer<byte>(xGrad));
        InRanges(xc, (start, n) =>
        {
            if (xc.dtype == ScalarType.Float32)
                kernel.GradTimesBackward(At<float>(xp, start, n), (float)shift, (float)scale, At<float>(up, start, n), At<float>(gp, start, n), (float)theta,
                    At<float>(ugp, start, n), At<float>(xgp, start, n));
            else
                kernel.GradTimesBackward(At<double>(xp, start, n), shift, scale, At<double>(up, start, n), At<double>(gp, start, n), theta,
                    At<double>(ugp, start, n), At<double>(xgp, start, n));
        });
        return (upstreamGrad, xGrad);
    }

    /// <summary>Tensors with fewer elements than this are processed on one thread.</summary>
    private const int ParallelElements = 1 << 16;

    /// <summary>Runs <paramref name="range"/>(start, count) over x's elements: as two halves (cut at a multiple of 64) from <see cref="ParallelElements"/> up.</summary>
    private static void InRanges(Tensor x, Action<int, int> range)
    {
        int length = (int)x.numel();
        KernelThreads.OneOrTwoParts(length >= ParallelElements, length / 2 / 64 * 64, length, (start, end) => range(start, end - start));
    }

    private static unsafe Span<T> At<T>(nint memory, int start, int length) where T : unmanaged => new((T*)memory + start, length);
}
