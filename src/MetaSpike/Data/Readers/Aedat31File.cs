using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace MetaSpike.Data.Readers;

/// <summary>
/// AEDAT 3.1 files from a DVS128 (128 x 128), as in DVS Gesture. ASCII header lines starting with <c>#</c>,
/// ending with <c>#!END-HEADER\r\n</c>; then packets, each a 28-byte little-endian header (u16 eventType,
/// u16 eventSource, i32 eventSize, i32 eventTSOffset, i32 eventTSOverflow, i32 eventCapacity, i32 eventNumber,
/// i32 eventValid) followed by eventCapacity * eventSize bytes. Polarity events (type 1) are 8 bytes: u32 data
/// (bit 0 valid, bit 1 polarity, y = bits 2..16, x = bits 17..31) and i32 timestamp; the full time is
/// (eventTSOverflow &lt;&lt; 31) | timestamp. Other packet types and invalid events are skipped.
/// Reading streams through the packets; only the kept events are held in memory.
/// </summary>
public static class Aedat31File
{
    /// <summary>Sensor width.</summary>
    public const int Width = 128;

    /// <summary>Sensor height.</summary>
    public const int Height = 128;

    /// <summary>Bytes in a packet header.</summary>
    public const int PacketHeaderBytes = 28;

    /// <summary>The eventType of polarity packets.</summary>
    public const int PolarityEventType = 1;

    /// <summary>Bytes per polarity event.</summary>
    public const int PolarityEventBytes = 8;

    /// <summary>The last header line (before its CR LF).</summary>
    public const string EndOfHeader = "#!END-HEADER";

    private const int MaxHeaderLineBytes = 1 << 20;

    /// <summary>Reads all valid polarity events of a file, with their recorded times.</summary>
    /// <exception cref="EventFormatException">The header or a packet is truncated or corrupt.</exception>
    public static EventStream Read(string path) => Read(path, 0, long.MaxValue);

    /// <summary>
    /// Reads the valid polarity events with <paramref name="startUs"/> &lt;= t &lt; <paramref name="endUs"/>, their
    /// times made relative to <paramref name="startUs"/>. The whole file is streamed (and checked), one packet at a time.
    /// </summary>
    /// <exception cref="EventFormatException">The header or a packet is truncated or corrupt.</exception>
    public static EventStream Read(string path, long startUs, long endUs)
    {
        using var stream = OpenRead(path);
        return Read(stream, path, startUs, endUs);
    }

    /// <summary>As <see cref="Read(string, long, long)"/>, from a stream positioned at the start of the file.</summary>
    public static EventStream Read(Stream stream, string pathForErrors, long startUs = 0, long endUs = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (endUs < startUs) throw new ArgumentException($"the window end {endUs} µs is before its start {startUs} µs.", nameof(endUs));
        var reader = new PacketReader(stream, pathForErrors);
        reader.SkipHeader();
        var events = new EventStreamBuilder();
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            while (reader.NextPacket() is { } packet)
            {
                if (packet.Type != PolarityEventType)
                {
                    reader.Skip(packet.PayloadBytes);
                    continue;
                }
                if (packet.Size != PolarityEventBytes)
                    throw reader.Corrupt(packet.Offset, $"polarity packet with eventSize {packet.Size} (expected {PolarityEventBytes}).");
                long eventOffset = packet.Offset + PacketHeaderBytes;
                long overflow = (long)packet.TSOverflow << 31;
                for (int left = packet.Number; left > 0;)
                {
                    int chunk = Math.Min(left, buffer.Length / PolarityEventBytes);
                    var bytes = buffer.AsSpan(0, chunk * PolarityEventBytes);
                    reader.ReadPayload(bytes);
                    for (int k = 0; k < bytes.Length; k += PolarityEventBytes, eventOffset += PolarityEventBytes)
                    {
                        uint data = BinaryPrimitives.ReadUInt32LittleEndian(bytes[k..]);
                        if ((data & 1) == 0) continue;
                        int ts = BinaryPrimitives.ReadInt32LittleEndian(bytes[(k + 4)..]);
                        int x = (int)(data >> 17) & 0x7FFF, y = (int)(data >> 2) & 0x7FFF;
                        if (x >= Width || y >= Height)
                            throw reader.Corrupt(eventOffset, $"polarity event pixel ({x}, {y}) is outside the {Width} x {Height} sensor.");
                        if (ts < 0)
                            throw reader.Corrupt(eventOffset, $"polarity event timestamp {ts} is negative.");
                        long t = overflow | (uint)ts;
                        if (t >= startUs && t < endUs)
                            events.Add(t - startUs, x, y, (int)(data >> 1) & 1);
                    }
                    left -= chunk;
                }
                reader.Skip((long)(packet.Capacity - packet.Number) * PolarityEventBytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return events.Build(Width, Height);
    }

    /// <summary>Reads the header lines (without their line ends), leaving the stream at the first packet.</summary>
    /// <exception cref="EventFormatException">There is no header, a line does not start with '#', the version is not 3.x, or the header has no end.</exception>
    public static IReadOnlyList<string> ReadHeader(Stream stream, string pathForErrors)
    {
        var reader = new PacketReader(stream, pathForErrors);
        return reader.SkipHeader();
    }

    /// <summary>What is wrong with the file's header, or null when it reads: the check that indexing can make cheaply.</summary>
    public static string? HeaderProblem(string path)
    {
        try
        {
            using var stream = OpenRead(path, bufferSize: 4096);
            ReadHeader(stream, path);
            return null;
        }
        catch (EventFormatException e)
        {
            return e.Message;
        }
    }

    /// <summary>Writes <paramref name="events"/> as an AEDAT 3.1 file (see <see cref="Aedat31Writer"/>).</summary>
    public static void Write(string path, EventStream events, int maxEventsPerPacket = Aedat31Writer.DefaultEventsPerPacket)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        using var writer = new Aedat31Writer(stream);
        writer.WritePolarityEvents(events, maxEventsPerPacket);
    }

    private static FileStream OpenRead(string path, int bufferSize = 1 << 16) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, FileOptions.SequentialScan);

