using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MetaSpike.Data;

/// <summary>What a frame cell holds.</summary>
public enum BinningMode
{
    /// <summary>The number of events for that pixel, polarity and bin.</summary>
    Count,

    /// <summary>1 when there was at least one event, else 0.</summary>
    Binary,
}

/// <summary>How <see cref="EventBinning"/> turns events into frames.</summary>
public sealed record BinningOptions
{
    /// <summary>
    /// Width of one time bin in µs (default 1000 = 1 ms). Time scaling is a bin width: 100 ms of sensor time per
    /// step is <c>BinWidthUs = 100_000</c>.
    /// </summary>
    public long BinWidthUs { get; init; } = 1000;

    /// <summary>
    /// Number of bins T; events in later bins are dropped. Null (default): just enough bins to hold the last event
    /// (0 for a stream with no event at or after <see cref="StartUs"/>).
    /// </summary>
    public int? Steps { get; init; }

    /// <summary>Count events (default) or mark pixels that had any.</summary>
    public BinningMode Mode { get; init; } = BinningMode.Count;

    /// <summary>
    /// Time of the start of bin 0, in the stream's clock (default 0 = the start of the recording, not the first
    /// event); earlier events are dropped.
    /// </summary>
    public long StartUs { get; init; }

    /// <summary>Spatial down-sampling factor f (default 1): pixel (x, y) goes to (x / f, y / f); frames are ceil(W / f) x ceil(H / f).</summary>
    public int Downsample { get; init; } = 1;

    /// <summary>One channel for both polarities instead of two (unmerged, channel 0 is OFF and channel 1 is ON).</summary>
    public bool MergePolarity { get; init; }
}

/// <summary>The shape of a frame tensor [Steps, Channels, Height, Width].</summary>
public readonly record struct FrameShape(int Steps, int Channels, int Height, int Width)
{
    /// <summary>Number of cells.</summary>
    public int Length => Steps * Channels * Height * Width;

    /// <summary>The shape as tensor dimensions.</summary>
    public long[] ToArray() => [Steps, Channels, Height, Width];
}

