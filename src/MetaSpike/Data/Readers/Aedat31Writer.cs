using System.Buffers.Binary;
using System.Text;

namespace MetaSpike.Data.Readers;

/// <summary>
/// Writes AEDAT 3.1 files (<see cref="Aedat31File"/>): the header on construction, then polarity packets, or
/// raw packets of any type (to make test files with other packet types or invalid events).
/// </summary>
public sealed class Aedat31Writer : IDisposable
{
    /// <summary>Events per polarity packet unless asked otherwise.</summary>
    public const int DefaultEventsPerPacket = 4096;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _header = new byte[Aedat31File.PacketHeaderBytes];

    /// <summary>
    /// Writes the header: <c>#!AER-DAT3.1</c>, <c>#Format: RAW</c>, <c>#Source 1: DVS128</c>, then
    /// <paramref name="extraHeaderLines"/> (each prefixed with '#' where it lacks one), then <c>#!END-HEADER</c>,
    /// every line ended by CR LF.
    /// </summary>
    public Aedat31Writer(Stream stream, IEnumerable<string>? extraHeaderLines = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        (_stream, _leaveOpen) = (stream, leaveOpen);
        var header = new StringBuilder("#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n");
        foreach (var line in extraHeaderLines ?? [])
        {
            if (line.Contains('\n') || line.Contains('\r')) throw new ArgumentException($"header line '{line}' holds a line break.", nameof(extraHeaderLines));
            header.Append(line.StartsWith('#') ? "" : "#").Append(line).Append("\r\n");
        }
        header.Append(Aedat31File.EndOfHeader).Append("\r\n");
        _stream.Write(Encoding.ASCII.GetBytes(header.ToString()));
    }

    /// <summary>The 32-bit data word of a polarity event.</summary>
    public static uint PolarityData(int x, int y, int polarity, bool valid = true) =>
        (uint)(x & 0x7FFF) << 17 | (uint)(y & 0x7FFF) << 2 | (uint)(polarity & 1) << 1 | (valid ? 1u : 0u);

    /// <summary>
    /// Writes one packet as given: the 28-byte header, then <paramref name="payload"/>, which must hold
    /// <paramref name="capacity"/> * <paramref name="eventSize"/> bytes.
    /// </summary>
    public void WritePacket(int eventType, int eventSource, int eventSize, int tsOffset, int tsOverflow,
        int capacity, int number, int valid, ReadOnlySpan<byte> payload)
    {
        if ((long)capacity * eventSize != payload.Length)
            throw new ArgumentException($"payload has {payload.Length} bytes; eventCapacity {capacity} x eventSize {eventSize} needs {(long)capacity * eventSize}.", nameof(payload));
        var h = _header.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(h, checked((ushort)eventType));
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], checked((ushort)eventSource));
        BinaryPrimitives.WriteInt32LittleEndian(h[4..], eventSize);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], tsOffset);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], tsOverflow);
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], capacity);
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], number);
        BinaryPrimitives.WriteInt32LittleEndian(h[24..], valid);
        _stream.Write(h);
        _stream.Write(payload);
    }

    /// <summary>
    /// Writes the events as polarity packets (source 1) of at most <paramref name="maxEventsPerPacket"/> events,
    /// starting a new packet whenever the time's overflow word (t &gt;&gt; 31) changes; all events are valid.
    /// </summary>
    /// <exception cref="ArgumentException">An event lies outside 128 x 128, has a polarity other than 0 or 1, or a negative time.</exception>
    public void WritePolarityEvents(EventStream events, int maxEventsPerPacket = DefaultEventsPerPacket)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEventsPerPacket, 1);
        var payload = new byte[Math.Min(maxEventsPerPacket, Math.Max(events.Count, 1)) * Aedat31File.PolarityEventBytes];
        for (int first = 0; first < events.Count;)
        {
            long overflow = Check(events, first) >> 31;
            int n = 1;
            while (n < maxEventsPerPacket && first + n < events.Count && Check(events, first + n) >> 31 == overflow) n++;
            for (int k = 0; k < n; k++)
            {
                int i = first + k;
                var e = payload.AsSpan(k * Aedat31File.PolarityEventBytes);
                BinaryPrimitives.WriteUInt32LittleEndian(e, PolarityData(events.X[i], events.Y[i], events.Polarity[i]));
                BinaryPrimitives.WriteInt32LittleEndian(e[4..], (int)(events.TimesUs[i] & int.MaxValue));
            }
            WritePacket(Aedat31File.PolarityEventType, 1, Aedat31File.PolarityEventBytes, 4, checked((int)overflow), n, n, n,
                payload.AsSpan(0, n * Aedat31File.PolarityEventBytes));
            first += n;
        }
    }

    private static long Check(EventStream events, int i)
    {
        if (events.X[i] >= Aedat31File.Width || events.Y[i] >= Aedat31File.Height)
            throw new ArgumentException($"event {i} pixel ({events.X[i]}, {events.Y[i]}) is outside {Aedat31File.Width} x {Aedat31File.Height}.", nameof(events));
        if (events.Polarity[i] > 1) throw new ArgumentException($"event {i} polarity {events.Polarity[i]} is not 0 or 1.", nameof(events));
        if (events.TimesUs[i] < 0) throw new ArgumentException($"event {i} has negative time {events.TimesUs[i]} µs.", nameof(events));
        return events.TimesUs[i];
    }

    /// <summary>Flushes, and closes the stream unless it was left open.</summary>
    public void Dispose()
    {
        _stream.Flush();
        if (!_leaveOpen) _stream.Dispose();
    }
}
