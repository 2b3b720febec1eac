using System.Numerics;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>
/// The three products of a linear layer with few outputs over many rows — a readout such as Linear(128, 2) applied
/// to every step of every sample (12,800 rows in the tutorial workload) — with a narrow matrix N [rows, n] (n small),
/// a wide one X [rows, k] and a small one W [n, k]. BLAS spends more time packing and dispatching these skinny
/// shapes than multiplying (measured 0.11-0.15 ms each at 12,800 x 128 x 2 on 2 threads); one streaming pass over the
/// tall matrices, with W or the partial sums held in registers, is bounded by memory traffic instead.
/// </summary>
internal enum NarrowProductKind
{
    /// <summary>X · Wᵀ [rows, n]: the layer's forward.</summary>
    Project,

    /// <summary>N · W [rows, k]: the gradient of X.</summary>
    Expand,

    /// <summary>Nᵀ · X [n, k]: the gradient of W.</summary>
    Correlate,
}

/// <summary>The products of <see cref="NarrowProductKind"/> as vectorised CPU kernels and as a linear layer's forward.</summary>
internal static class NarrowProduct
{
    /// <summary>Layers with more outputs than this use BLAS, which is efficient once the narrow side is a few registers wide.</summary>
    public const int MaxNarrow = 8;

    /// <summary>
    /// Rows shorter than this take <see cref="ShortRowProduct"/>'s kernels (a row in one register) where they fit, else
    /// BLAS: these kernels' register loop over a row would not run (at 12,800 x 4 x 2 it measured 0.05-0.08 ms here
    /// against BLAS's 0.02-0.04; at 12,800 x 64 x 2, 0.17 ms in all against 0.21).
    /// </summary>
    public const int MinWide = 16;

    /// <summary>Products with fewer wide-matrix elements than this run on one thread.</summary>
    private const long ParallelElements = 1 << 16;

