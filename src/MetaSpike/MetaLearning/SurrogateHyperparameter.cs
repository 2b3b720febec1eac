using System.Globalization;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>
/// How one surrogate hyperparameter (by its name, e.g. "alpha") behaves during <see cref="JointHyperparameterTraining"/>:
/// learned by gradient descent through a <see cref="PositiveParameter"/>, or set from a schedule each step (a
/// fixed value is a constant schedule).
/// </summary>
public sealed class SurrogateHyperparameter
{
    private SurrogateHyperparameter(string name, PositiveParameter? parameter, HyperparameterSchedule? schedule)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("the hyperparameter needs a name.", nameof(name));
        (Name, Parameter, Schedule) = (name, parameter, schedule);
    }

    /// <summary>Learned, starting at <paramref name="initialValue"/>, kept above <paramref name="minimum"/> by the softplus parametrisation.</summary>
    public static SurrogateHyperparameter Learned(string name, double initialValue, double minimum = 0) =>
        new(name, new PositiveParameter(initialValue, minimum), null);

    /// <summary>Set to <paramref name="schedule"/>'s value at each step.</summary>
    public static SurrogateHyperparameter Scheduled(string name, HyperparameterSchedule schedule) =>
        new(name, null, schedule ?? throw new ArgumentNullException(nameof(schedule)));

    /// <summary>Held at <paramref name="value"/>.</summary>
    public static SurrogateHyperparameter Fixed(string name, double value) =>
        Scheduled(name, new HyperparameterSchedule.Constant(value));

    /// <summary>The surrogate's name for it.</summary>
    public string Name { get; }

    /// <summary>The learned parameter, or null.</summary>
    public PositiveParameter? Parameter { get; }

    /// <summary>The schedule, or null when learned.</summary>
    public HyperparameterSchedule? Schedule { get; }

    /// <summary>Whether it is learned.</summary>
    public bool IsLearned => Parameter is not null;

    /// <summary>The value for <paramref name="step"/> of <paramref name="totalSteps"/>: attached to the graph when learned, a float64 scalar otherwise.</summary>
    public Tensor ValueAt(int step, int totalSteps) =>
        Parameter is { } p ? p.Value() : tensor(Schedule!.ValueAt(step, totalSteps), ScalarType.Float64);

    /// <summary>The value for <paramref name="step"/> as a number.</summary>
    public double CurrentAt(int step, int totalSteps) =>
        Parameter is { } p ? p.Current : Schedule!.ValueAt(step, totalSteps);

    /// <summary>e.g. <c>alpha learned</c>, <c>alpha cosine:1:8</c>, <c>alpha = 4</c>.</summary>
    public override string ToString() => Parameter is not null ? $"{Name} learned"
        : Schedule is HyperparameterSchedule.Constant c ? string.Create(CultureInfo.InvariantCulture, $"{Name} = {c.Start:G6}")
        : $"{Name} {Schedule}";
}
