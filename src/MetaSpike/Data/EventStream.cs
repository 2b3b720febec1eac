namespace MetaSpike.Data;

/// <summary>
/// The events of one sample as parallel arrays (struct of arrays, never one object per event): time in
/// microseconds from the start of the recording, pixel x and y, polarity (1 = ON, 0 = OFF). Sensors without
/// polarity or a second dimension (SHD's cochlea channels) use y = 0, polarity = 0 and height 1.
/// </summary>
public sealed class EventStream
{
    /// <summary>Creates a stream over the given arrays (not copied); all four must have the same length.</summary>
    /// <exception cref="ArgumentException">The lengths differ, or the sensor size is not positive.</exception>
    public EventStream(long[] timesUs, ushort[] x, ushort[] y, byte[] polarity, int width, int height)
    {
        if (x.Length != timesUs.Length || y.Length != timesUs.Length || polarity.Length != timesUs.Length)
            throw new ArgumentException($"event arrays must have the same length: t {timesUs.Length}, x {x.Length}, y {y.Length}, p {polarity.Length}.");
        if (width < 1 || height < 1) throw new ArgumentException($"sensor size must be positive, got {width} x {height}.");
        (TimesUs, X, Y, Polarity, Width, Height) = (timesUs, x, y, polarity, width, height);
    }

    /// <summary>Event times in µs.</summary>
    public long[] TimesUs { get; }

    /// <summary>Event x coordinates (0 .. Width-1).</summary>
    public ushort[] X { get; }

    /// <summary>Event y coordinates (0 .. Height-1).</summary>
    public ushort[] Y { get; }

    /// <summary>Event polarities, 0 or 1.</summary>
    public byte[] Polarity { get; }

    /// <summary>Sensor width in pixels.</summary>
    public int Width { get; }

    /// <summary>Sensor height in pixels.</summary>
    public int Height { get; }

    /// <summary>Number of events.</summary>
    public int Count => TimesUs.Length;

    /// <summary>Time of the last event minus the first, in µs (0 when empty).</summary>
    public long DurationUs => Count == 0 ? 0 : TimesUs[^1] - TimesUs[0];

    /// <summary>An empty stream of the given sensor size.</summary>
    public static EventStream Empty(int width, int height) => new([], [], [], [], width, height);
}

/// <summary>One labelled sample of an event dataset.</summary>
/// <param name="Events">The events.</param>
/// <param name="Label">Class index (0-based, into the dataset's class names).</param>
/// <param name="Source">Where it came from (file path, and record where one file holds several samples).</param>
public sealed record EventSample(EventStream Events, int Label, string Source);

/// <summary>
/// An event dataset: an index of samples built without reading their events, and reading one sample at a
/// time from disk (or generating it), so a dataset never needs to be in memory as a whole.
/// </summary>
public interface IEventDataset
{
    /// <summary>A short name, e.g. "N-MNIST train".</summary>
    string Name { get; }

    /// <summary>Sensor width.</summary>
    int Width { get; }

    /// <summary>Sensor height.</summary>
    int Height { get; }

    /// <summary>Class names, indexed by label.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>The label of sample <paramref name="index"/> (without reading its events).</summary>
    int LabelOf(int index);

    /// <summary>Reads (or generates) sample <paramref name="index"/>.</summary>
    /// <exception cref="EventFormatException">The file is truncated or corrupt.</exception>
    EventSample Read(int index);
}

/// <summary>A truncated or corrupt event file: names the file and the byte offset or record where it broke.</summary>
public sealed class EventFormatException : IOException
{
    /// <summary>Creates the exception; the message is "FILE: at byte OFFSET: PROBLEM" (or "record N").</summary>
    public EventFormatException(string path, string problem, long? byteOffset = null, long? record = null, Exception? inner = null)
        : base($"{path}: {(byteOffset is { } b ? $"at byte {b}: " : record is { } r ? $"at record {r}: " : "")}{problem}", inner)
    {
        (Path, ByteOffset, Record) = (path, byteOffset, record);
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The byte offset where reading failed, when known.</summary>
    public long? ByteOffset { get; }

    /// <summary>The record (event or sample) where reading failed, when known.</summary>
    public long? Record { get; }
}