    /// <summary>
    /// x · wᵀ (+ bias) for a CPU float32/float64 matrix x [rows, k], a weight [n, k] and an optional bias [n] of the
    /// same dtype, with n at most <see cref="MaxNarrow"/> and k at least <see cref="MinWide"/> or short enough for one
    /// register, as an autograd node (derivatives of any order); null when the case does not apply.
    /// </summary>
    public static Tensor? TryLinear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (x.dim() != 2 || weight.dim() != 2 || weight.shape[0] > MaxNarrow || x.shape[1] != weight.shape[1]
            || x.device_type != DeviceType.CPU || weight.device_type != DeviceType.CPU || x.dtype != weight.dtype
            || x.dtype is not (ScalarType.Float32 or ScalarType.Float64) || x.numel() >= int.MaxValue || x.shape[0] == 0
            || !ProductBias.IsBiasOf(bias, weight))
            return null;
        var (n, k) = ((int)weight.shape[0], (int)weight.shape[1]);
        if (k < MinWide && !(x.dtype == ScalarType.Float32 ? ShortRowProduct.Fits<float>(n, k) : ShortRowProduct.Fits<double>(n, k))) return null;
        return NarrowProductFunction.apply(x, weight, NarrowProductKind.Project, bias);
    }

    /// <summary>
    /// The product of <paramref name="kind"/> from its two operands (Project: X, W; Expand: N, W; Correlate: N, X),
    /// contiguous CPU tensors of one floating dtype whose shapes agree (checked by the caller), plus
    /// <paramref name="bias"/> [n] on every row for Project.
    /// </summary>
    public static Tensor Compute(NarrowProductKind kind, Tensor first, Tensor second, Tensor? bias = null)
    {
        var (a, b, c) = (first.contiguous(), second.contiguous(), bias?.contiguous());
        long rows = a.shape[0];
        // W is the second operand of Project and Expand, X of Correlate: k is always its width.
        var (n, k) = (kind == NarrowProductKind.Project ? b.shape[0] : a.shape[1], b.shape[1]);
        return a.dtype == ScalarType.Float32 ? Run<float>(kind, a, b, c, (int)rows, (int)n, (int)k) : Run<double>(kind, a, b, c, (int)rows, (int)n, (int)k);
    }

    private static unsafe Tensor Run<T>(NarrowProductKind kind, Tensor a, Tensor b, Tensor? bias, int rows, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (ap, bp) = ((nint)TensorMemory.Pointer<T>(a), (nint)TensorMemory.Pointer<T>(b));
        var cp = bias is null ? 0 : (nint)TensorMemory.Pointer<T>(bias);
        bool parallel = KernelThreads.Splits(rows, (long)rows * k, ParallelElements);
        if (kind == NarrowProductKind.Correlate)
            return KernelThreads.SumOverShared(parallel, rows, [n, k], a.dtype, part => (r0, r1) => Rows(kind, (T*)ap, (T*)bp, null, (T*)part, n, k, r0, r1));
        var result = empty([rows, kind == NarrowProductKind.Project ? n : k], a.dtype);
        var rp = (nint)TensorMemory.Pointer<T>(result);
        KernelThreads.OneOrTwoParts(parallel, rows / 2, rows, (r0, r1) => Rows(kind, (T*)ap, (T*)bp, (T*)cp, (T*)rp, n, k, r0, r1));
        return result;
    }

    /// <summary>Rows r0 .. r1 - 1 of the product, by the wide kernels below or, for short rows, <see cref="ShortRowProduct"/>'s.</summary>
    private static unsafe void Rows<T>(NarrowProductKind kind, T* a, T* b, T* bias, T* result, int n, int k, int r0, int r1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (k < MinWide)
            ShortRowProduct.Run(kind, a, b, bias, result, n, k, r0, r1);
        else if (kind == NarrowProductKind.Project)
            Project(a, b, bias, result, n, k, r0, r1);
        else if (kind == NarrowProductKind.Expand)
            Expand(a, b, result, n, k, r0, r1);
        else
            Correlate(a, b, result, n, k, r0, r1);
    }

    /// <summary>y[r, j] = Σ_c x[r, c] w[j, c] (+ bias[j]) for rows r0 .. r1 - 1.</summary>
    private static unsafe void Project<T>(T* x, T* w, T* bias, T* y, int n, int k, int r0, int r1) where T : unmanaged, INumber<T>
    {
        int whole = k - k % Vector<T>.Count;
        for (int r = r0; r < r1; r++)
        {
            T* row = x + (long)r * k;
            for (int j = 0; j < n; j++)
            {
                T* weights = w + (long)j * k;
                var acc = Vector<T>.Zero;
                int c = 0;
                for (; c < whole; c += Vector<T>.Count)
                    acc += Vector.Load(row + c) * Vector.Load(weights + c);
                var sum = Vector.Sum(acc);
                for (; c < k; c++) sum += row[c] * weights[c];
                y[(long)r * n + j] = bias == null ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>z[r, :] = Σ_j g[r, j] w[j, :] for rows r0 .. r1 - 1.</summary>
    private static unsafe void Expand<T>(T* g, T* w, T* z, int n, int k, int r0, int r1) where T : unmanaged, INumber<T>
    {
        int whole = k - k % Vector<T>.Count;
        Span<Vector<T>> broadcast = stackalloc Vector<T>[MaxNarrow];
        for (int r = r0; r < r1; r++)
        {
            T* coefficients = g + (long)r * n, target = z + (long)r * k;
            for (int j = 0; j < n; j++) broadcast[j] = new Vector<T>(coefficients[j]);
            int c = 0;
            for (; c < whole; c += Vector<T>.Count)
            {
                var acc = broadcast[0] * Vector.Load(w + c);
                for (int j = 1; j < n; j++) acc += broadcast[j] * Vector.Load(w + (long)j * k + c);
                acc.Store(target + c);
            }
            for (; c < k; c++)
            {
                var sum = T.Zero;
                for (int j = 0; j < n; j++) sum += coefficients[j] * w[(long)j * k + c];
                target[c] = sum;
            }
        }
    }

    /// <summary>z[j, :] += Σ_r g[r, j] x[r, :] over rows r0 .. r1 - 1 (z starts zeroed).</summary>
    private static unsafe void Correlate<T>(T* g, T* x, T* z, int n, int k, int r0, int r1) where T : unmanaged, INumber<T>
    {
        for (int r = r0; r < r1; r++)
        {
            T* coefficients = g + (long)r * n;
            var row = new ReadOnlySpan<T>(x + (long)r * k, k);
            for (int j = 0; j < n; j++)
                VectorOps.AddScaled(new Span<T>(z + (long)j * k, k), row, coefficients[j]);
        }
    }
}

/// <summary>
/// A <see cref="NarrowProductKind"/> product of two differentiable operands as an autograd node. The three kinds are
/// closed under differentiation — Project(X, W)' is Expand(G, W) and Correlate(G, X); Expand(N, W)' is Project(G, W)
/// and Correlate(N, G); Correlate(N, X)' is Project(X, G) and Expand(N, G) — so the backward is this node again and
/// derivatives of any order exist (second-order MAML runs through it). Project may add a bias row, whose gradient is
/// the column sums of G.
/// </summary>
internal sealed class NarrowProductFunction : torch.autograd.SingleTensorFunction<NarrowProductFunction>
{
    private const string KindKey = "kind";

    public override string Name => "MetaSpikeNarrowProduct";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (first, second, kind) = ((Tensor)vars[0], (Tensor)vars[1], (NarrowProductKind)vars[2]);
        var bias = ProductBias.Save(ctx, vars, 3);
        ctx.save_for_backward([first, second]);
        ctx.save_data(KindKey, kind);
        return NarrowProduct.Compute(kind, first, second, bias);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad)
    {
        var saved = ctx.get_saved_variables();
        var (first, second) = (saved[0], saved[1]);
        var (firstGrad, secondGrad) = (NarrowProductKind)ctx.get_data(KindKey) switch
        {
            NarrowProductKind.Project => (Product(first, NarrowProductKind.Expand, grad, second), Product(second, NarrowProductKind.Correlate, grad, first)),
            NarrowProductKind.Expand => (Product(first, NarrowProductKind.Project, grad, second), Product(second, NarrowProductKind.Correlate, first, grad)),
            _ => (Product(first, NarrowProductKind.Project, second, grad), Product(second, NarrowProductKind.Expand, first, grad)),
        };
        return ProductBias.Gradients(ctx, grad, [firstGrad!, secondGrad!, null!]);
    }

    /// <summary>The product when <paramref name="operand"/> needs a gradient, else null.</summary>
    private static Tensor? Product(Tensor operand, NarrowProductKind kind, Tensor first, Tensor second) =>
        operand.requires_grad ? apply(first, second, kind) : null;
}
