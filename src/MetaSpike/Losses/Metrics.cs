using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Losses;

/// <summary>Classification metrics. They are not differentiable and read their results back to the CPU.</summary>
public static class Metrics
{
    /// <summary>The fraction of samples whose predicted class equals the label.</summary>
    /// <param name="logitsOrPredictions">
    /// Either floating-point scores [B, C], whose argmax over dimension 1 is the prediction, or integer
    /// predicted classes [B].
    /// </param>
    /// <param name="labels">Class indices [B], an integer dtype; in [0, C) when scores are given, else &gt;= 0.</param>
    /// <returns>A value in [0, 1].</returns>
    /// <exception cref="ArgumentException">
    /// Wrong shapes or dtypes, an empty batch, a label out of range, or scores containing NaN (argmax would pick it).
    /// </exception>
    public static double Accuracy(Tensor logitsOrPredictions, Tensor labels)
    {
        const string fn = "Metrics.Accuracy";
        LossChecks.NotNull(fn, logitsOrPredictions, nameof(logitsOrPredictions));
        CheckLabels(fn, labels);
        LossChecks.SameDevice(fn, logitsOrPredictions, nameof(logitsOrPredictions), labels, nameof(labels));
        long batch = labels.shape[0];
        bool scores = logitsOrPredictions.is_floating_point();
        bool shapeOk = scores
            ? logitsOrPredictions.dim() == 2 && logitsOrPredictions.shape[0] == batch && logitsOrPredictions.shape[1] >= 1
            : logitsOrPredictions.dim() == 1 && logitsOrPredictions.shape[0] == batch;
        if (!shapeOk)
            throw new ArgumentException(
                $"{fn}: expected floating-point logits [B, C] or integer predictions [B] with B = {batch} (labels {LossChecks.Shape(labels)}), " +
                $"got {logitsOrPredictions.dtype} of shape {LossChecks.Shape(logitsOrPredictions)}.",
                nameof(logitsOrPredictions));

        Tensor predictions;
        if (scores)
        {
            LossChecks.NoNaN(fn, logitsOrPredictions, nameof(logitsOrPredictions));
            LossChecks.LabelsInRange(fn, labels, logitsOrPredictions.shape[1], nameof(labels));
            predictions = logitsOrPredictions.detach().argmax(1);
        }
        else
        {
            LossChecks.Integer(fn, logitsOrPredictions, nameof(logitsOrPredictions));
            LossChecks.LabelsInRange(fn, labels, long.MaxValue, nameof(labels));
            predictions = logitsOrPredictions;
        }
        using var correct = predictions.eq(labels).sum();
        return correct.ToInt64() / (double)batch;
    }

    /// <summary>Counts of (true label, predicted class) pairs: entry [i, j] is the number of samples of class i predicted as j.</summary>
    /// <param name="predictions">Predicted classes [B], an integer dtype, each in [0, classes).</param>
    /// <param name="labels">True classes [B], an integer dtype, each in [0, classes).</param>
    /// <param name="classes">The number of classes, &gt;= 1.</param>
    /// <returns>A classes x classes matrix; rows are true labels, columns predictions.</returns>
    /// <exception cref="ArgumentException">Wrong shapes or dtypes, an empty batch, or a value out of range.</exception>
    public static long[,] ConfusionMatrix(Tensor predictions, Tensor labels, int classes)
    {
        const string fn = "Metrics.ConfusionMatrix";
        if (classes < 1)
            throw new ArgumentException($"{fn}: classes must be >= 1, got {classes}.", nameof(classes));
        CheckLabels(fn, labels);
        LossChecks.Integer(fn, predictions, nameof(predictions));
        LossChecks.SameShape(fn, labels, nameof(labels), predictions, nameof(predictions));

        var truth = ToArray(labels);
        var predicted = ToArray(predictions);
        var counts = new long[classes, classes];
        for (int b = 0; b < truth.Length; b++)
        {
            if (truth[b] < 0 || truth[b] >= classes)
                throw new ArgumentException($"{fn}: labels[{b}] = {truth[b]} is outside [0, {classes}).", nameof(labels));
            if (predicted[b] < 0 || predicted[b] >= classes)
                throw new ArgumentException($"{fn}: predictions[{b}] = {predicted[b]} is outside [0, {classes}).", nameof(predictions));
            counts[truth[b], predicted[b]]++;
        }
        return counts;
    }

    private static void CheckLabels(string fn, Tensor labels)
    {
        LossChecks.Integer(fn, labels, nameof(labels));
        if (labels.dim() != 1)
            throw new ArgumentException($"{fn}: labels must be [B], got shape {LossChecks.Shape(labels)}.", nameof(labels));
        LossChecks.NotEmpty(fn, labels, nameof(labels));
    }

    private static long[] ToArray(Tensor t)
    {
        using var cpu = t.detach().to_type(ScalarType.Int64).cpu().contiguous();
        return cpu.data<long>().ToArray();
    }
}
