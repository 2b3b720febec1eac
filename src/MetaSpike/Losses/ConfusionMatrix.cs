using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace MetaSpike.Losses;

/// <summary>
/// An immutable confusion matrix: rows are true labels, columns predicted classes. Combine the matrices of
/// several batches with <see cref="Add"/>.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <summary>Wraps a copy of <paramref name="counts"/>.</summary>
    /// <param name="counts">A square matrix of non-negative counts, [true label, predicted class].</param>
    /// <exception cref="ArgumentException">The matrix is empty, not square, or has a negative entry.</exception>
    public ConfusionMatrix(long[,] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int n = counts.GetLength(0);
        if (n < 1 || counts.GetLength(1) != n)
            throw new ArgumentException($"ConfusionMatrix: counts must be square with at least one class, got {n} x {counts.GetLength(1)}.", nameof(counts));
        foreach (long c in counts)
            if (c < 0) throw new ArgumentException($"ConfusionMatrix: counts must be >= 0, got {c}.", nameof(counts));
        _counts = (long[,])counts.Clone();
    }

    /// <summary>The confusion matrix of one batch; see <see cref="Metrics.ConfusionMatrix"/>.</summary>
    /// <param name="predictions">Predicted classes [B], an integer dtype.</param>
    /// <param name="labels">True classes [B], an integer dtype.</param>
    /// <param name="classes">The number of classes, &gt;= 1.</param>
    public static ConfusionMatrix From(Tensor predictions, Tensor labels, int classes) =>
        new(Metrics.ConfusionMatrix(predictions, labels, classes));

    /// <summary>The number of classes.</summary>
    public int Classes => _counts.GetLength(0);

    /// <summary>The number of samples of class <paramref name="trueLabel"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int trueLabel, int predicted] => _counts[trueLabel, predicted];

    /// <summary>A copy of the counts, [true label, predicted class].</summary>
    public long[,] Counts => (long[,])_counts.Clone();

    /// <summary>The number of samples counted.</summary>
    public long Total => _counts.Cast<long>().Sum();

    /// <summary>The fraction of samples on the diagonal; NaN when no sample has been counted.</summary>
    public double Accuracy => Total == 0 ? double.NaN : Enumerable.Range(0, Classes).Sum(i => _counts[i, i]) / (double)Total;

    /// <summary>The recall of class <paramref name="trueLabel"/>: correct predictions over its samples; NaN when it has none.</summary>
    /// <param name="trueLabel">A class in [0, <see cref="Classes"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">The class is out of range.</exception>
    public double Recall(int trueLabel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trueLabel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(trueLabel, Classes);
        long row = RowSum(trueLabel);
        return row == 0 ? double.NaN : _counts[trueLabel, trueLabel] / (double)row;
    }

    /// <summary>The element-wise sum with a matrix of the same size, e.g. to accumulate over batches.</summary>
    /// <exception cref="ArgumentException">The numbers of classes differ.</exception>
    public ConfusionMatrix Add(ConfusionMatrix other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Classes != Classes)
            throw new ArgumentException($"ConfusionMatrix.Add: {other.Classes} classes cannot be added to {Classes}.", nameof(other));
        var sum = Counts;
        for (int i = 0; i < Classes; i++)
            for (int j = 0; j < Classes; j++)
                sum[i, j] += other._counts[i, j];
        return new ConfusionMatrix(sum);
    }

    /// <summary>A text table: one row per true label, one column per prediction, the recall per row and the accuracy.</summary>
    public override string ToString()
    {
        const string corner = "true\\pred";
        int width = Math.Max(_counts.Cast<long>().Max().ToString(CultureInfo.InvariantCulture).Length, (Classes - 1).ToString(CultureInfo.InvariantCulture).Length) + 2;
        var sb = new StringBuilder();
        sb.Append(corner);
        for (int j = 0; j < Classes; j++) sb.Append(j.ToString(CultureInfo.InvariantCulture).PadLeft(width));
        sb.AppendLine("  recall");
        for (int i = 0; i < Classes; i++)
        {
            sb.Append(i.ToString(CultureInfo.InvariantCulture).PadLeft(corner.Length));
            for (int j = 0; j < Classes; j++) sb.Append(_counts[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            sb.Append("  ").AppendLine(Recall(i).ToString("F3", CultureInfo.InvariantCulture));
        }
        sb.Append(CultureInfo.InvariantCulture, $"accuracy {Accuracy:F3} ({Total} samples)");
        return sb.ToString();
    }

    private long RowSum(int row)
    {
        long sum = 0;
        for (int j = 0; j < Classes; j++) sum += _counts[row, j];
        return sum;
    }
}
