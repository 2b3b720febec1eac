using MetaSpike.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>The size of one weight update dw (one row of Stewart and Neftci's Table 5).</summary>
/// <param name="Elements">Elements of the updated tensor.</param>
/// <param name="MeanMagnitude">Mean |dw| over the elements.</param>
/// <param name="SumMagnitude">Sum of |dw|.</param>
/// <param name="MaxMagnitude">Largest |dw|.</param>
/// <param name="NonZeroFraction">Fraction of elements with dw ≠ 0 (below 1 for thresholded updates).</param>
public sealed record UpdateStatistics(long Elements, double MeanMagnitude, double SumMagnitude, double MaxMagnitude, double NonZeroFraction);

/// <summary>Each statistic of many updates as mean ± std over the updates (their Table 5).</summary>
/// <param name="Updates">Updates summarised.</param>
/// <param name="MeanMagnitude">Of <see cref="UpdateStatistics.MeanMagnitude"/>.</param>
/// <param name="SumMagnitude">Of <see cref="UpdateStatistics.SumMagnitude"/>.</param>
/// <param name="MaxMagnitude">Of <see cref="UpdateStatistics.MaxMagnitude"/>.</param>
/// <param name="NonZeroFraction">Of <see cref="UpdateStatistics.NonZeroFraction"/>.</param>
public sealed record UpdateSummary(int Updates, MeanStd MeanMagnitude, MeanStd SumMagnitude, MeanStd MaxMagnitude, MeanStd NonZeroFraction);

/// <summary>
/// <see cref="Count"/> logarithmically spaced bins of |dw| from <see cref="Low"/> to <see cref="High"/>:
/// bin i holds Edges[i] ≤ |dw| &lt; Edges[i + 1].
/// </summary>
public sealed record LogBins
{
    /// <summary>Creates the bins.</summary>
    /// <param name="low">The first edge, &gt; 0.</param>
    /// <param name="high">The last edge, &gt; <paramref name="low"/>.</param>
    /// <param name="count">Bins, at least 1.</param>
    /// <exception cref="ArgumentException">An edge is not finite and positive, the edges are not increasing, or no bins.</exception>
    public LogBins(double low = 1e-8, double high = 1.0, int count = 40)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || low <= 0 || high <= low)
            throw new ArgumentException($"log bins need finite edges 0 < low < high, got {low} and {high}.");
        if (count < 1) throw new ArgumentException($"log bins need at least 1 bin, got {count}.", nameof(count));
        (Low, High, Count) = (low, high, count);
    }

    /// <summary>The first edge.</summary>
    public double Low { get; }

    /// <summary>The last edge.</summary>
    public double High { get; }

    /// <summary>Bins.</summary>
    public int Count { get; }

    /// <summary>The <see cref="Count"/> + 1 edges, equally spaced in log |dw|.</summary>
    public IReadOnlyList<double> Edges
    {
        get
        {
            double a = Math.Log10(Low), b = Math.Log10(High);
            return Enumerable.Range(0, Count + 1).Select(i => i == 0 ? Low : i == Count ? High : Math.Pow(10, a + (b - a) * i / Count)).ToArray();
        }
    }

    /// <summary>Each bin's geometric centre (where a log-scale plot puts it).</summary>
    public IReadOnlyList<double> Centers
    {
        get
        {
            var e = Edges;
            return Enumerable.Range(0, Count).Select(i => Math.Sqrt(e[i] * e[i + 1])).ToArray();
        }
    }
}

/// <summary>Counts of |dw| in <see cref="Bins"/> (their Fig. 5); exact zeros, and non-zero values outside the bins, counted apart.</summary>
/// <param name="Bins">The bins.</param>
/// <param name="Counts">Elements per bin.</param>
/// <param name="Zeros">Elements with dw = 0 (a log scale cannot show them).</param>
/// <param name="Below">Non-zero elements with |dw| &lt; <see cref="LogBins.Low"/>.</param>
/// <param name="Above">Elements with |dw| ≥ <see cref="LogBins.High"/>.</param>
public sealed record UpdateHistogram(LogBins Bins, IReadOnlyList<long> Counts, long Zeros, long Below, long Above)
{
    /// <summary>All elements counted.</summary>
    public long Total => Counts.Sum() + Zeros + Below + Above;

