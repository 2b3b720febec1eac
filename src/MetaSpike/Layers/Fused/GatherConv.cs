using System.Numerics;
using System.Runtime.Intrinsics;
using MetaSpike.Neurons.Fused;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Layers.Fused;

/// <summary>
/// The forward convolution of a moderately sparse input without gradient — a hidden layer's spikes during burn-in or
/// evaluation, typically 30-40 % ones — gathered per output position: each output's channels are the sum, over the
/// kernel taps and over the input channels that fired at the tapped pixel, of the weight rows [tap, channel, :], so
/// the zeros cost nothing and padding taps are skipped instead of multiplied by zero. libtorch (oneDNN) convolves
/// every input, zero or not. Per sample the input is turned into per-pixel lists of its nonzero channels, the taps
/// are visited one at a time (a tap's weights, [Cin, Cout], stay in the L1 cache while all positions use them), and
/// the channel-last sums are written out channel-first.
/// </summary>
internal static class GatherConv
{
    /// <summary>
    /// Inputs denser than this use libtorch: on [500, 32, 16, 8] → 64 channels (2 threads) the gathered convolution
    /// measured 13 vs 21 ms at 37 % ones, and 22 vs 20 ms with every input nonzero.
    /// </summary>
    public const double MaxDensity = 0.5;

    /// <summary>Every this many samples one is counted to estimate the input's density (it only picks the faster path).</summary>
    private const int DensityStride = 8;

    /// <summary>
    /// conv2d(x, weight) without bias, or null where the gathered convolution does not apply: a gradient would be
    /// recorded (grad mode on and x or weight requires grad), <see cref="ConvGeometry.Of"/> refuses the shapes, the
    /// output channels are not a whole number of 256-bit registers, or x is denser than <see cref="MaxDensity"/>.
    /// </summary>
    public static Tensor? TryConv(Tensor x, Tensor weight, long stride, long padding)
    {
        if ((is_grad_enabled() && (x.requires_grad || weight.requires_grad)) || !Vector256.IsHardwareAccelerated
            || ConvGeometry.Of(x, weight, stride, padding) is not { } g)
            return null;
        var input = x.contiguous();
        return x.dtype == ScalarType.Float32 ? Convolve<float>(input, weight, g) : Convolve<double>(input, weight, g);
    }

    private static unsafe Tensor? Convolve<T>(Tensor x, Tensor weight, ConvGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool wide = Vector512.IsHardwareAccelerated && g.OutChannels % Vector512<T>.Count == 0;
        if (!wide && g.OutChannels % Vector256<T>.Count != 0) return null;
        T* xp = TensorMemory.Pointer<T>(x);
        int n = (int)x.shape[0], sampleSize = g.InChannels * g.Height * g.Width;
        if (SampledDensity(xp, n, sampleSize) > MaxDensity) return null;

        var wt = weight.permute(2, 3, 1, 0).contiguous(); // [K, K, Cin, Cout]: a tap's weight row for one input channel is contiguous
        var output = empty([n, g.OutChannels, g.OutHeight, g.OutWidth], weight.dtype);
        var (xa, wa, oa) = ((nint)xp, (nint)TensorMemory.Pointer<T>(wt), (nint)TensorMemory.Pointer<T>(output));
        Action<int, int> samples = wide
            ? (n0, n1) => new Kernel<T>(g).Run<Lanes512<T>, Vector512<T>>((T*)xa, (T*)wa, (T*)oa, n0, n1)
            : (n0, n1) => new Kernel<T>(g).Run<Lanes256<T>, Vector256<T>>((T*)xa, (T*)wa, (T*)oa, n0, n1);
        long work = (long)n * g.OutPlane * g.OutChannels * g.Kernel * g.Kernel;
        if (n >= 2 && work >= 1 << 18 && get_num_threads() >= 2) KernelThreads.TwoParts(n / 2, n, samples);
        else samples(0, n);
        return output;
    }

