namespace MetaSpike.Data.Transforms;

/// <summary>
/// Pure transforms of an <see cref="EventStream"/>: each returns a new stream (never the input's arrays) and
/// keeps the time order of the events it keeps.
/// </summary>
public static class EventTransforms
{
    private const int MaxSensorSize = ushort.MaxValue + 1;

    /// <summary>Keeps the events inside the rectangle and moves them to its origin; the sensor becomes width x height.</summary>
    /// <exception cref="ArgumentException">A negative origin or a size outside 1 .. 65536.</exception>
    public static EventStream Crop(this EventStream events, int x0, int y0, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(events);
        CheckCrop(x0, y0, width, height);
        var output = new EventStreamBuilder(events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            int x = events.X[i] - x0, y = events.Y[i] - y0;
            if ((uint)x < (uint)width && (uint)y < (uint)height) output.Add(events.TimesUs[i], x, y, events.Polarity[i]);
        }
        return output.Build(width, height);
    }

    /// <summary>Divides coordinates by <paramref name="factor"/> (integer division); the sensor becomes ceil(size / factor).</summary>
    /// <exception cref="ArgumentException"><paramref name="factor"/> is below 1.</exception>
    public static EventStream Downsample(this EventStream events, int factor)
    {
        ArgumentNullException.ThrowIfNull(events);
        CheckDownsample(factor);
        var x = new ushort[events.Count];
        var y = new ushort[events.Count];
        for (int i = 0; i < events.Count; i++)
        {
            x[i] = (ushort)(events.X[i] / factor);
            y[i] = (ushort)(events.Y[i] / factor);
        }
        return new EventStream((long[])events.TimesUs.Clone(), x, y, (byte[])events.Polarity.Clone(),
            (events.Width + factor - 1) / factor, (events.Height + factor - 1) / factor);
    }

    /// <summary>
    /// Multiplies times by <paramref name="factor"/>, rounded to the nearest µs (e.g. 0.01 maps 100 ms of sensor
    /// time to 1 ms); rounding a monotone map keeps the order.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="factor"/> is not a positive finite number.</exception>
    public static EventStream ScaleTime(this EventStream events, double factor)
    {
        ArgumentNullException.ThrowIfNull(events);
        CheckScaleTime(factor);
        var t = new long[events.Count];
        for (int i = 0; i < t.Length; i++) t[i] = (long)Math.Round(events.TimesUs[i] * factor);
        return new EventStream(t, (ushort[])events.X.Clone(), (ushort[])events.Y.Clone(), (byte[])events.Polarity.Clone(),
            events.Width, events.Height);
    }

    /// <summary>Sets every polarity to 0 (one channel).</summary>
    public static EventStream MergePolarity(this EventStream events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return new EventStream((long[])events.TimesUs.Clone(), (ushort[])events.X.Clone(), (ushort[])events.Y.Clone(),
            new byte[events.Count], events.Width, events.Height);
    }

    /// <summary>
    /// Background-activity filter: keeps an event only when one of its 8 neighbouring pixels (either polarity) had
    /// an event at most <paramref name="windowUs"/> µs before it (same time included). Every event, kept or not,
    /// updates its pixel's last time; events outside the sensor are dropped. One pass over time-sorted events with a
    /// last-time map per pixel.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="windowUs"/> is below 1.</exception>
    public static EventStream Denoise(this EventStream events, long windowUs)
    {
        ArgumentNullException.ThrowIfNull(events);
        CheckDenoise(windowUs);
        int w = events.Width, h = events.Height;
        var last = new long[(long)w * h];
        Array.Fill(last, long.MinValue);
        var output = new EventStreamBuilder(events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            long t = events.TimesUs[i];
            int x = events.X[i], y = events.Y[i];
            if (x >= w || y >= h) continue;
            bool supported = false;
            for (int ny = Math.Max(y - 1, 0); ny <= Math.Min(y + 1, h - 1) && !supported; ny++)
            {
                for (int nx = Math.Max(x - 1, 0); nx <= Math.Min(x + 1, w - 1); nx++)
                {
                    long tn = last[ny * w + nx];
                    if ((nx != x || ny != y) && tn != long.MinValue && t - tn <= windowUs)
                    {
                        supported = true;
                        break;
                    }
                }
            }
            if (supported) output.Add(t, x, y, events.Polarity[i]);
            last[y * w + x] = t;
        }
        return output.Build(w, h);
    }