    /// <summary>No counts yet.</summary>
    public static UpdateHistogram Empty(LogBins bins) => new(bins, new long[bins.Count], 0, 0, 0);

    /// <summary>The counts of both histograms added.</summary>
    /// <exception cref="ArgumentException">The bins differ.</exception>
    public UpdateHistogram Plus(UpdateHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Bins != Bins) throw new ArgumentException("histograms with different bins cannot be added.", nameof(other));
        return new UpdateHistogram(Bins, Counts.Zip(other.Counts, (a, b) => a + b).ToArray(), Zeros + other.Zeros, Below + other.Below, Above + other.Above);
    }
}

/// <summary>
/// Statistics of weight updates dw (e.g. a head weight after a step minus before), as in Stewart and Neftci
/// (2022, Sec. 3.4, Table 5 and Fig. 5): MAML's inner loop makes few, large updates; ordinary training many small
/// ones. Computed in float64.
/// </summary>
public static class UpdateMagnitudes
{
    /// <summary>Mean, sum and maximum of |dw| and the fraction of non-zero elements of one update.</summary>
    /// <exception cref="ArgumentException">The update is empty, not floating point, or not finite.</exception>
    public static UpdateStatistics Of(Tensor update)
    {
        using var scope = NewDisposeScope();
        var magnitude = Magnitudes(update);
        long n = magnitude.numel();
        double sum = magnitude.sum().ToDouble();
        return new UpdateStatistics(n, sum / n, sum, magnitude.max().ToDouble(), magnitude.count_nonzero().ToInt64() / (double)n);
    }

    /// <summary>Each statistic as mean ± std over <paramref name="updates"/>.</summary>
    /// <exception cref="ArgumentException">No updates.</exception>
    public static UpdateSummary Summarize(IReadOnlyCollection<UpdateStatistics> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0) throw new ArgumentException("there are no updates to summarise.", nameof(updates));
        MeanStd Over(Func<UpdateStatistics, double> statistic) => MeanStd.Of(updates.Select(statistic).ToArray());
        return new UpdateSummary(updates.Count, Over(u => u.MeanMagnitude), Over(u => u.SumMagnitude), Over(u => u.MaxMagnitude), Over(u => u.NonZeroFraction));
    }

    /// <summary>The histogram of one update's |dw| over <paramref name="bins"/>.</summary>
    /// <exception cref="ArgumentException">The update is empty, not floating point, or not finite.</exception>
    public static UpdateHistogram Histogram(Tensor update, LogBins bins)
    {
        ArgumentNullException.ThrowIfNull(bins);
        using var scope = NewDisposeScope();
        var magnitude = Magnitudes(update);
        var edges = tensor(bins.Edges.ToArray(), ScalarType.Float64, magnitude.device);
        // right: bucket i + 1 holds Edges[i] <= |dw| < Edges[i + 1]; bucket 0 everything below Low (zeros too), Count + 1 from High up.
        var buckets = bucketize(magnitude, edges, right: true).bincount(null, bins.Count + 2).cpu().data<long>().ToArray();
        long zeros = magnitude.numel() - magnitude.count_nonzero().ToInt64();
        return new UpdateHistogram(bins, buckets[1..^1], zeros, buckets[0] - zeros, buckets[^1]);
    }

    private static Tensor Magnitudes(Tensor update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (!update.is_floating_point()) throw new ArgumentException($"an update must be a floating-point tensor, got {update.dtype}.", nameof(update));
        if (update.numel() == 0) throw new ArgumentException("the update is empty.", nameof(update));
        using var _ = no_grad();
        var magnitude = update.detach().to_type(ScalarType.Float64).abs().flatten();
        if (!Checks.AllFinite(magnitude)) throw new ArgumentException("the update holds NaN or infinity.", nameof(update));
        return magnitude;
    }
}