/// <summary>
/// Events to frames [T, P, H, W] (P = 2 polarities, or 1 merged): one pass over the events computes each event's
/// flat index (time bin, polarity, down-sampled y and x) and increments (or sets) that cell of a float array; no
/// tensor operation per event, and no intermediate down-sampled stream.
/// </summary>
public static class EventBinning
{
    /// <summary>The frame shape that <paramref name="options"/> gives for <paramref name="events"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range, or the frames would exceed the largest array.</exception>
    public static FrameShape Shape(EventStream events, BinningOptions options)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BinWidthUs < 1) throw new ArgumentException($"BinWidthUs must be at least 1 µs, got {options.BinWidthUs}.", nameof(options));
        if (options.Downsample < 1) throw new ArgumentException($"Downsample must be at least 1, got {options.Downsample}.", nameof(options));
        if (options.Steps < 0) throw new ArgumentException($"Steps must not be negative, got {options.Steps}.", nameof(options));
        if (!Enum.IsDefined(options.Mode)) throw new ArgumentException($"unknown binning mode {options.Mode}.", nameof(options));

        long steps = options.Steps ?? 0;
        if (options.Steps is null && events.Count > 0)
        {
            long last = events.TimesUs.Max();
            if (last >= options.StartUs) steps = (last - options.StartUs) / options.BinWidthUs + 1;
        }
        int f = options.Downsample, channels = options.MergePolarity ? 1 : 2;
        long height = (events.Height + f - 1) / f, width = (events.Width + f - 1) / f;
        if (steps * channels * height * width > Array.MaxLength)
            throw new ArgumentException($"frames [{steps}, {channels}, {height}, {width}] would exceed the largest array; use fewer steps, wider bins or more down-sampling.", nameof(options));
        return new FrameShape((int)steps, channels, (int)height, (int)width);
    }

    /// <summary>Bins the events into a float32 CPU tensor [T, P, H, W] (see <see cref="BinningOptions"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range, or an event lies outside the sensor or has a polarity other than 0 or 1.</exception>
    public static Tensor ToFrames(EventStream events, BinningOptions options)
    {
        var shape = Shape(events, options);
        if ((long)shape.Length * sizeof(float) > int.MaxValue)
        {
            // Beyond what one span of the tensor's bytes can address: bin into an array, then copy it.
            var array = new float[shape.Length];
            Accumulate(events, options, shape, array);
            return tensor(array, shape.ToArray(), ScalarType.Float32);
        }
        // Bin straight into a zeroed CPU tensor's memory: no managed array, no copy.
        var frames = zeros(shape.ToArray(), ScalarType.Float32, device: CPU);
        try
        {
            Accumulate(events, options, shape, MemoryMarshal.Cast<byte, float>(frames.bytes));
            return frames;
        }
        catch
        {
            frames.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Bins the events into <paramref name="frames"/> (e.g. a reused float[]), laid out [T, P, H, W] row-major in its
    /// first <see cref="FrameShape.Length"/> cells, which are cleared first; later cells are left alone.
    /// </summary>
    /// <returns>The frame shape.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="frames"/> is too short, an option is out of range, or an event lies outside the sensor or has
    /// a polarity other than 0 or 1.
    /// </exception>
    public static FrameShape ToFrames(EventStream events, BinningOptions options, Span<float> frames)
    {
        var shape = Shape(events, options);
        if (frames.Length < shape.Length)
            throw new ArgumentException($"frames [{shape.Steps}, {shape.Channels}, {shape.Height}, {shape.Width}] need {shape.Length} floats, the buffer has {frames.Length}.", nameof(frames));
        frames = frames[..shape.Length];
        frames.Clear();
        Accumulate(events, options, shape, frames);
        return shape;
    }

    private static void Accumulate(EventStream events, BinningOptions options, FrameShape shape, Span<float> frames)
    {
        int sensorWidth = events.Width, sensorHeight = events.Height, f = options.Downsample;
        int plane = shape.Height * shape.Width, binStride = shape.Channels * plane;
        int polarityStride = options.MergePolarity ? 0 : plane;
        // Each pixel's offset inside a plane, by table: no division per event.
        Span<int> xOffset = sensorWidth <= 1024 ? stackalloc int[sensorWidth] : new int[sensorWidth];
        Span<int> yOffset = sensorHeight <= 1024 ? stackalloc int[sensorHeight] : new int[sensorHeight];
        for (int x = 0; x < sensorWidth; x++) xOffset[x] = x / f;
        for (int y = 0; y < sensorHeight; y++) yOffset[y] = y / f * shape.Width;

        long binWidth = options.BinWidthUs, start = options.StartUs;
        long limit = shape.Steps > long.MaxValue / binWidth ? long.MaxValue : shape.Steps * binWidth;
        bool binary = options.Mode == BinningMode.Binary;
        var times = events.TimesUs;
        ReadOnlySpan<ushort> xs = events.X, ys = events.Y;
        ReadOnlySpan<byte> ps = events.Polarity;
        // The bin of the previous event, [binStart, binEnd) relative to start: sorted streams divide once per bin.
        long binStart = 0, binEnd = 0;
        int binBase = 0;
        for (int i = 0; i < times.Length; i++)
        {
            long dt = times[i] - start;
            if ((ulong)dt >= (ulong)limit) continue;
            if (dt < binStart || dt >= binEnd)
            {
                long bin = dt / binWidth;
                binStart = bin * binWidth;
                binEnd = binStart + binWidth;
                binBase = (int)bin * binStride;
            }
            int ex = xs[i], ey = ys[i], ep = ps[i];
            if (ex >= sensorWidth || ey >= sensorHeight || ep > 1)
                throw new ArgumentException($"event {i} at ({ex}, {ey}) polarity {ep} is outside the {sensorWidth} x {sensorHeight} sensor or not 0/1.", nameof(events));
            int cell = binBase + ep * polarityStride + yOffset[ey] + xOffset[ex];
            frames[cell] = binary ? 1f : frames[cell] + 1f;
        }
    }
}
