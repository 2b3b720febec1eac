namespace MetaSpike.Data.Readers;

/// <summary>
/// One N-MNIST sample file (<c>.bin</c>, 34 x 34 ATIS): 5 bytes per event, byte 0 = x, byte 1 = y, bit 7 of
/// byte 2 = polarity, timestamp (µs, 23 bits) = <c>(byte2 &amp; 0x7F) &lt;&lt; 16 | byte3 &lt;&lt; 8 | byte4</c>. An event
/// with y = 240 marks a timestamp overflow: it carries no pixel and adds 2^23 µs to the events that follow.
/// </summary>
public static class NMnistFile
{
    /// <summary>Sensor width.</summary>
    public const int Width = 34;

    /// <summary>Sensor height.</summary>
    public const int Height = 34;

    /// <summary>Bytes per event record.</summary>
    public const int BytesPerEvent = 5;

    /// <summary>The y value of a timestamp-overflow record.</summary>
    public const byte OverflowY = 240;

    /// <summary>Time added by each overflow record, in µs (2^23).</summary>
    public const long OverflowPeriodUs = 1L << 23;

    /// <summary>Reads and parses one file.</summary>
    /// <exception cref="EventFormatException">The file is truncated or holds a pixel outside 34 x 34.</exception>
    public static EventStream Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>
    /// The problem that makes a file of <paramref name="length"/> bytes unreadable (its last event is incomplete),
    /// or null: the check that indexing can make from the length alone.
    /// </summary>
    public static string? LengthProblem(long length) => length % BytesPerEvent == 0
        ? null
        : $"truncated: {length} bytes is not a whole number of 5-byte events; the event at byte {length - length % BytesPerEvent} has {length % BytesPerEvent} of 5 bytes.";

    /// <summary>Parses the bytes of one file; <paramref name="pathForErrors"/> names it in errors.</summary>
    /// <exception cref="EventFormatException">
    /// The length is not a multiple of 5 (the error names the byte offset of the incomplete event), or an event
    /// other than an overflow marker has x or y outside 0..33 (the error names its byte offset).
    /// </exception>
    public static EventStream Parse(ReadOnlySpan<byte> data, string pathForErrors)
    {
        if (LengthProblem(data.Length) is { } problem)
            throw new EventFormatException(pathForErrors, problem, byteOffset: data.Length - data.Length % BytesPerEvent);

        int markers = 0;
        for (int o = 1; o < data.Length; o += BytesPerEvent)
            if (data[o] == OverflowY) markers++;

        int n = data.Length / BytesPerEvent - markers;
        var t = new long[n];
        var x = new ushort[n];
        var y = new ushort[n];
        var p = new byte[n];
        long epoch = 0;
        int j = 0;
        for (int o = 0; o + BytesPerEvent <= data.Length; o += BytesPerEvent)
        {
            var e = data.Slice(o, BytesPerEvent);
            byte ex = e[0], ey = e[1], b2 = e[2];
            if (ey == OverflowY)
            {
                epoch += OverflowPeriodUs;
                continue;
            }
            if (ex >= Width || ey >= Height)
                throw new EventFormatException(pathForErrors,
                    $"corrupt event: pixel ({ex}, {ey}) is outside the {Width} x {Height} sensor.", byteOffset: o);
            t[j] = epoch + ((b2 & 0x7F) << 16 | e[3] << 8 | e[4]);
            x[j] = ex;
            y[j] = ey;
            p[j] = (byte)(b2 >> 7);
            j++;
        }
        return new EventStream(t, x, y, p, Width, Height);
    }

    /// <summary>
    /// Encodes events in the file format, inserting an overflow marker (x = 0, y = 240, time 0) each time an
    /// event's time crosses a multiple of 2^23 µs.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// An event lies outside 34 x 34, has a polarity other than 0 or 1, a negative time, or a time in an earlier
    /// 2^23 µs period than the event before it (the format cannot go back across an overflow).
    /// </exception>
    public static byte[] Encode(EventStream events)
    {
        long markers = 0, epoch = 0;
        for (int i = 0; i < events.Count; i++)
        {
            long t = events.TimesUs[i];
            if (t < 0) throw new ArgumentException($"event {i} has negative time {t} µs.", nameof(events));
            long e = t >> 23;
            if (e < epoch)
                throw new ArgumentException($"event {i} at {t} µs goes back across a 2^23 µs overflow; N-MNIST files cannot encode that.", nameof(events));
            markers += e - epoch;
            epoch = e;
            if (events.X[i] >= Width || events.Y[i] >= Height)
                throw new ArgumentException($"event {i} pixel ({events.X[i]}, {events.Y[i]}) is outside {Width} x {Height}.", nameof(events));
            if (events.Polarity[i] > 1)
                throw new ArgumentException($"event {i} polarity {events.Polarity[i]} is not 0 or 1.", nameof(events));
        }

        var bytes = new byte[checked((events.Count + markers) * BytesPerEvent)];
        int o = 0;
        epoch = 0;
        for (int i = 0; i < events.Count; i++)
        {
            long t = events.TimesUs[i];
            for (; epoch < t >> 23; epoch++, o += BytesPerEvent)
                bytes[o + 1] = OverflowY;
            int ts = (int)(t & (OverflowPeriodUs - 1));
            bytes[o] = (byte)events.X[i];
            bytes[o + 1] = (byte)events.Y[i];
            bytes[o + 2] = (byte)(events.Polarity[i] << 7 | ts >> 16);
            bytes[o + 3] = (byte)(ts >> 8);
            bytes[o + 4] = (byte)ts;
            o += BytesPerEvent;
        }
        return bytes;
    }

    /// <summary>Writes <see cref="Encode"/>'s bytes to <paramref name="path"/> (created or overwritten).</summary>
    public static void Write(string path, EventStream events) => File.WriteAllBytes(path, Encode(events));
}
