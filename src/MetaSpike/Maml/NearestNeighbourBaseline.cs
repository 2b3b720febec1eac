using MetaSpike.Data.FewShot;
using MetaSpike.Data.Generators;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>
/// The no-learning floor of a few-shot benchmark: each query takes the label of the support sample whose event
/// counts (frames summed over time) are most similar by cosine. A benchmark that this solves tests template
/// matching more than learning to learn; it is scored on the same tasks and trials as <see cref="MetaEvaluation"/>.
/// </summary>
public static class NearestNeighbourBaseline
{
    /// <summary>The query accuracy of one task (frames [T, samples, ...]).</summary>
    /// <exception cref="ArgumentException">The support or query set is empty, or their frames differ in shape.</exception>
    public static double Accuracy(TaskData task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var (support, query) = (task.SupportFrames, task.QueryFrames);
        if (support.dim() < 2 || query.dim() < 2 || support.shape[1] == 0 || query.shape[1] == 0 || !support.shape[2..].SequenceEqual(query.shape[2..]))
            throw new ArgumentException($"nearest neighbour needs support and query frames [T, samples, ...] of one sample shape, got {support.ShapeText()} and {query.ShapeText()}.", nameof(task));
        using var scope = NewDisposeScope();
        Tensor Counts(Tensor frames) => nn.functional.normalize(frames.to(float64).sum([0]).flatten(1), dim: 1);
        var similarity = Counts(query).mm(Counts(support).t());
        var predicted = task.SupportLabels.to(ScalarType.Int64)[similarity.argmax(1)];
        return predicted.eq(task.QueryLabels.to(ScalarType.Int64)).to(float64).mean().ToDouble();
    }

    /// <summary>Mean ± std over <paramref name="trials"/> trials of <paramref name="tasksPerTrial"/> tasks of <paramref name="split"/> (tasks numbered as in <see cref="MetaEvaluation"/>).</summary>
    /// <exception cref="ArgumentException">A count below 1.</exception>
    public static EvaluationSummary Evaluate(FewShotTaskLoader loader, MetaSplit split, int trials, int tasksPerTrial)
    {
        ArgumentNullException.ThrowIfNull(loader);
        if (trials < 1 || tasksPerTrial < 1) throw new ArgumentException($"trials and tasks per trial must be at least 1, got {trials} and {tasksPerTrial}.");
        var accuracies = new double[trials];
        for (int t = 0; t < trials; t++)
        {
            for (int k = 0; k < tasksPerTrial; k++)
            {
                using var task = loader.Load(split, t * tasksPerTrial + k);
                accuracies[t] += Accuracy(task) / tasksPerTrial;
            }
        }
        var (mean, std) = MeanStd.Of(accuracies);
        return new EvaluationSummary(mean, std, accuracies, double.NaN, 0);
    }
}
