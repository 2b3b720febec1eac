using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>The shape of a square max pooling without padding over contiguous [N, C, H, W] planes.</summary>
/// <param name="Planes">N x C.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="Kernel">Window side.</param>
/// <param name="Stride">Step between windows.</param>
internal sealed record PoolGeometry(int Planes, int Height, int Width, int Kernel, int Stride)
{
    /// <summary>Output height (windows that fit, as PyTorch's floor mode).</summary>
    public int OutHeight => (Height - Kernel) / Stride + 1;

    /// <summary>Output width.</summary>
    public int OutWidth => (Width - Kernel) / Stride + 1;

    /// <summary>Each route's (window offset, row-major) position relative to its window's corner.</summary>
    public int[] RouteOffsets => Enumerable.Range(0, Kernel * Kernel).Select(r => r / Kernel * Width + r % Kernel).ToArray();

    /// <summary>Each output's window corner as an offset from its plane's start.</summary>
    public int[] Corners => Enumerable.Range(0, OutHeight * OutWidth).Select(q => q / OutWidth * Stride * Width + q % OutWidth * Stride).ToArray();

    /// <summary>
    /// For gathers of <paramref name="lanes"/> outputs at a time: the smallest whole number of planes whose outputs
    /// fill whole registers, and each of their outputs' window corner as an offset from the first plane's start.
    /// </summary>
    public (int Planes, int[] Corners) GatherTable(int lanes)
    {
        int perPlane = OutHeight * OutWidth;
        int planes = lanes / (int)BigInteger.GreatestCommonDivisor(lanes, perPlane);
        var plane = Corners;
        return (planes, Enumerable.Range(0, planes * perPlane).Select(q => q / perPlane * Height * Width + plane[q % perPlane]).ToArray());
    }
}

/// <summary>
/// Max pooling as raw loops over each plane (libtorch's NCHW max-pool kernel walks every window element through a
/// generic index computation and measured 40 % of workload (c)'s forward). The forward keeps, per output, the offset
/// of its maximum inside the window; the backward routes gradients to those positions and its own backward gathers
/// them again, so the pair differentiates to any order with the routes held constant.
/// </summary>
internal static unsafe class MaxPoolKernels
{
    /// <summary>Outputs per call below this run on one thread.</summary>
    private const long ParallelWork = 1 << 15;

    /// <summary>The geometry of pooling <paramref name="x"/> [N, C, H, W], or null when the kernels do not take it (they fall back to libtorch).</summary>
    public static PoolGeometry? GeometryOf(Tensor x, long kernel, long stride)
    {
        if (x.dim() != 4 || x.device_type != DeviceType.CPU || x.dtype is not (ScalarType.Float32 or ScalarType.Float64)
            || kernel * kernel > byte.MaxValue + 1 || x.numel() >= int.MaxValue || x.numel() == 0)
            return null;
        var (h, w) = (x.shape[2], x.shape[3]);
        if (h < kernel || w < kernel) return null;
        return new PoolGeometry((int)(x.shape[0] * x.shape[1]), (int)h, (int)w, (int)kernel, (int)stride);
    }

    /// <summary>y [N, C, Ho, Wo] and, when <paramref name="withRoutes"/>, each output's argmax offset in its window (row-major, first maximum; NaN wins as in PyTorch).</summary>
    public static (Tensor Y, Tensor? Routes) Forward(Tensor x, PoolGeometry g, bool withRoutes)
    {
        var input = x.contiguous();
        long[] outShape = [x.shape[0], x.shape[1], g.OutHeight, g.OutWidth];
        var y = empty(outShape, x.dtype);
        var routes = withRoutes ? empty(outShape, ScalarType.Byte) : null;
        var (xp, yp, rp) = ((nint)TensorMemory.Pointer<byte>(input), (nint)TensorMemory.Pointer<byte>(y), (nint)TensorMemory.Pointer<byte>(routes));
        // One gather table for both threads: a register holds 8 float or 4 double outputs.
        var table = Avx2.IsSupported ? g.GatherTable(x.dtype == ScalarType.Float32 ? Vector256<float>.Count : Vector256<double>.Count) : default;
        if (x.dtype == ScalarType.Float32) Split(g, (p0, p1) => PoolGathered((float*)xp, (float*)yp, (byte*)rp, g, table, p0, p1));
        else Split(g, (p0, p1) => PoolGathered((double*)xp, (double*)yp, (byte*)rp, g, table, p0, p1));
        return (y, routes);
    }

