using System.Globalization;

namespace MetaSpike.Data.Transforms;

/// <summary>
/// One step of an event pipeline with a canonical <see cref="Key"/> (e.g. "crop(0,0,32,32)") that names it and
/// its parameters, so that a frame cache can tell two pipelines apart. Build steps with the factories below and
/// chain them with <see cref="Compose"/>.
/// </summary>
public abstract class EventTransform
{
    /// <summary>The canonical text of the step and its parameters (invariant culture, no spaces).</summary>
    public abstract string Key { get; }

    /// <summary>True when the step draws random numbers, so its output is not a function of the input alone.</summary>
    public virtual bool IsRandom => false;

    /// <summary>Applies the step.</summary>
    /// <param name="events">The input stream (not modified).</param>
    /// <param name="rng">The random source of random steps; ignored by the others.</param>
    /// <exception cref="ArgumentNullException">The step is random and <paramref name="rng"/> is null.</exception>
    public abstract EventStream Apply(EventStream events, Random? rng = null);

    /// <inheritdoc />
    public override string ToString() => Key;

    /// <summary>See <see cref="EventTransforms.Crop"/>.</summary>
    public static EventTransform Crop(int x0, int y0, int width, int height)
    {
        EventTransforms.CheckCrop(x0, y0, width, height);
        return new Step(Invariant($"crop({x0},{y0},{width},{height})"), false, (e, _) => e.Crop(x0, y0, width, height));
    }

    /// <summary>See <see cref="EventTransforms.Downsample"/>.</summary>
    public static EventTransform Downsample(int factor)
    {
        EventTransforms.CheckDownsample(factor);
        return new Step(Invariant($"downsample({factor})"), false, (e, _) => e.Downsample(factor));
    }

    /// <summary>See <see cref="EventTransforms.ScaleTime"/>.</summary>
    public static EventTransform ScaleTime(double factor)
    {
        EventTransforms.CheckScaleTime(factor);
        return new Step(Invariant($"scale_time({factor:R})"), false, (e, _) => e.ScaleTime(factor));
    }

    /// <summary>See <see cref="EventTransforms.MergePolarity"/>.</summary>
    public static EventTransform MergePolarity() => new Step("merge_polarity", false, (e, _) => e.MergePolarity());

    /// <summary>See <see cref="EventTransforms.Denoise"/>.</summary>
    public static EventTransform Denoise(long windowUs)
    {
        EventTransforms.CheckDenoise(windowUs);
        return new Step(Invariant($"denoise({windowUs})"), false, (e, _) => e.Denoise(windowUs));
    }

    /// <summary>See <see cref="EventTransforms.Jitter"/>; random: <see cref="Apply"/> needs a <see cref="Random"/>.</summary>
    public static EventTransform Jitter(int maxShift)
    {
        EventTransforms.CheckJitter(maxShift);
        return new Step(Invariant($"jitter({maxShift})"), true, (e, rng) => e.Jitter(maxShift, rng!));
    }

    /// <summary>See <see cref="EventTransforms.TimeShift"/>; random: <see cref="Apply"/> needs a <see cref="Random"/>.</summary>
    public static EventTransform TimeShift(long maxShiftUs)
    {
        EventTransforms.CheckTimeShift(maxShiftUs);
        return new Step(Invariant($"time_shift({maxShiftUs})"), true, (e, rng) => e.TimeShift(maxShiftUs, rng!));
    }

    /// <summary>See <see cref="EventTransforms.TimeWindow"/>.</summary>
    public static EventTransform TimeWindow(long startUs, long endUs)
    {
        EventTransforms.CheckTimeWindow(startUs, endUs);
        return new Step(Invariant($"time_window({startUs},{endUs})"), false, (e, _) => e.TimeWindow(startUs, endUs));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class Step(string key, bool isRandom, Func<EventStream, Random?, EventStream> apply) : EventTransform
    {
        public override string Key => key;

        public override bool IsRandom => isRandom;

        public override EventStream Apply(EventStream events, Random? rng = null)
        {
            ArgumentNullException.ThrowIfNull(events);
            if (isRandom && rng is null) throw new ArgumentNullException(nameof(rng), $"{key} is random: pass a Random.");
            return apply(events, rng);
        }
    }
}
