using MetaSpike.Modules;
using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>
/// Collects the updates of one parameter (by its index in <see cref="FunctionalCall.Parameters"/>, e.g. the head
/// weight) from any source: MAML's inner loop (θ_n - θ_0 on a task, <see cref="RecordInnerLoop"/>), its outer loop
/// (before and after a meta-step, <see cref="RecordOuterStep"/>) or ordinary training steps (<see cref="Record"/>
/// around an optimiser step, as <see cref="TransferLearning.Pretrain"/> does). Keeps each update's statistics and
/// one running histogram, not the tensors, so memory stays flat however many updates are recorded.
/// </summary>
public sealed class UpdateRecorder
{
    private readonly List<UpdateStatistics> _updates = [];

    /// <summary>Creates the recorder.</summary>
    /// <param name="parameterIndex">The parameter's index in <see cref="FunctionalCall.Parameters"/>.</param>
    /// <param name="bins">Histogram bins (default: <see cref="LogBins"/>'s 40 bins from 1e-8 to 1).</param>
    /// <exception cref="ArgumentException">A negative index.</exception>
    public UpdateRecorder(int parameterIndex, LogBins? bins = null)
    {
        if (parameterIndex < 0) throw new ArgumentException($"the parameter index must be >= 0, got {parameterIndex}.", nameof(parameterIndex));
        ParameterIndex = parameterIndex;
        Bins = bins ?? new LogBins();
        Histogram = UpdateHistogram.Empty(Bins);
    }

    /// <summary>A recorder of <paramref name="network"/>'s parameter named <paramref name="name"/> (default the head weight).</summary>
    /// <exception cref="ArgumentException">The network has no parameter of that name.</exception>
    public static UpdateRecorder ForParameter(nn.Module network, string name = "head.weight", LogBins? bins = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var names = FunctionalCall.ParameterNames(network);
        int index = names.ToList().IndexOf(name);
        return index >= 0 ? new UpdateRecorder(index, bins)
            : throw new ArgumentException($"the network has no parameter '{name}' (it has {string.Join(", ", names)}).", nameof(name));
    }

    /// <summary>The recorded parameter's index.</summary>
    public int ParameterIndex { get; }

    /// <summary>The histogram bins.</summary>
    public LogBins Bins { get; }

    /// <summary>Each recorded update's statistics, in order.</summary>
    public IReadOnlyList<UpdateStatistics> Updates => _updates;

    /// <summary>The histogram of |dw| over all recorded updates.</summary>
    public UpdateHistogram Histogram { get; private set; }

    /// <summary>Mean ± std of each statistic over the recorded updates.</summary>
    /// <exception cref="ArgumentException">Nothing recorded yet.</exception>
    public UpdateSummary Summary() => UpdateMagnitudes.Summarize(_updates);

    /// <summary>Records one update dw.</summary>
    /// <exception cref="ArgumentException">The update is empty, not floating point, or not finite.</exception>
    public UpdateStatistics Add(Tensor update)
    {
        var statistics = UpdateMagnitudes.Of(update);
        Histogram = Histogram.Plus(UpdateMagnitudes.Histogram(update, Bins));
        _updates.Add(statistics);
        return statistics;
    }

    /// <summary>Records after - before of the parameter at <see cref="ParameterIndex"/> in two parameter lists.</summary>
    /// <exception cref="ArgumentException">The lists are too short for the index, or the two tensors differ in shape.</exception>
    public UpdateStatistics Add(IReadOnlyList<Tensor> before, IReadOnlyList<Tensor> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (ParameterIndex >= Math.Min(before.Count, after.Count))
            throw new ArgumentException($"parameter {ParameterIndex} is recorded, but {before.Count} and {after.Count} parameters were given.", nameof(before));
        var (b, a) = (before[ParameterIndex], after[ParameterIndex]);
        if (!b.shape.SequenceEqual(a.shape)) throw new ArgumentException($"parameter {ParameterIndex} is {b.ShapeText()} before but {a.ShapeText()} after.", nameof(after));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return Add(a.detach() - b.detach().to(a.device));
    }

    /// <summary>Runs <paramref name="change"/> (e.g. an optimiser step) and records how it changed the parameter of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">The network has no parameter at <see cref="ParameterIndex"/>.</exception>
    public UpdateStatistics Record(nn.Module network, Action change)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(change);
        var parameter = ParameterOf(network);
        using var scope = NewDisposeScope();
        Tensor before;
        using (no_grad()) before = parameter.detach().clone();
        change();
        using var _ = no_grad();
        return Add(ParameterOf(network).detach() - before);
    }

    /// <summary>
    /// Adapts the learner's start (<see cref="MetaLearner.DetachedStart"/>) to <paramref name="task"/> and records
    /// θ_n - θ_0 (the inner-loop update of their Table 5); the meta-parameters are not changed.
    /// </summary>
    /// <param name="learner">The meta-learner.</param>
    /// <param name="task">An (evaluation) task.</param>
    /// <param name="innerSteps">Inner steps (default: as in training).</param>
    /// <param name="inner">Another inner loop, e.g. thresholded (default: the training one).</param>
    public UpdateStatistics RecordInnerLoop(MetaLearner learner, TaskData task, int? innerSteps = null, InnerLoop? inner = null)
    {
        ArgumentNullException.ThrowIfNull(learner);
        using var scope = NewDisposeScope();
        var start = learner.DetachedStart();
        return Add(start, learner.Adapt(start, task, innerSteps, inner).Parameters);
    }

    /// <summary>Runs one <see cref="MetaLearner.Step"/> and records how it changed the meta-parameter (the outer-loop update).</summary>
    public MetaStepResult RecordOuterStep(MetaLearner learner, IReadOnlyList<TaskData> tasks, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(learner);
        MetaStepResult? result = null;
        Record(learner.Network, () => result = learner.Step(tasks, seed));
        return result!;
    }

    private Tensor ParameterOf(nn.Module network)
    {
        var parameters = FunctionalCall.Parameters(network);
        return ParameterIndex < parameters.Count ? parameters[ParameterIndex]
            : throw new ArgumentException($"parameter {ParameterIndex} is recorded, but the network has {parameters.Count} parameters.", nameof(network));
    }
}