    /// <summary>
    /// Moves values along the routes: scattering output values [N, C, Ho, Wo] into a new input-shaped tensor, each
    /// added at its argmax and zeros elsewhere (the gradient of the input), or gathering each output's value from an
    /// input-shaped tensor at its argmax (the adjoint).
    /// </summary>
    public static Tensor Route(Tensor values, Tensor routes, PoolGeometry g, long[] inputShape, bool scatter)
    {
        var source = values.contiguous();
        var result = scatter ? zeros(inputShape, values.dtype) : empty(routes.shape, values.dtype);
        var (sp, zp, rp) = ((nint)TensorMemory.Pointer<byte>(source), (nint)TensorMemory.Pointer<byte>(result), (nint)TensorMemory.Pointer<byte>(routes));
        var (outputs, inputs) = scatter ? (sp, zp) : (zp, sp);
        var offsets = g.RouteOffsets;
        if (values.dtype == ScalarType.Float32) Split(g, (p0, p1) => Route((float*)outputs, (float*)inputs, (byte*)rp, g, offsets, scatter, p0, p1));
        else Split(g, (p0, p1) => Route((double*)outputs, (double*)inputs, (byte*)rp, g, offsets, scatter, p0, p1));
        return result;
    }

    /// <summary>Runs planes [0, Planes) in two halves on two threads when the work is large enough (planes are independent).</summary>
    private static void Split(PoolGeometry g, Action<int, int> planes) =>
        KernelThreads.OneOrTwoParts(KernelThreads.Splits(g.Planes, (long)g.Planes * g.OutHeight * g.OutWidth, ParallelWork),
            g.Planes / 2, g.Planes, planes);

    /// <summary>
    /// Pools planes [p0, p1) a register of outputs at a time: each window element is one gather, and the running
    /// maximum and its offset are updated by masks (random maxima made the branchy scalar loop mispredict at every
    /// other element, 15 ns per output). Planes left over, and machines without AVX2 (no table), take the scalar loop.
    /// </summary>
    private static void PoolGathered<T>(T* x, T* y, byte* routes, PoolGeometry g, (int Planes, int[] Corners) table, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (table.Corners is not null)
        {
            int lanes = Vector256<T>.Count;
            var (planes, corners) = table;
            int blocks = (p1 - p0) / planes;
            fixed (int* offsets = corners)
            for (int b = 0; b < blocks; b++)
            {
                long plane = p0 + (long)b * planes;
                T* source = x + plane * g.Height * g.Width;
                long target = plane * g.OutHeight * g.OutWidth;
                for (int q = 0; q < corners.Length; q += lanes)
                {
                    var (best, at) = GatherMax(source, offsets + q, g);
                    if (typeof(T) == typeof(float)) Vector256.Store(best.AsSingle(), (float*)(y + target + q));
                    else Vector256.Store(best.AsDouble(), (double*)(y + target + q));
                    if (routes != null) StoreRoutes(at, routes + target + q, lanes);
                }
            }
            p0 += blocks * planes;
        }
        Pool(x, y, routes, g, p0, p1);
    }