    /// <summary>The fraction of nonzeros in every <see cref="DensityStride"/>-th sample.</summary>
    private static unsafe double SampledDensity<T>(T* x, int samples, int sampleSize) where T : unmanaged, INumber<T>
    {
        long nonzero = 0, counted = 0;
        for (int s = 0; s < samples; s += DensityStride, counted += sampleSize)
            nonzero += VectorOps.CountNonzeros(x + (long)s * sampleSize, sampleSize);
        return (double)nonzero / counted;
    }

    /// <summary>One thread's buffers: per-pixel nonzero lists of the current sample and its channel-last output.</summary>
    private sealed unsafe class Kernel<T>(ConvGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly int[] _counts = new int[g.Height * g.Width];
        private readonly int[] _rows = new int[g.Height * g.Width * g.InChannels];
        private readonly T[] _values = new T[g.Height * g.Width * g.InChannels];
        private readonly T[] _sums = new T[g.OutPlane * g.OutChannels];

        public void Run<TL, TV>(T* x, T* wt, T* output, int n0, int n1) where TL : ILanes<TV, T>
        {
            int pixels = g.Height * g.Width, cin = g.InChannels, cout = g.OutChannels, k = g.Kernel, pad = g.Padding;
            int registers = cout / TL.Count;
            fixed (int* counts = _counts, rows = _rows)
            fixed (T* values = _values, sums = _sums)
            {
                for (int n = n0; n < n1; n++)
                {
                    ListNonzeros(x + (long)n * cin * pixels, counts, rows, values);
                    Array.Clear(_sums);
                    for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                    {
                        T* tap = wt + (long)(ky * k + kx) * cin * cout;
                        int oy0 = Math.Max(0, pad - ky), oy1 = Math.Min(g.OutHeight, g.Height + pad - ky);
                        int ox0 = Math.Max(0, pad - kx), ox1 = Math.Min(g.OutWidth, g.Width + pad - kx);
                        for (int oy = oy0; oy < oy1; oy++)
                        for (int ox = ox0; ox < ox1; ox++)
                        {
                            int p = (oy + ky - pad) * g.Width + ox + kx - pad;
                            if (counts[p] != 0)
                                AddRows<T, TL, TV>(sums + (long)(oy * g.OutWidth + ox) * cout, tap, rows + p * cin, values + p * cin, counts[p], registers);
                        }
                    }
                    VectorOps.Transpose(sums, g.OutPlane, cout, output + (long)n * cout * g.OutPlane);
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
    /// sum[0 .. registers · lanes) += Σₑ value[e] · tap[row[e] ..]: four registers at a time (the accumulators stay in
    /// registers across the list), then one at a time.
    /// </summary>
    private static unsafe void AddRows<T, TL, TV>(T* sum, T* tap, int* row, T* value, int count, int registers)
        where T : unmanaged where TL : ILanes<TV, T>
    {
        int lanes = TL.Count, r = 0;
        for (; r + 4 <= registers; r += 4)
        {
            T* s = sum + r * lanes;
            TV a0 = TL.Load(s), a1 = TL.Load(s + lanes), a2 = TL.Load(s + 2 * lanes), a3 = TL.Load(s + 3 * lanes);
            for (int e = 0; e < count; e++)
            {
                T* w = tap + row[e] + r * lanes;
                var v = TL.Broadcast(value[e]);
                a0 = TL.MultiplyAdd(TL.Load(w), v, a0);
                a1 = TL.MultiplyAdd(TL.Load(w + lanes), v, a1);
                a2 = TL.MultiplyAdd(TL.Load(w + 2 * lanes), v, a2);
                a3 = TL.MultiplyAdd(TL.Load(w + 3 * lanes), v, a3);
            }
            TL.Store(a0, s);
            TL.Store(a1, s + lanes);
            TL.Store(a2, s + 2 * lanes);
            TL.Store(a3, s + 3 * lanes);
        }
        for (; r < registers; r++)
        {
            T* s = sum + r * lanes;
            TV a = TL.Load(s);
            for (int e = 0; e < count; e++) a = TL.MultiplyAdd(TL.Load(tap + row[e] + r * lanes), TL.Broadcast(value[e]), a);
            TL.Store(a, s);
        }
    }
}