    private readonly record struct Packet(long Offset, int Type, int Source, int Size, int TSOffset, int TSOverflow, int Capacity, int Number, int Valid)
    {
        public long PayloadBytes => (long)Capacity * Size;
    }

    /// <summary>Reads a stream while counting its byte offset, and words errors with that offset.</summary>
    private sealed class PacketReader(Stream stream, string path)
    {
        private readonly byte[] _header = new byte[PacketHeaderBytes];
        private long _offset;
        private Packet _packet;

        public EventFormatException Corrupt(long offset, string problem) => new(path, problem, byteOffset: offset);

        public List<string> SkipHeader()
        {
            var lines = new List<string>();
            var line = new List<byte>();
            long lineStart = 0;
            while (true)
            {
                int b = stream.ReadByte();
                if (b < 0)
                    throw Corrupt(_offset, lines.Count == 0 && line.Count == 0
                        ? "empty file: no AEDAT 3.1 header."
                        : $"truncated header: the file ends before the {EndOfHeader} line.");
                _offset++;
                if (line.Count == 0 && b != '#')
                    throw Corrupt(lineStart, lines.Count == 0
                        ? "not an AEDAT file: it does not start with a '#' header line."
                        : $"header line does not start with '#' (no {EndOfHeader} line before it).");
                if (b != '\n')
                {
                    if (line.Count >= MaxHeaderLineBytes) throw Corrupt(lineStart, $"header line longer than {MaxHeaderLineBytes} bytes.");
                    line.Add((byte)b);
                    continue;
                }
                var text = Encoding.ASCII.GetString([.. line]).TrimEnd('\r');
                if (lines.Count == 0 && text.StartsWith("#!AER-DAT", StringComparison.Ordinal) && !text.StartsWith("#!AER-DAT3.", StringComparison.Ordinal))
                    throw Corrupt(0, $"this is '{text[2..]}', not AEDAT 3.1.");
                lines.Add(text);
                if (text == EndOfHeader) return lines;
                line.Clear();
                lineStart = _offset;
            }
        }

        /// <summary>The next packet's header, or null at the end of the file.</summary>
        public Packet? NextPacket()
        {
            int got = stream.ReadAtLeast(_header, PacketHeaderBytes, throwOnEndOfStream: false);
            if (got == 0) return null;
            long offset = _offset;
            if (got < PacketHeaderBytes)
                throw Corrupt(offset, $"truncated packet: the file ends {got} bytes into the {PacketHeaderBytes}-byte packet header.");
            _offset += PacketHeaderBytes;
            var h = _header.AsSpan();
            var packet = new Packet(offset,
                BinaryPrimitives.ReadUInt16LittleEndian(h), BinaryPrimitives.ReadUInt16LittleEndian(h[2..]),
                BinaryPrimitives.ReadInt32LittleEndian(h[4..]), BinaryPrimitives.ReadInt32LittleEndian(h[8..]),
                BinaryPrimitives.ReadInt32LittleEndian(h[12..]), BinaryPrimitives.ReadInt32LittleEndian(h[16..]),
                BinaryPrimitives.ReadInt32LittleEndian(h[20..]), BinaryPrimitives.ReadInt32LittleEndian(h[24..]));
            if (packet.Size <= 0 || packet.Capacity < 0 || packet.Number < 0 || packet.Number > packet.Capacity || packet.TSOverflow < 0)
                throw Corrupt(offset, $"corrupt packet header: eventType {packet.Type}, eventSize {packet.Size}, eventTSOverflow {packet.TSOverflow}, eventCapacity {packet.Capacity}, eventNumber {packet.Number}.");
            _packet = packet;
            if (stream.CanSeek && stream.Length - _offset < packet.PayloadBytes)
                throw Truncated(stream.Length);
            return packet;
        }

        /// <summary>Fills <paramref name="bytes"/> from the current packet's payload.</summary>
        public void ReadPayload(Span<byte> bytes)
        {
            int got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            _offset += got;
            if (got < bytes.Length) throw Truncated(_offset);
        }

        /// <summary>Skips <paramref name="count"/> bytes of the current packet's payload.</summary>
        public void Skip(long count)
        {
            if (count == 0) return;
            if (stream.CanSeek)
            {
                stream.Seek(count, SeekOrigin.Current);
                _offset += count;
                return;
            }
            var scratch = ArrayPool<byte>.Shared.Rent(1 << 14);
            try
            {
                for (long left = count; left > 0;)
                {
                    int want = (int)Math.Min(left, scratch.Length);
                    int got = stream.ReadAtLeast(scratch.AsSpan(0, want), want, throwOnEndOfStream: false);
                    _offset += got;
                    if (got < want) throw Truncated(_offset);
                    left -= got;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        private EventFormatException Truncated(long fileLength) => Corrupt(_packet.Offset,
            $"truncated packet: its header announces {_packet.PayloadBytes} payload bytes, the file ends {fileLength - _packet.Offset - PacketHeaderBytes} bytes into them.");
    }
}