    private static (Vector256<T> Best, Vector256<int> At) GatherMax<T>(T* source, int* corners, PoolGeometry g) where T : unmanaged
    {
        int k = g.Kernel, w = g.Width;
        if (typeof(T) == typeof(float))
        {
            var index = Vector256.Load(corners);
            var best = Avx2.GatherVector256((float*)source, index, sizeof(float));
            var at = Vector256<int>.Zero;
            for (int c = 1; c < k * k; c++)
            {
                var v = Avx2.GatherVector256((float*)source, index + Vector256.Create(c / k * w + c % k), sizeof(float));
                var take = VectorOps.TakesMax(v, best);
                best = Vector256.ConditionalSelect(take, v, best);
                at = Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(c), at);
            }
            return (best.As<float, T>(), at);
        }
        else
        {
            var index = Vector128.Load(corners);
            var best = Avx2.GatherVector256((double*)source, index, sizeof(double));
            var at = Vector256<long>.Zero;
            for (int c = 1; c < k * k; c++)
            {
                var v = Avx2.GatherVector256((double*)source, index + Vector128.Create(c / k * w + c % k), sizeof(double));
                var take = VectorOps.TakesMax(v, best);
                best = Vector256.ConditionalSelect(take, v, best);
                at = Vector256.ConditionalSelect(take.AsInt64(), Vector256.Create((long)c), at);
            }
            return (best.As<double, T>(), at.AsInt32());
        }
    }

    /// <summary>Writes each lane's window offset as a byte (int lanes for float registers, long lanes, read as int pairs, for double).</summary>
    private static void StoreRoutes(Vector256<int> at, byte* target, int lanes)
    {
        if (lanes == 8)
            for (int i = 0; i < 8; i++) target[i] = (byte)at.GetElement(i);
        else
            for (int i = 0; i < 4; i++) target[i] = (byte)at.GetElement(2 * i);
    }

    private static void Pool<T>(T* x, T* y, byte* routes, PoolGeometry g, int p0, int p1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (h, w, k, s, oh, ow) = (g.Height, g.Width, g.Kernel, g.Stride, g.OutHeight, g.OutWidth);
        for (int p = p0; p < p1; p++)
        {
            var plane = x + (long)p * h * w;
            long o = (long)p * oh * ow;
            for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++, o++)
            {
                var corner = plane + (long)i * s * w + j * s;
                T best = T.NegativeInfinity;
                int at = 0;
                for (int a = 0; a < k; a++)
                for (int b = 0; b < k; b++)
                {
                    T v = corner[a * w + b];
                    if (VectorOps.TakesMax(v, best)) (best, at) = (v, a * k + b);
                }
                y[o] = best;
                if (routes != null) routes[o] = (byte)at;
            }
        }
    }

    /// <summary>
    /// Walks each output of planes [p0, p1) and the input position its route names (its window's corner plus the
    /// route's offset from a table: a division per output made the gather three times slower): input += output
    /// (scatter) or output = input (gather).
    /// </summary>
    private static void Route<T>(T* outputs, T* inputs, byte* routes, PoolGeometry g, int[] offsets, bool scatter, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (h, w, s, oh, ow) = (g.Height, g.Width, g.Stride, g.OutHeight, g.OutWidth);
        fixed (int* offset = offsets)
        for (int p = p0; p < p1; p++)
        {
            var plane = inputs + (long)p * h * w;
            long o = (long)p * oh * ow;
            for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++, o++)
            {
                T* corner = plane + (long)i * s * w + j * s;
                int at = routes[o];
                if (scatter) corner[offset[at]] += outputs[o];
                else outputs[o] = corner[offset[at]];
            }
        }
    }
}

/// <summary>Max pooling as an autograd node (see <see cref="MaxPoolKernels"/>); its backward is a <see cref="RouteFunction"/>.</summary>
internal sealed class MaxPoolFunction : torch.autograd.SingleTensorFunction<MaxPoolFunction>
{
    private const string GeometryKey = "geometry", ShapeKey = "shape";

    public override string Name => "MetaSpikeMaxPool2d";

    /// <summary>Pools <paramref name="x"/> with the kernels; gradients of any order reach x when it requires them.</summary>
    public static Tensor Pool(Tensor x, PoolGeometry geometry)
    {
        if (!Autograd.Records(x)) return MaxPoolKernels.Forward(x, geometry, withRoutes: false).Y;
        return apply(x, geometry);
    }

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, geometry) = ((Tensor)vars[0], (PoolGeometry)vars[1]);
        var (y, routes) = MaxPoolKernels.Forward(x, geometry, withRoutes: true);
        ctx.save_for_backward([routes!]);
        ctx.save_data(GeometryKey, geometry);
        ctx.save_data(ShapeKey, x.shape);
        return y;
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad) =>
        [RouteFunction.apply(grad, ctx.get_saved_variables()[0], ctx.get_data(GeometryKey), ctx.get_data(ShapeKey), true), null!];
}

/// <summary>
/// Routing gradients through fixed argmax positions: scatter (outputs → input positions) or gather (the adjoint).
/// Both are linear and each is the other's backward, so derivatives of any order exist.
/// </summary>
internal sealed class RouteFunction : torch.autograd.SingleTensorFunction<RouteFunction>
{
    private const string GeometryKey = "geometry", ShapeKey = "shape", ScatterKey = "scatter";

    public override string Name => "MetaSpikeMaxPool2dRoute";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (grad, routes, geometry, shape, scatter) = ((Tensor)vars[0], (Tensor)vars[1], (PoolGeometry)vars[2], (long[])vars[3], (bool)vars[4]);
        ctx.save_for_backward([routes]);
        ctx.save_data(GeometryKey, geometry);
        ctx.save_data(ShapeKey, shape);
        ctx.save_data(ScatterKey, scatter);
        return MaxPoolKernels.Route(grad, routes, geometry, shape, scatter);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad) =>
        [apply(grad, ctx.get_saved_variables()[0], ctx.get_data(GeometryKey), ctx.get_data(ShapeKey), !(bool)ctx.get_data(ScatterKey)),
         null!, null!, null!, null!];
}
