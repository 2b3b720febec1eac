using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>
/// The convolution of a moderately sparse input — a hidden layer's spikes, typically 30-40 % ones — gathered per
/// output position: each output's channels are the sum, over the kernel taps and over the input channels that fired at
/// the tapped pixel, of the weight rows [tap, channel, :], so the zeros cost nothing and padding taps are skipped
/// instead of multiplied by zero. libtorch (oneDNN) convolves every input, zero or not. Per sample the input is turned
/// into per-pixel lists of its nonzero channels; each walk of a pixel's list feeds the outputs that several taps of one
/// kernel row reach from it (each loaded entry feeds all of them, see <see cref="TapColumns"/>), and the channel-last
/// sums are written out channel-first.
/// Without a recorded gradient (burn-in, evaluation) it serves any plane; in a gradient window it is an autograd node
/// whose weight gradient is gathered the same way, per input channel over its nonzero pixels.
/// </summary>
internal static class GatherConv
{
    /// <summary>
    /// Inputs denser than this use libtorch: on [500, 32, 16, 8] → 64 channels (2 threads) the gathered convolution
    /// measured 13 vs 21 ms at 37 % ones, and 22 vs 20 ms with every input nonzero.
    /// </summary>
    public const double MaxDensity = 0.5;

    /// <summary>
    /// With a recorded gradient, outputs of more positions than this per channel use libtorch: its convolution and
    /// backward are efficient on larger planes. Measured on (c)'s window (150 samples, 37 % spikes, 2 threads): third
    /// layer (8 x 4 outputs) forward 2.3 vs 4.5 ms and backward 7.0 vs 6.2 ms, second-order meta-step 165 vs 180 ms;
    /// second layer (16 x 8) forward 4.2 vs 3.6 ms and backward 8.2 vs 7.3 ms.
    /// </summary>
    public const int MaxRecordedOutPlane = 32;

    /// <summary>
    /// conv2d(x, weight) without bias, or null where the gathered convolution does not apply:
    /// <see cref="ConvGeometry.Of"/> refuses the shapes, the output channels are not a whole number of 256-bit
    /// registers, or x is denser than <see cref="MaxDensity"/>. Where a gradient is recorded (grad mode on and x or
    /// weight requires grad) the result is a <see cref="GatherConvFunction"/> node, which also needs a padding of at
    /// most K - 1 and at most <see cref="MaxRecordedOutPlane"/> output positions per channel. With a
    /// <paramref name="pool"/> window each sample's output is max-pooled before it is written; that needs no recorded
    /// gradient (else null).
    /// </summary>
    /// <param name="x">The input [N, Cin, H, W].</param>
    /// <param name="weight">The weight [Cout, Cin, K, K].</param>
    /// <param name="stride">The stride.</param>
    /// <param name="padding">The zero padding.</param>
    /// <param name="pool">The max pooling each sample's output goes through, if any.</param>
    /// <param name="sequenceBatch">
    /// B when x is a sequence's steps [T · B, ...] time-major: with no recorded gradient, steps whose change from one
    /// or two steps before is sparser than themselves are then convolved as that step's output plus the convolution
    /// of the change (<see cref="DeltaChains"/>).
    /// </param>
    public static Tensor? TryConv(Tensor x, Tensor weight, long stride, long padding, PoolWindow? pool = null, int? sequenceBatch = null)
    {
        if (ConvGeometry.Of(x, weight, stride, padding) is not { } g || !Takes(g.OutChannels, x.dtype)) return null;
        bool records = Autograd.Records(x, weight);
        if (records && (pool is not null || g.Padding > g.Kernel - 1 || g.OutPlane > MaxRecordedOutPlane)) return null;
        var input = x.contiguous();
        if (!SparseEnough(input)) return null;
        if (records) return GatherConvFunction.apply(input, weight, g, false);
        var chains = sequenceBatch is { } batch ? DeltaChains.Choose(input, batch) : null;
        return Convolve(input, weight, g, new SampleOutput(g, pool), chains: chains);
    }

