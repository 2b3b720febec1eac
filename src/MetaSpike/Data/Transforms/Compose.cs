namespace MetaSpike.Data.Transforms;

/// <summary>
/// A pipeline: applies its steps in order, passing the same <see cref="Random"/> to each. Its key joins the
/// steps' keys with '|' ("none" when empty; an empty pipeline returns its input).
/// </summary>
public sealed class Compose : EventTransform
{
    private readonly EventTransform[] _steps;

    /// <summary>Creates the pipeline.</summary>
    /// <exception cref="ArgumentException">A step is null.</exception>
    public Compose(params EventTransform[] steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        for (int i = 0; i < steps.Length; i++)
            if (steps[i] is null) throw new ArgumentException($"step {i} is null.", nameof(steps));
        _steps = (EventTransform[])steps.Clone();
        Key = _steps.Length == 0 ? "none" : string.Join("|", _steps.Select(s => s.Key));
    }

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<EventTransform> Steps => _steps;

    /// <inheritdoc />
    public override string Key { get; }

    /// <inheritdoc />
    public override bool IsRandom => _steps.Any(s => s.IsRandom);

    /// <inheritdoc />
    public override EventStream Apply(EventStream events, Random? rng = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var step in _steps) events = step.Apply(events, rng);
        return events;
    }
}