    /// <summary>
    /// Shifts the whole sample by one random integer offset dx, dy, each uniform in [-maxShift, maxShift], and
    /// drops the events that leave the sensor.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="maxShift"/> is negative.</exception>
    public static EventStream Jitter(this EventStream events, int maxShift, Random rng)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(rng);
        CheckJitter(maxShift);
        int dx = rng.Next(-maxShift, maxShift + 1), dy = rng.Next(-maxShift, maxShift + 1);
        var output = new EventStreamBuilder(events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            int x = events.X[i] + dx, y = events.Y[i] + dy;
            if ((uint)x < (uint)events.Width && (uint)y < (uint)events.Height)
                output.Add(events.TimesUs[i], x, y, events.Polarity[i]);
        }
        return output.Build(events.Width, events.Height);
    }

    /// <summary>Adds one random delay, uniform in [0, maxShiftUs] µs, to every time.</summary>
    /// <exception cref="ArgumentException"><paramref name="maxShiftUs"/> is negative.</exception>
    public static EventStream TimeShift(this EventStream events, long maxShiftUs, Random rng)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(rng);
        CheckTimeShift(maxShiftUs);
        long shift = rng.NextInt64(0, maxShiftUs + 1);
        var t = new long[events.Count];
        for (int i = 0; i < t.Length; i++) t[i] = events.TimesUs[i] + shift;
        return new EventStream(t, (ushort[])events.X.Clone(), (ushort[])events.Y.Clone(), (byte[])events.Polarity.Clone(),
            events.Width, events.Height);
    }

    /// <summary>
    /// Keeps the events with startUs ≤ t &lt; endUs and makes the window the sample: times become t - startUs.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="endUs"/> is not after <paramref name="startUs"/>.</exception>
    public static EventStream TimeWindow(this EventStream events, long startUs, long endUs)
    {
        ArgumentNullException.ThrowIfNull(events);
        CheckTimeWindow(startUs, endUs);
        var output = new EventStreamBuilder(events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            long t = events.TimesUs[i];
            if (t >= startUs && t < endUs) output.Add(t - startUs, events.X[i], events.Y[i], events.Polarity[i]);
        }
        return output.Build(events.Width, events.Height);
    }

    internal static void CheckCrop(int x0, int y0, int width, int height)
    {
        if (x0 < 0) throw new ArgumentException($"the crop origin must not be negative, got {x0}.", nameof(x0));
        if (y0 < 0) throw new ArgumentException($"the crop origin must not be negative, got {y0}.", nameof(y0));
        if (width is < 1 or > MaxSensorSize) throw new ArgumentException($"the crop width must be in 1 .. {MaxSensorSize}, got {width}.", nameof(width));
        if (height is < 1 or > MaxSensorSize) throw new ArgumentException($"the crop height must be in 1 .. {MaxSensorSize}, got {height}.", nameof(height));
    }

    internal static void CheckDownsample(int factor)
    {
        if (factor < 1) throw new ArgumentException($"the downsampling factor must be at least 1, got {factor}.", nameof(factor));
    }

    internal static void CheckScaleTime(double factor)
    {
        if (!(factor > 0) || !double.IsFinite(factor))
            throw new ArgumentException($"the time factor must be a positive finite number, got {factor}.", nameof(factor));
    }

    internal static void CheckDenoise(long windowUs)
    {
        if (windowUs < 1) throw new ArgumentException($"the denoising window must be at least 1 µs, got {windowUs}.", nameof(windowUs));
    }

    internal static void CheckJitter(int maxShift)
    {
        if (maxShift < 0) throw new ArgumentException($"the largest shift must not be negative, got {maxShift}.", nameof(maxShift));
    }

    internal static void CheckTimeShift(long maxShiftUs)
    {
        if (maxShiftUs < 0) throw new ArgumentException($"the largest time shift must not be negative, got {maxShiftUs}.", nameof(maxShiftUs));
    }

    internal static void CheckTimeWindow(long startUs, long endUs)
    {
        if (endUs <= startUs) throw new ArgumentException($"the window end ({endUs} µs) must be after its start ({startUs} µs).", nameof(endUs));
    }
}