    /// <summary>How many samples the delta chains took as changes (a diagnostic for tests and benchmarks).</summary>
    public static long DeltaSteps => Interlocked.Read(ref _deltaSteps);

    private static long _deltaSteps;

    /// <summary>
    /// max_pool2d(conv2d(x, weight), pool) without bias and each pooled value's route (see <see cref="SampleOutput"/>),
    /// pooled as each sample is written, with no gradient recorded; null where <see cref="TryConv"/> would not take x.
    /// A <paramref name="sequenceBatch"/> is used as by <see cref="TryConv"/>.
    /// </summary>
    public static (Tensor Values, Tensor Routes)? TryPool(Tensor x, Tensor weight, long padding, PoolWindow pool, int? sequenceBatch = null)
    {
        if (ConvGeometry.Of(x, weight, 1, padding) is not { } g || !Takes(g.OutChannels, x.dtype)) return null;
        var input = x.contiguous();
        if (!SparseEnough(input)) return null;
        var writer = new SampleOutput(g, pool, routed: true);
        var chains = sequenceBatch is { } batch ? DeltaChains.Choose(input, batch) : null;
        return (Convolve(input, weight, g, writer, chains: chains), writer.Routes!);
    }

    private static bool SparseEnough(Tensor input) =>
        (input.dtype == ScalarType.Float32 ? SampledDensity<float>(input) : SampledDensity<double>(input)) <= MaxDensity;

    /// <summary>The fraction of nonzeros in spaced samples (<see cref="VectorOps.SampledDensity"/>).</summary>
    private static unsafe double SampledDensity<T>(Tensor input) where T : unmanaged, INumber<T>
    {
        int samples = (int)input.shape[0];
        return VectorOps.SampledDensity(TensorMemory.Pointer<T>(input), samples, (int)(input.numel() / samples));
    }

    /// <summary>Whether the kernel computes <paramref name="outChannels"/> output channels of <paramref name="dtype"/>: whole 256-bit registers of them.</summary>
    internal static bool Takes(int outChannels, ScalarType dtype) =>
        Vector256.IsHardwareAccelerated && outChannels % (dtype == ScalarType.Float32 ? Vector256<float>.Count : Vector256<double>.Count) == 0;

    /// <summary>
    /// conv2d(x, weight) without bias by the gathered kernel, each sample's output max-pooled by <paramref name="pool"/>
    /// when given; x contiguous, shapes as <paramref name="g"/> says.
    /// </summary>
    internal static Tensor Convolve(Tensor x, Tensor weight, ConvGeometry g, PoolWindow? pool = null) => Convolve(x, weight, g, new SampleOutput(g, pool));

    private static Tensor Convolve(Tensor x, Tensor weight, ConvGeometry g, SampleOutput writer, RoutedInput? routed = null, DeltaChains? chains = null) =>
        x.dtype == ScalarType.Float32 ? Convolve<float>(x, weight, g, writer, routed, chains) : Convolve<double>(x, weight, g, writer, routed, chains);

    /// <summary>
    /// conv2d(the max pooling's input gradient, weight) without bias: the pooled values [N, g.InChannels, PH, PW]
    /// scattered along their <paramref name="routes"/> to [N, g.InChannels, g.Height, g.Width] (zeros elsewhere) and
    /// convolved, the per-pixel lists made from the pooled values directly instead of zeroing, scattering and scanning
    /// an input-sized tensor (the same lists in the same order, so the same sums). Windows must not overlap (stride at
    /// least the window): each channel then reaches a pixel at most once.
    /// </summary>
    internal static unsafe Tensor ConvolveRouted(Tensor pooled, Tensor routes, PoolGeometry routing, Tensor weight, ConvGeometry g)
    {
        if (routing.Stride < routing.Kernel) throw new ArgumentException($"overlapping pooling windows (window {routing.Kernel}, stride {routing.Stride}) can route two values of a channel to one pixel", nameof(routing));
        if (routing.Height != g.Height || routing.Width != g.Width) throw new ArgumentException($"the pooling's plane {routing.Height} x {routing.Width} is not the convolution's input plane {g.Height} x {g.Width}", nameof(routing));
        var source = pooled.contiguous();
        var routed = new RoutedInput((nint)TensorMemory.Pointer<byte>(routes), routing.Corners, routing.RouteOffsets);
        var output = Convolve(source, weight, g, new SampleOutput(g, pool: null), routed);
        GC.KeepAlive(routes);
        return output;
    }

