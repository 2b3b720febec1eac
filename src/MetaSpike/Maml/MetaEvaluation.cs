using MetaSpike.Data.Generators;

namespace MetaSpike.Maml;

/// <summary>Accuracy over trials of tasks: the paper's protocol reports the mean ± std over trials.</summary>
/// <param name="Mean">Mean of the trial accuracies.</param>
/// <param name="Std">Sample standard deviation of the trial accuracies (0 for one trial).</param>
/// <param name="TrialAccuracies">Each trial's mean query accuracy over its tasks.</param>
/// <param name="MeanBefore">Mean query accuracy before adaptation (the meta-parameters as they are).</param>
/// <param name="InnerSteps">Inner steps used.</param>
public sealed record EvaluationSummary(double Mean, double Std, IReadOnlyList<double> TrialAccuracies, double MeanBefore, int InnerSteps)
{
    /// <summary>"97.5 ± 1.2 %".</summary>
    public override string ToString() => FormattableString.Invariant($"{100 * Mean:F1} ± {100 * Std:F1} %");
}

/// <summary>Evaluates a meta-learner on a split: trial t uses tasks t·M .. t·M + M - 1 of that split (the same tasks every time).</summary>
public static class MetaEvaluation
{
    /// <summary>Adapts to and scores <paramref name="trials"/> × <paramref name="tasksPerTrial"/> tasks of <paramref name="split"/>.</summary>
    /// <param name="learner">The meta-learner (not changed).</param>
    /// <param name="loader">Task source.</param>
    /// <param name="split">Usually meta-validation (model selection) or meta-test (report).</param>
    /// <param name="trials">Trials (the paper: 10).</param>
    /// <param name="tasksPerTrial">Tasks per trial.</param>
    /// <param name="innerSteps">Inner steps at test time (default: as in training).</param>
    /// <param name="inner">Another inner loop (e.g. more frozen layers), from <see cref="MetaLearner.CreateInnerLoop"/>.</param>
    /// <param name="taskDone">Called after each task (progress).</param>
    /// <exception cref="ArgumentException">Fewer than one trial or task.</exception>
    public static EvaluationSummary Run(MetaLearner learner, FewShotTaskLoader loader, MetaSplit split, int trials, int tasksPerTrial,
        int? innerSteps = null, InnerLoop? inner = null, Action? taskDone = null)
    {
        ArgumentNullException.ThrowIfNull(learner);
        return Sweep(learner, loader, split, trials, tasksPerTrial, [innerSteps ?? learner.Settings.Inner.Steps], inner, taskDone)[0];
    }

    /// <summary>
    /// Like <see cref="Run"/> for several inner step counts at once (the Fig. 3 sweep): each task is adapted once, along
    /// the longest trajectory, and scored at every count, so entry j equals <see cref="Run"/> with <paramref name="stepCounts"/>[j].
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than one trial or task, or no (or a negative) step count.</exception>
    public static IReadOnlyList<EvaluationSummary> Sweep(MetaLearner learner, FewShotTaskLoader loader, MetaSplit split, int trials, int tasksPerTrial,
        IReadOnlyList<int> stepCounts, InnerLoop? inner = null, Action? taskDone = null)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(stepCounts);
        if (trials < 1 || tasksPerTrial < 1) throw new ArgumentException($"need at least one trial of one task, got {trials} x {tasksPerTrial}.");
        if (stepCounts.Count == 0 || stepCounts.Any(n => n < 0)) throw new ArgumentException("give at least one inner step count, each >= 0.", nameof(stepCounts));
        var device = learner.Network.parameters().First().device;
        var accuracies = new double[stepCounts.Count, trials];
        double before = 0;
        for (int t = 0; t < trials; t++)
        {
            for (int k = 0; k < tasksPerTrial; k++)
            {
                using var cpu = loader.Load(split, t * tasksPerTrial + k);
                var task = cpu.To(device);
                var results = learner.EvaluateAtSteps(task, stepCounts, inner);
                if (!ReferenceEquals(task, cpu)) task.Dispose();
                for (int j = 0; j < results.Count; j++) accuracies[j, t] += results[j].Accuracy / tasksPerTrial;
                before += results[0].AccuracyBefore;
                taskDone?.Invoke();
            }
        }
        return Enumerable.Range(0, stepCounts.Count).Select(j =>
        {
            var trialAccuracies = Enumerable.Range(0, trials).Select(t => accuracies[j, t]).ToArray();
            var (mean, std) = MeanStd.Of(trialAccuracies);
            return new EvaluationSummary(mean, std, trialAccuracies, before / (trials * tasksPerTrial), stepCounts[j]);
        }).ToArray();
    }
}
