using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// Spike times on the time grid of a recording: bin k holds the spikes with k dt &lt;= t &lt; (k + 1) dt, and the last
/// bin also holds t = steps dt, like <c>np.histogram(times, bins=np.arange(steps + 1) * dt)</c> in the BrainScaleS-2
/// SuperSpike tutorial. Times and dt share one unit (µs by convention).
/// </summary>
public static class SpikeBinning
{
    /// <summary>The bin edges k dt for k = 0 .. steps, computed as numpy's <c>np.arange(steps + 1) * dt</c> does.</summary>
    /// <param name="steps">Number of bins, &gt;= 1.</param>
    /// <param name="dt">Bin width, finite and &gt; 0.</param>
    /// <exception cref="ArgumentException">steps &lt; 1 or dt not finite and positive.</exception>
    public static double[] Edges(int steps, double dt)
    {
        const string fn = "SpikeBinning.Edges";
        CheckGrid(fn, steps, dt);
        var edges = new double[steps + 1];
        for (int k = 0; k <= steps; k++) edges[k] = k * dt;
        return edges;
    }

    /// <summary>One spike train binned to counts per step, [steps], float64.</summary>
    /// <param name="spikeTimes">Spike times, sorted ascending, within [0, steps dt].</param>
    /// <param name="steps">Number of bins, &gt;= 1.</param>
    /// <param name="dt">Bin width, finite and &gt; 0.</param>
    /// <exception cref="ArgumentException">A NaN or infinite time, a time outside the run, unsorted times, steps &lt; 1 or a bad dt.</exception>
    public static Tensor Bin(IReadOnlyList<double> spikeTimes, int steps, double dt)
    {
        ArgumentNullException.ThrowIfNull(spikeTimes);
        return Bin([spikeTimes], steps, dt).squeeze(1);
    }

    /// <summary>Several spike trains binned to counts per step, [steps, trains], float64 (column j is train j).</summary>
    /// <param name="spikeTimes">One list of spike times per train, each sorted ascending, within [0, steps dt].</param>
    /// <param name="steps">Number of bins, &gt;= 1.</param>
    /// <param name="dt">Bin width, finite and &gt; 0.</param>
    /// <exception cref="ArgumentException">
    /// No trains, a NaN or infinite time, a time outside the run, unsorted times, steps &lt; 1 or a bad dt; the
    /// message names the train and the spike.
    /// </exception>
    public static Tensor Bin(IReadOnlyList<IReadOnlyList<double>> spikeTimes, int steps, double dt)
    {
        const string fn = "SpikeBinning.Bin";
        ArgumentNullException.ThrowIfNull(spikeTimes);
        if (spikeTimes.Count == 0) throw new ArgumentException($"{fn}: no spike trains were given.", nameof(spikeTimes));
        var edges = Edges(steps, dt);
        int trains = spikeTimes.Count;
        var binned = zeros([steps, trains], ScalarType.Float64);
        var counts = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(binned.bytes);
        for (int j = 0; j < trains; j++)
        {
            var train = spikeTimes[j] ?? throw new ArgumentException($"{fn}: spike train {j} is null.", nameof(spikeTimes));
            for (int n = 0; n < train.Count; n++)
            {
                double t = train[n];
                if (!double.IsFinite(t))
                    throw new ArgumentException($"{fn}: spike {n} of train {j} is {t}.", nameof(spikeTimes));
                if (t < 0 || t > edges[steps])
                    throw new ArgumentException($"{fn}: spike {n} of train {j} at {t} is outside the run [0, {edges[steps]}].", nameof(spikeTimes));
                if (n > 0 && t < train[n - 1])
                    throw new ArgumentException($"{fn}: spike train {j} is not sorted: spike {n} at {t} comes before spike {n - 1} at {train[n - 1]}.", nameof(spikeTimes));
                counts[BinIndex(edges, t) * trains + j] += 1;
            }
        }
        return binned;
    }

    /// <summary>The k with edges[k] &lt;= t &lt; edges[k + 1] (the last bin is closed), by binary search like numpy.</summary>
    private static int BinIndex(double[] edges, double t)
    {
        int last = edges.Length - 2;
        if (t >= edges[last + 1]) return last;
        int i = Array.BinarySearch(edges, t);
        // An exact edge opens its bin; otherwise BinarySearch gives the complement of the next larger edge.
        return i >= 0 ? i : ~i - 1;
    }

    private static void CheckGrid(string fn, int steps, double dt)
    {
        if (steps < 1) throw new ArgumentException($"{fn}: steps must be >= 1, got {steps}.", nameof(steps));
        OnlineChecks.Positive(fn, dt, nameof(dt));
    }
}