    /// <summary>A max pooling's routes [N, C, PH, PW] with each pooled position's window corner and each route's offset from it, in the full plane.</summary>
    private sealed record RoutedInput(nint Routes, int[] Corners, int[] Offsets);

    /// <summary>
    /// The weight gradient of conv2d(x, W) for the output gradient <paramref name="grad"/>: [Cout, Cin, K, K], each
    /// tap's [Cin, Cout] slice the sum, over x's nonzeros, of the value times the output gradient the tap reached.
    /// </summary>
    internal static Tensor WeightGrad(Tensor x, Tensor grad, ConvGeometry g) =>
        x.dtype == ScalarType.Float32 ? WeightGrad<float>(x, grad, g) : WeightGrad<double>(x, grad, g);

    private static unsafe Tensor Convolve<T>(Tensor x, Tensor weight, ConvGeometry g, SampleOutput writer, RoutedInput? routed, DeltaChains? chains)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // [K, K, Cin, Cout] with the taps TapStride apart: a tap's weight row for one input channel is contiguous.
        var wt = zeros([g.Kernel * g.Kernel, TapStride<T>(g)], weight.dtype);
        wt.narrow(1, 0, (long)g.InChannels * g.OutChannels).copy_(weight.permute(2, 3, 1, 0).reshape(g.Kernel * g.Kernel, -1));
        int n = (int)x.shape[0];
        var output = writer.Allocate(n, weight.dtype);
        var (xa, wa, oa) = ((nint)TensorMemory.Pointer<T>(x), (nint)TensorMemory.Pointer<T>(wt), (nint)TensorMemory.Pointer<T>(output));
        bool wide = Wide<T>(g);
        KernelThreads.Shared(Halves(n, g), chains?.Segments ?? n, () =>
        {
            var kernel = new Kernel<T>(g, writer, routed);
            return wide
                ? (i0, i1) => kernel.RunItems<Lanes512<T>, Vector512<T>>((T*)xa, (T*)wa, (T*)oa, chains, i0, i1)
                : (i0, i1) => kernel.RunItems<Lanes256<T>, Vector256<T>>((T*)xa, (T*)wa, (T*)oa, chains, i0, i1);
        });
        return output;
    }

    private static unsafe Tensor WeightGrad<T>(Tensor x, Tensor grad, ConvGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var source = grad.contiguous();
        int n = (int)x.shape[0];
        var (xa, ga) = ((nint)TensorMemory.Pointer<T>(x), (nint)TensorMemory.Pointer<T>(source));
        bool wide = Wide<T>(g);
        var sum = KernelThreads.SumOverShared(Halves(n, g), n, [g.Kernel, g.Kernel, g.InChannels, g.OutChannels], grad.dtype, part =>
        {
            var kernel = new GradKernel<T>(g);
            return wide
                ? (n0, n1) => kernel.Run<Lanes512<T>, Vector512<T>>((T*)xa, (T*)ga, (T*)part, n0, n1)
                : (n0, n1) => kernel.Run<Lanes256<T>, Vector256<T>>((T*)xa, (T*)ga, (T*)part, n0, n1);
        });
        return sum.permute(3, 2, 0, 1).contiguous();
    }

    /// <summary>
    /// Elements from one tap's weights to the next's: Cin · Cout and a cache line, so that neighbouring taps' rows of
    /// one input channel do not all fall in the same L1 cache sets.
    /// </summary>
    private static long TapStride<T>(ConvGeometry g) where T : unmanaged => (long)g.InChannels * g.OutChannels + 64 / Unsafe.SizeOf<T>();

    private static bool Wide<T>(ConvGeometry g) where T : unmanaged =>
        Vector512.IsHardwareAccelerated && g.OutChannels % Vector512<T>.Count == 0;

    /// <summary>Whether the samples are split over two threads: two or more samples, enough work and two threads.</summary>
    private static bool Halves(int samples, ConvGeometry g) =>
        KernelThreads.Splits(samples, (long)samples * g.OutPlane * g.OutChannels * g.Kernel * g.Kernel, 1 << 18);

    /// <summary>
    /// One thread's buffers: per-pixel nonzero lists of the current sample and its channel-last output. The lists come
    /// from the input, or, given <paramref name="routed"/>, from pooled values and their routes.
    /// </summary>
    private sealed unsafe class Kernel<T>(ConvGeometry g, SampleOutput writer, RoutedInput? routed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly int[] _counts = new int[g.Height * g.Width];
        private readonly int[] _rows = new int[g.Height * g.Width * g.InChannels];
        private readonly T[] _values = new T[g.Height * g.Width * g.InChannels];
        private readonly AlignedScratch<T> _sums = new(g.OutPlane * g.OutChannels);

        // Delta chains only: the change from the chain's previous step, and the pooled copy of the kept sums.
        private readonly Lazy<AlignedScratch<T>> _change = new(() => new AlignedScratch<T>(g.InChannels * g.Height * g.Width));
        private readonly Lazy<AlignedScratch<T>> _pooled = new(() => new AlignedScratch<T>(writer.Written));

        /// <summary>Items i0..i1: samples, or the segments of <paramref name="chains"/> when given.</summary>
        public void RunItems<TL, TV>(T* x, T* wt, T* output, DeltaChains? chains, int i0, int i1) where TL : ILanes<TV, T>
        {
            if (chains is { } c) RunChains<TL, TV>(x, wt, output, c, i0, i1);
            else Run<TL, TV>(x, wt, output, i0, i1);
        }

        private void Run<TL, TV>(T* x, T* wt, T* output, int n0, int n1) where TL : ILanes<TV, T>
        {
            int pixels = g.Height * g.Width, cin = g.InChannels;
            using var pin = _sums.Pinned();
            T* sums = pin.Pointer;
            fixed (int* counts = _counts, rows = _rows)
            fixed (T* values = _values)
            {
                for (int n = n0; n < n1; n++)
                {
                    if (routed is null) ListNonzeros(x + (long)n * cin * pixels, counts, rows, values);
                    else ListRouted(x, n, counts, rows, values, routed);
                    pin.Clear();
                    AddLists<TL, TV>(wt, sums, counts, rows, values);
                    writer.Write(sums, output, n);
                }
            }
        }

        /// <summary>
        /// Segments s0..s1 of <paramref name="chains"/>, each step in order: the segment's first step, and any step
        /// whose change from the chain's previous step has as many nonzeros as itself, from its own nonzeros and zeroed
        /// sums; the others as the change added to the previous step's sums, which are kept (the pooled output is
        /// written from a copy).
        /// </summary>
        private void RunChains<TL, TV>(T* x, T* wt, T* output, DeltaChains chains, int s0, int s1) where TL : ILanes<TV, T>
        {
            int size = g.InChannels * g.Height * g.Width, changes = 0;
            using AlignedScratch<T>.Pin pin = _sums.Pinned(), changePin = _change.Value.Pinned(), pooledPin = _pooled.Value.Pinned();
            T* sums = pin.Pointer, change = changePin.Pointer, pooled = pooledPin.Pointer;
            fixed (int* counts = _counts, rows = _rows)
            fixed (T* values = _values)
                for (int segment = s0; segment < s1; segment++)
                {
                    var (first, end) = chains.Range(segment);
                    for (int n = first; n < end; n += chains.Stride)
                    {
                        T* sample = x + (long)n * size;
                        if (n > first && VectorOps.Difference(sample, sample - (long)chains.Stride * size, change, size) < VectorOps.CountNonzeros(sample, size))
                        {
                            ListNonzeros(change, counts, rows, values);
                            changes++;
                        }
                        else
                        {
                            ListNonzeros(sample, counts, rows, values);
                            pin.Clear();
                        }
                        AddLists<TL, TV>(wt, sums, counts, rows, values);
                        writer.WriteKeeping(sums, pooled, output, n);
                    }
                }
            Interlocked.Add(ref _deltaSteps, changes);
        }

        /// <summary>sums += the convolution of the listed entries, a block of output channels at a time (fewer weights to keep in the cache per pass).</summary>
        private void AddLists<TL, TV>(T* wt, T* sums, int* counts, int* rows, T* values) where TL : ILanes<TV, T>
        {
            int registers = g.OutChannels / TL.Count;
            for (int r = 0; r < registers;)
            {
                int block = registers - r >= 4 ? 4 : registers - r >= 2 ? 2 : 1;
                if (block == 4) AddBlock<TL, TV, Four<T, TL, TV>>(wt + r * TL.Count, sums + r * TL.Count, counts, rows, values);
                else if (block == 2) AddBlock<TL, TV, Two<T, TL, TV>>(wt + r * TL.Count, sums + r * TL.Count, counts, rows, values);
                else AddBlock<TL, TV, One<T, TL, TV>>(wt + r * TL.Count, sums + r * TL.Count, counts, rows, values);
                r += block;
            }
        }

        /// <summary>
        /// sums[.., block] += the block's output channels of the convolution (weights and sums offset to the block).
        /// Input pixel ix reaches output ix + pad - kx through tap kx; the taps that land inside the output row are
        /// consecutive, and each walk of the pixel's list feeds as many of them as the block's registers allow
        /// (<see cref="TapColumns.TapsPerWalk"/>), dealt evenly over the walks (five taps as three and two, not four
        /// and one).
        /// </summary>
        private void AddBlock<TL, TV, TB>(T* wt, T* sums, int* counts, int* rows, T* values) where TL : ILanes<TV, T> where TB : struct, ISumRegisters<TB, T, TV>
        {
            int cin = g.InChannels, cout = g.OutChannels, k = g.Kernel, pad = g.Padding;
            long tapSize = TapStride<T>(g);
            int maxTaps = TapColumns.TapsPerWalk<T, TV, TB>();
            for (int ky = 0; ky < k; ky++)
            for (int oy = Math.Max(0, pad - ky), oy1 = Math.Min(g.OutHeight, g.Height + pad - ky); oy < oy1; oy++)
            for (int ix = 0; ix < g.Width; ix++)
            {
                int p = (oy + ky - pad) * g.Width + ix, count = counts[p];
                if (count == 0) continue;
                int kx0 = Math.Max(0, ix + pad - g.OutWidth + 1), kx1 = Math.Min(k, ix + pad + 1);
                int walks = (kx1 - kx0 + maxTaps - 1) / maxTaps;
                for (int w = 0; w < walks; w++)
                {
                    int kx = kx0 + (kx1 - kx0) * w / walks, taps = kx0 + (kx1 - kx0) * (w + 1) / walks - kx;
                    TapColumns.Add<T, TL, TV, TB>(taps, sums + (long)(oy * g.OutWidth + ix + pad - kx) * cout, -cout,
                        wt + (ky * k + kx) * tapSize, tapSize, rows + p * cin, values + p * cin, count);
                }
            }
        }

        /// <summary>
        /// The lists of the pooled values of sample <paramref name="n"/> scattered along their routes: channel by
        /// channel, as <see cref="ListNonzeros"/> would find them in the scattered input.
        /// </summary>
        private void ListRouted(T* pooled, int n, int* counts, int* rows, T* values, RoutedInput input)
        {
            int cin = g.InChannels, plane = input.Corners.Length;
            Array.Clear(_counts);
            fixed (int* corners = input.Corners, offsets = input.Offsets)
                for (int ci = 0; ci < cin; ci++)
                {
                    long at = ((long)n * cin + ci) * plane;
                    T* value = pooled + at;
                    byte* route = (byte*)input.Routes + at;
                    int row = ci * g.OutChannels;
                    for (int q = 0; q < plane; q++)
                    {
                        if (value[q] == T.Zero) continue;
                        int p = corners[q] + offsets[route[q]], slot = p * cin + counts[p]++;
                        rows[slot] = row;
                        values[slot] = value[q];
                    }
                }
        }

        /// <summary>For each pixel, its nonzero input channels (as weight-row offsets ci · Cout) and values.</summary>
        private void ListNonzeros(T* sample, int* counts, int* rows, T* values)
        {
            int pixels = g.Height * g.Width;
            Array.Clear(_counts);
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                var channel = new ChannelEntries<T>
                {
                    Plane = sample + (long)ci * pixels, Counts = counts, Rows = rows, Values = values,
                    Channels = g.InChannels, Row = ci * g.OutChannels,
                };
                VectorOps.ForEachNonzero(channel.Plane, pixels, ref channel);
            }
        }
    }

    /// <summary>
    /// One thread's buffers for the weight gradient: the current sample's output gradient channel-last inside a zero
    /// border of K - 1 - padding positions (so a tap that leaves the output reads zeros instead of testing bounds per
    /// entry), and one input channel's nonzero pixels in row order with where each row starts (rows whose taps all
    /// leave the output are skipped).
    /// </summary>
    private sealed unsafe class GradKernel<T>(ConvGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly int _paddedWidth = g.Width + g.Kernel - 1;
        private readonly AlignedScratch<T> _padded = new((g.Height + g.Kernel - 1) * (g.Width + g.Kernel - 1) * g.OutChannels);
        private readonly AlignedScratch<T> _plane = new(g.OutPlane * g.OutChannels);
        private readonly int[] _rows = new int[g.Height * g.Width];
        private readonly int[] _rowStarts = new int[g.Height + 1];
        private readonly T[] _values = new T[g.Height * g.Width];

        /// <summary>part [K, K, Cin, Cout] += the weight gradient of samples n0..n1.</summary>
        public void Run<TL, TV>(T* x, T* grad, T* part, int n0, int n1) where TL : ILanes<TV, T>
        {
            int pixels = g.Height * g.Width, cin = g.InChannels, cout = g.OutChannels, k = g.Kernel, border = g.Kernel - 1 - g.Padding;
            int registers = cout / TL.Count;
            using AlignedScratch<T>.Pin paddedPin = _padded.Pinned(), planePin = _plane.Pinned();
            T* padded = paddedPin.Pointer, plane = planePin.Pointer;
            fixed (int* rows = _rows, rowStarts = _rowStarts)
            fixed (T* values = _values)
            {
                for (int n = n0; n < n1; n++)
                {
                    VectorOps.Transpose(grad + (long)n * cout * g.OutPlane, cout, g.OutPlane, plane);
                    for (int oy = 0; oy < g.OutHeight; oy++)
                        new ReadOnlySpan<T>(plane + (long)oy * g.OutWidth * cout, g.OutWidth * cout)
                            .CopyTo(new Span<T>(padded + ((long)(oy + border) * _paddedWidth + border) * cout, g.OutWidth * cout));
                    for (int ci = 0; ci < cin; ci++)
                    {
                        ListPixels(x + ((long)n * cin + ci) * pixels, rows, rowStarts, values);
                        for (int ky = 0; ky < k; ky++)
                        {
                            int y0 = Math.Max(0, ky - g.Padding), y1 = Math.Min(g.Height, ky - g.Padding + g.OutHeight);
                            if (y0 >= y1) continue;
                            int e0 = rowStarts[y0], count = rowStarts[y1] - e0;
                            if (count == 0) continue;
                            int kx = 0;
                            for (; kx + 2 <= k; kx += 2)
                            {
                                long tap = (long)(ky * _paddedWidth + kx) * cout;
                                AddRowPairs<T, TL, TV>(part + ((long)(ky * k + kx) * cin + ci) * cout, (long)cin * cout, padded - tap, cout, rows + e0, values + e0, count, registers);
                            }
                            for (; kx < k; kx++)
                            {
                                long tap = (long)(ky * _paddedWidth + kx) * cout;
                                AddRows<T, TL, TV>(part + ((long)(ky * k + kx) * cin + ci) * cout, padded - tap, rows + e0, values + e0, count, registers);
                            }
                        }
                    }
                }
            }
        }

        /// <summary>A channel's nonzero pixels in row order, as offsets of the padded gradient the centre tap reads (rows), their values and each image row's first entry.</summary>
        private void ListPixels(T* channel, int* rows, int* rowStarts, T* values)
        {
            rowStarts[0] = 0;
            var pixels = new PixelEntries<T> { Plane = channel, Rows = rows, Values = values, RowStarts = rowStarts, Width = g.Width, PaddedWidth = _paddedWidth, Shift = g.Kernel - 1, Channels = g.OutChannels };
            VectorOps.ForEachNonzero(channel, g.Height * g.Width, ref pixels);
            for (int y = pixels.Row + 1; y <= g.Height; y++) rowStarts[y] = pixels.Count;
        }
    }

    /// <summary>Collects one channel's nonzero pixels (visited in order) with the start of each image row.</summary>
    private unsafe struct PixelEntries<T> : VectorOps.INonzeroVisitor where T : unmanaged
    {
        public T* Plane, Values;
        public int* Rows, RowStarts;
        public int Width, PaddedWidth, Shift, Channels, Count, Row;

        public void Visit(int pixel)
        {
            int y = pixel / Width;
            while (Row < y) RowStarts[++Row] = Count;
            Rows[Count] = ((y + Shift) * PaddedWidth + pixel - y * Width + Shift) * Channels;
            Values[Count++] = Plane[pixel];
        }
    }

    /// <summary>Appends one input channel's nonzero pixels to those pixels' lists.</summary>
    private unsafe struct ChannelEntries<T> : VectorOps.INonzeroVisitor where T : unmanaged
    {
        public T* Plane, Values;
        public int* Counts, Rows;
        public int Channels, Row;

        public readonly void Visit(int pixel)
        {
            int slot = pixel * Channels + Counts[pixel]++;
            Rows[slot] = Row;
            Values[slot] = Plane[pixel];
        }
    }

    /// <summary>
    /// <see cref="AddRows"/> for two sums at once that read the same entries at two sources <paramref name="shift"/>
    /// elements apart (two neighbouring kernel taps): twice the independent accumulators per loaded entry.
    /// </summary>
    private static unsafe void AddRowPairs<T, TL, TV>(T* sum, long sumStride, T* source, int shift, int* row, T* value, int count, int registers)
        where T : unmanaged where TL : ILanes<TV, T>
    {
        int lanes = TL.Count, r = 0;
        T* second = source - shift;
        for (; r + 4 <= registers; r += 4)
        {
            T* s = sum + r * lanes, t = s + sumStride;
            Four<T, TL, TV> a = SumRegisters.From<T, TV, Four<T, TL, TV>>(s), b = SumRegisters.From<T, TV, Four<T, TL, TV>>(t);
            for (int e = 0; e < count; e++)
            {
                var v = TL.Broadcast(value[e]);
                a.MultiplyAdd(source + row[e] + r * lanes, v);
                b.MultiplyAdd(second + row[e] + r * lanes, v);
            }
            a.Store(s);
            b.Store(t);
        }
        for (; r + 2 <= registers; r += 2)
        {
            // Two registers per sum (32 float channels in 512-bit registers): even and odd entries in separate sums
            // keep eight multiply-add chains in flight, as the four-register case does.
            T* s = sum + r * lanes, t = s + sumStride, x = source + r * lanes, y = second + r * lanes;
            Two<T, TL, TV> a = SumRegisters.From<T, TV, Two<T, TL, TV>>(s), b = SumRegisters.From<T, TV, Two<T, TL, TV>>(t), c = default, d = default;
            int e = 0;
            for (; e + 2 <= count; e += 2)
            {
                TV v = TL.Broadcast(value[e]), u = TL.Broadcast(value[e + 1]);
                a.MultiplyAdd(x + row[e], v);
                b.MultiplyAdd(y + row[e], v);
                c.MultiplyAdd(x + row[e + 1], u);
                d.MultiplyAdd(y + row[e + 1], u);
            }
            if (e < count)
            {
                var v = TL.Broadcast(value[e]);
                a.MultiplyAdd(x + row[e], v);
                b.MultiplyAdd(y + row[e], v);
            }
            a.Add(c).Store(s);
            b.Add(d).Store(t);
        }
        if (r < registers)
        {
            AddRows<T, TL, TV>(sum + r * lanes, source + r * lanes, row, value, count, registers - r);
            AddRows<T, TL, TV>(sum + sumStride + r * lanes, second + r * lanes, row, value, count, registers - r);
        }
    }

    /// <summary>
    /// sum[0 .. registers · lanes) += Σₑ value[e] · tap[row[e] ..]: four registers at a time, then two, then one (the
    /// accumulators stay in registers across the list), the entries dealt to two or four partial sums so that eight
    /// multiply-add chains are in flight (one chain per register would wait on the multiply-add's latency).
    /// </summary>
    private static unsafe void AddRows<T, TL, TV>(T* sum, T* tap, int* row, T* value, int count, int registers)
        where T : unmanaged where TL : ILanes<TV, T>
    {
        int lanes = TL.Count, r = 0;
        for (; r + 4 <= registers; r += 4)
        {
            T* s = sum + r * lanes, w = tap + r * lanes;
            Four<T, TL, TV> a = SumRegisters.From<T, TV, Four<T, TL, TV>>(s), b = default;
            int e = 0;
            for (; e + 2 <= count; e += 2)
            {
                a.MultiplyAdd(w + row[e], TL.Broadcast(value[e]));
                b.MultiplyAdd(w + row[e + 1], TL.Broadcast(value[e + 1]));
            }
            if (e < count) a.MultiplyAdd(w + row[e], TL.Broadcast(value[e]));
            a.Add(b).Store(s);
        }
        for (; r + 2 <= registers; r += 2) SumRegisters.AddDealt<T, TL, TV, Two<T, TL, TV>>(sum + r * lanes, tap + r * lanes, row, value, count);
        if (r < registers) SumRegisters.AddDealt<T, TL, TV, One<T, TL, TV>>(sum + r * lanes, tap + r * lanes, row, value, count);
    }
}

/// <summary>
/// The gathered convolution conv2d(x, W) (no bias) or, transposed, its weight gradient corr(x, G), as an autograd
/// node for a recorded gradient window. Both are bilinear in x and the dense argument D, and each is the other's
/// adjoint in D: the backward for U is, in D, this node again transposed, and in x libtorch's transposed convolution
/// conv_transpose2d(U, W) or conv_transpose2d(G, U); so derivatives of any order exist.
/// </summary>
internal sealed class GatherConvFunction : torch.autograd.SingleTensorFunction<GatherConvFunction>
{
    private const string GeometryKey = "geometry", TransposedKey = "transposed";

    public override string Name => "MetaSpikeGatherConv";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, dense, g, transposed) = ((Tensor)vars[0], (Tensor)vars[1], (ConvGeometry)vars[2], (bool)vars[3]);
        ctx.save_for_backward([x, dense]);
        ctx.save_data(GeometryKey, g);
        ctx.save_data(TransposedKey, transposed);
        return transposed ? GatherConv.WeightGrad(x, dense, g) : GatherConv.Convolve(x, dense, g);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad)
    {
        var saved = ctx.get_saved_variables();
        var (x, dense, g, transposed) = (saved[0], saved[1], (ConvGeometry)ctx.get_data(GeometryKey), (bool)ctx.get_data(TransposedKey));
        var inputGrad = x.requires_grad
            ? nn.functional.conv_transpose2d(transposed ? dense : grad, transposed ? grad : dense, padding: [g.Padding, g.Padding])
            : null;
        return [inputGrad!, dense.requires_grad ? apply(x, grad, g, !transposed) : null!, null!, null!];
    }
}
