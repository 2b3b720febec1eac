using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using K4os.Compression.LZ4.Streams;
using Microsoft.Win32.SafeHandles;
using ZstdSharp;

namespace MetaSpike.Data.Readers;

/// <summary>How the packets (and the data table) of an AEDAT 4.0 file are compressed (IOHeader.compression).</summary>
public enum Aedat4Compression
{
    /// <summary>Stored as is.</summary>
    None = 0,

    /// <summary>One LZ4 frame per packet (the LZ4 frame format, not raw blocks).</summary>
    Lz4 = 1,

    /// <summary>LZ4 frame, written at a higher compression level; read like <see cref="Lz4"/>.</summary>
    Lz4High = 2,

    /// <summary>One Zstandard frame per packet, with its content size in the frame header.</summary>
    Zstd = 3,

    /// <summary>Zstandard, written at a higher level; read like <see cref="Zstd"/>.</summary>
    ZstdHigh = 4,
}

/// <summary>One packet of the polarity event stream of an AEDAT 4.0 file.</summary>
/// <param name="DataOffset">File offset of the packet's (compressed) data, just after its 8-byte header.</param>
/// <param name="Size">Size of the stored data in bytes.</param>
/// <param name="StartUs">Time of its first event, from the file's data table; null when the file has none.</param>
/// <param name="EndUs">Time of its last event, from the data table; null when the file has none.</param>
public readonly record struct Aedat4Packet(long DataOffset, int Size, long? StartUs, long? EndUs);

/// <summary>
/// An AEDAT 4.0 file (iniVation DV): the version line <c>#!AER-DAT4.0\r\n</c>, an int32 size and the IOHeader
/// FlatBuffer (compression, dataTablePosition, infoNode XML), then packets of int32 stream id + int32 size + data,
/// each data a size-prefixed FlatBuffer after decompression. Only the polarity event stream is read: the stream
/// the infoNode declares with typeIdentifier EVTS (the lowest id when several), or, when it declares none, the
/// first stream whose packet carries the EventPacket identifier "EVTS". Events are structs of int64 t (µs),
/// int16 x, int16 y, bool polarity and 3 padding bytes (16 bytes).
/// </summary>
/// <remarks>
/// <see cref="Open"/> reads the header and the packet index (the file's data table when it has one, else the
/// 8-byte packet headers), never the events; <see cref="Read"/> then decodes only the packets of the event stream
/// that overlap the requested time window. Like dv-processing, this relies on packets of a stream being in time order.
/// </remarks>
public sealed class Aedat4File
{
    /// <summary>Sensor width used when the infoNode does not declare sizeX: the DAVIS346 of N-Omniglot.</summary>
    public const int DefaultWidth = 346;

    /// <summary>Sensor height used when the infoNode does not declare sizeY.</summary>
    public const int DefaultHeight = 260;

    /// <summary>Largest decompressed packet accepted; a corrupt Zstandard header must not allocate gigabytes.</summary>
    internal const int MaxPacketBytes = 256 << 20;

    private const int EventSize = 16;
    private static ReadOnlySpan<byte> VersionLine => "#!AER-DAT4.0\r\n"u8;

    private Aedat4File(string path, Aedat4Compression compression, string infoNode, int streamId, int width, int height,
        bool hasDataTable, Aedat4Packet[] packets)
    {
        (Path, Compression, InfoNode, EventStreamId, Width, Height, HasDataTable, Packets) =
            (path, compression, infoNode, streamId, width, height, hasDataTable, packets);
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The compression of its packets.</summary>
    public Aedat4Compression Compression { get; }

    /// <summary>The IOHeader's infoNode: XML describing the streams.</summary>
    public string InfoNode { get; }

    /// <summary>Stream id of the polarity events.</summary>
    public int EventStreamId { get; }

    /// <summary>Sensor width (infoNode sizeX, else <see cref="DefaultWidth"/>).</summary>
    public int Width { get; }

    /// <summary>Sensor height (infoNode sizeY, else <see cref="DefaultHeight"/>).</summary>
    public int Height { get; }

    /// <summary>Whether the packet index came from the file's data table (with per-packet time ranges).</summary>
    public bool HasDataTable { get; }

    /// <summary>The packets of the event stream, in file order.</summary>
    public IReadOnlyList<Aedat4Packet> Packets { get; }

    /// <summary>Reads the events of <paramref name="path"/> with <paramref name="startUs"/> &lt;= t &lt; <paramref name="endUs"/>
    /// (either bound may be null), times as stored in the file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="EventFormatException">The file is truncated or corrupt.</exception>
    /// <exception cref="ArgumentException"><paramref name="endUs"/> is before <paramref name="startUs"/>.</exception>
    public static EventStream ReadEvents(string path, long? startUs = null, long? endUs = null) =>
        Open(path).Read(startUs, endUs);

    /// <summary>Reads the header and the packet index of <paramref name="path"/>, without decoding events.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="EventFormatException">The header, data table or packet framing is truncated or corrupt.</exception>
    public static Aedat4File Open(string path)
    {
        using var handle = OpenHandle(path);
        var length = RandomAccess.GetLength(handle);
        var versionLength = VersionLine.Length;
        Span<byte> lead = stackalloc byte[versionLength + 4];
        var got = RandomAccess.Read(handle, lead, 0);
        if (got < versionLength || !lead[..versionLength].SequenceEqual(VersionLine))
            throw new EventFormatException(path, @"not an AEDAT 4.0 file: it does not begin with '#!AER-DAT4.0\r\n'", byteOffset: 0);
        if (got < lead.Length)
            throw new EventFormatException(path, "truncated: the IOHeader size is missing", byteOffset: versionLength);
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(lead[versionLength..]);
        long headerStart = versionLength + 4;
        if (headerSize > length - headerStart)
            throw new EventFormatException(path, $"IOHeader size {headerSize} runs past the end of the file ({length} bytes)", byteOffset: versionLength);

        var header = new byte[headerSize];
        ReadExactly(handle, header, headerStart, path);
        var fb = new Aedat4FlatBuffer(header, path, headerStart, decompressed: false);
        var root = fb.Root();
        var code = fb.Int32(root, 0, 0);
        if (code is < 0 or > (int)Aedat4Compression.ZstdHigh)
            throw fb.Fail($"unknown compression {code}", root);
        var compression = (Aedat4Compression)code;
        var dataTablePosition = fb.Int64(root, 1, -1);
        var infoNode = fb.String(root, 2);

        var firstPacket = headerStart + headerSize;
        if (dataTablePosition >= 0 && (dataTablePosition < firstPacket || dataTablePosition >= length))
            throw fb.Fail($"dataTablePosition {dataTablePosition} lies outside the packets ({firstPacket} to {length})", root);
        var declared = ParseInfoNode(infoNode, path, headerStart);

        using var decoder = new PacketDecoder(compression, path);
        var all = dataTablePosition >= 0
            ? ReadDataTable(handle, decoder, path, dataTablePosition, length, firstPacket)
            : ScanPackets(handle, path, firstPacket, length);
        var streamId = declared?.Id ?? FindEventStream(handle, decoder, path, all, headerStart);
        var packets = all.Where(p => p.StreamId == streamId).Select(p => p.Packet).ToArray();
        return new Aedat4File(path, compression, infoNode, streamId, declared?.Width ?? DefaultWidth,
            declared?.Height ?? DefaultHeight, dataTablePosition >= 0, packets);
    }

    /// <summary>Decodes the events with <paramref name="startUs"/> &lt;= t &lt; <paramref name="endUs"/> (either bound may
    /// be null), times as stored in the file; only packets overlapping the window are decompressed.</summary>
    /// <exception cref="EventFormatException">A packet is truncated or corrupt, or an event lies outside the sensor.</exception>
    /// <exception cref="ArgumentException"><paramref name="endUs"/> is before <paramref name="startUs"/>.</exception>
    public EventStream Read(long? startUs = null, long? endUs = null)
    {
        if (startUs is { } s && endUs is { } e && e < s)
            throw new ArgumentException($"the window ends ({e} µs) before it starts ({s} µs).", nameof(endUs));
        var lo = startUs ?? long.MinValue;
        var hi = endUs ?? long.MaxValue;
        using var handle = OpenHandle(Path);
        using var decoder = new PacketDecoder(Compression, Path);
        var events = new EventStreamBuilder(1024);
        foreach (var packet in Packets)
        {
            if (packet.EndUs is { } last && last < lo) continue;
            if (packet.StartUs is { } first && first >= hi) break;
            var data = decoder.ReadPacket(handle, EventStreamId, packet.DataOffset, packet.Size);
            if (DecodeEvents(data, packet.DataOffset, decoder.Decompresses, lo, hi, events) >= hi) break;
        }
        return events.Build(Width, Height);
    }

    /// <summary>Appends the packet's events inside [lo, hi) and returns the time of its last event.</summary>
    private long DecodeEvents(ReadOnlySpan<byte> data, long dataOffset, bool decompressed, long lo, long hi, EventStreamBuilder events)
    {
        var fb = Aedat4FlatBuffer.SizePrefixed(data, Path, dataOffset, decompressed);
        if (fb.Identifier != "EVTS")
            throw fb.Fail($"a packet of event stream {EventStreamId} is '{fb.Identifier}', not an EventPacket ('EVTS')", 4);
        var (start, count) = fb.Vector(fb.Root(), 0, EventSize);
        var bytes = fb.Bytes;
        var lastT = long.MinValue;
        for (var i = 0; i < count; i++)
        {
            var at = start + i * EventSize;
            var t = BinaryPrimitives.ReadInt64LittleEndian(bytes[at..]);
            var x = BinaryPrimitives.ReadInt16LittleEndian(bytes[(at + 8)..]);
            var y = BinaryPrimitives.ReadInt16LittleEndian(bytes[(at + 10)..]);
            var polarity = bytes[at + 12];
            if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
                throw fb.Fail($"event {i} at ({x}, {y}) lies outside the {Width} x {Height} sensor", at + 8);
            if (polarity > 1) throw fb.Fail($"event {i} has polarity byte {polarity}, not 0 or 1", at + 12);
            lastT = t;
            if (t >= lo && t < hi) events.Add(t, (ushort)x, (ushort)y, polarity);
        }
        return lastT;
    }

    private static SafeFileHandle OpenHandle(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"AEDAT4 file '{path}' does not exist.", path);
        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (n == 0) throw new EventFormatException(path, $"truncated: {buffer.Length} bytes expected, {done} present", byteOffset: offset + done);
            done += n;
        }
    }

    private sealed record DeclaredStream(int Id, int? Width, int? Height);

    /// <summary>The lowest-id stream the infoNode declares as EVTS, or null when it declares none.</summary>
    private static DeclaredStream? ParseInfoNode(string infoNode, string path, long headerStart)
    {
        if (string.IsNullOrWhiteSpace(infoNode)) return null;
        XDocument xml;
        try
        {
            xml = XDocument.Parse(infoNode);
        }
        catch (XmlException e)
        {
            throw new EventFormatException(path, $"the IOHeader infoNode is not valid XML: {e.Message}", byteOffset: headerStart, inner: e);
        }
        static string? Attr(XElement node, string key) =>
            node.Elements("attr").FirstOrDefault(a => (string?)a.Attribute("key") == key)?.Value.Trim();

        DeclaredStream? best = null;
        foreach (var outInfo in xml.Descendants("node").Where(n => (string?)n.Attribute("name") == "outInfo"))
            foreach (var node in outInfo.Elements("node"))
            {
                if (!int.TryParse((string?)node.Attribute("name"), NumberStyles.None, CultureInfo.InvariantCulture, out var id)) continue;
                if (Attr(node, "typeIdentifier") != "EVTS" || (best is not null && best.Id <= id)) continue;
                var info = node.Elements("node").FirstOrDefault(n => (string?)n.Attribute("name") == "info");
                best = new DeclaredStream(id, SensorSize(info, "sizeX", path, headerStart), SensorSize(info, "sizeY", path, headerStart));
            }
        return best;
    }

    private static int? SensorSize(XElement? info, string key, string path, long headerStart)
    {
        var text = info?.Elements("attr").FirstOrDefault(a => (string?)a.Attribute("key") == key)?.Value.Trim();
        if (text is null) return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size is < 1 or > 65536)
            throw new EventFormatException(path, $"the infoNode's {key} '{text}' is not a sensor size", byteOffset: headerStart);
        return size;
    }

    private readonly record struct IndexedPacket(int StreamId, Aedat4Packet Packet);

    /// <summary>Walks the 8-byte packet headers from the first packet to the end of the file.</summary>
    private static List<IndexedPacket> ScanPackets(SafeFileHandle handle, string path, long offset, long end)
    {
        var packets = new List<IndexedPacket>();
        Span<byte> header = stackalloc byte[8];
        while (offset < end)
        {
            if (end - offset < 8)
                throw new EventFormatException(path, $"truncated packet header: {end - offset} of 8 bytes present", byteOffset: offset);
            ReadExactly(handle, header, offset, path);
            var streamId = BinaryPrimitives.ReadInt32LittleEndian(header);
            var size = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
            if (size < 0 || size > end - offset - 8)
                throw new EventFormatException(path, $"packet of stream {streamId} declares {size} bytes, but {end - offset - 8} remain in the file", byteOffset: offset);
            packets.Add(new IndexedPacket(streamId, new Aedat4Packet(offset + 8, size, null, null)));
            offset += 8 + size;
        }
        return packets;
    }

    /// <summary>Reads the FileDataTable (size-prefixed FlatBuffer, compressed like the packets) stored from
    /// <paramref name="position"/> to the end of the file: a vector of tables {ByteOffset, PacketInfo {StreamID, Size},
    /// NumElements, TimestampStart, TimestampEnd}, where ByteOffset is the offset of the packet's data.</summary>
    private static List<IndexedPacket> ReadDataTable(SafeFileHandle handle, PacketDecoder decoder, string path,
        long position, long length, long firstPacket)
    {
        var stored = new byte[length - position];
        ReadExactly(handle, stored, position, path);
        var data = decoder.Decompress(stored, position, "the data table");
        var fb = Aedat4FlatBuffer.SizePrefixed(data, path, position, decoder.Decompresses);
        var (start, count) = fb.Vector(fb.Root(), 0, 4);
        var packets = new List<IndexedPacket>(count);
        for (var i = 0; i < count; i++)
        {
            var table = fb.Indirect(start + 4 * i);
            var byteOffset = fb.Int64(table, 0, 0);
            var info = fb.Struct(table, 1, 8);
            if (info.IsEmpty) throw fb.Fail($"data table entry {i} has no PacketInfo", table);
            var streamId = BinaryPrimitives.ReadInt32LittleEndian(info);
            var size = BinaryPrimitives.ReadInt32LittleEndian(info[4..]);
            if (byteOffset < firstPacket + 8 || size < 0 || byteOffset > position - size)
                throw fb.Fail($"data table entry {i} points to bytes {byteOffset}..{byteOffset + size}, outside the packets ({firstPacket + 8} to {position})", table);
            var first = fb.Int64(table, 3, 0);
            var last = fb.Int64(table, 4, 0);
            // DV marks packets without timestamps with -1; those are always decoded.
            var known = first >= 0 && last >= first;
            packets.Add(new IndexedPacket(streamId, new Aedat4Packet(byteOffset, size, known ? first : null, known ? last : null)));
        }
        return packets;
    }

    /// <summary>The first stream (in file order) whose first packet is an EventPacket, for files whose infoNode
    /// declares no EVTS stream.</summary>
    private static int FindEventStream(SafeFileHandle handle, PacketDecoder decoder, string path, List<IndexedPacket> packets, long headerStart)
    {
        var tried = new HashSet<int>();
        foreach (var (streamId, packet) in packets)
        {
            if (!tried.Add(streamId)) continue;
            var data = decoder.ReadPacket(handle, streamId, packet.DataOffset, packet.Size);
            if (Aedat4FlatBuffer.SizePrefixed(data, path, packet.DataOffset, decoder.Decompresses).Identifier == "EVTS")
                return streamId;
        }
        throw new EventFormatException(path, "no polarity event stream: the infoNode declares no EVTS stream and no packet is an EventPacket ('EVTS')", byteOffset: headerStart);
    }

    /// <summary>Reads packets and decompresses them, reusing its buffers across packets.</summary>
    private sealed class PacketDecoder(Aedat4Compression compression, string path) : IDisposable
    {
        private byte[] _stored = [];
        private byte[] _zstdOut = [];
        private ArrayBufferWriter<byte>? _lz4;
        private Decompressor? _zstd;

        /// <summary>Whether packet data are decompressed (so error offsets point into the packet, not the file).</summary>
        public bool Decompresses => compression != Aedat4Compression.None;

        /// <summary>Reads the packet whose data start at <paramref name="dataOffset"/>, checks its header, and
        /// returns its decompressed data (valid until the next call).</summary>
        public ReadOnlySpan<byte> ReadPacket(SafeFileHandle handle, int streamId, long dataOffset, int size)
        {
            if (_stored.Length < size + 8) _stored = new byte[Math.Max(size + 8, _stored.Length * 2)];
            var stored = _stored.AsSpan(0, size + 8);
            ReadExactly(handle, stored, dataOffset - 8, path);
            var headerStream = BinaryPrimitives.ReadInt32LittleEndian(stored);
            var headerSize = BinaryPrimitives.ReadInt32LittleEndian(stored[4..]);
            if (headerStream != streamId || headerSize != size)
                throw new EventFormatException(path, $"packet header (stream {headerStream}, {headerSize} bytes) disagrees with the data table (stream {streamId}, {size} bytes)", byteOffset: dataOffset - 8);
            return Decompress(stored[8..], dataOffset, $"a packet of stream {streamId}");
        }

        /// <summary>Decompresses one stored block (a packet or the data table).</summary>
        public ReadOnlySpan<byte> Decompress(ReadOnlySpan<byte> stored, long offset, string what)
        {
            try
            {
                switch (compression)
                {
                    case Aedat4Compression.None:
                        return stored;
                    case Aedat4Compression.Lz4:
                    case Aedat4Compression.Lz4High:
                        _lz4 ??= new ArrayBufferWriter<byte>();
                        _lz4.ResetWrittenCount();
                        LZ4Frame.Decode(stored, _lz4);
                        return _lz4.WrittenSpan;
                    default:
                        var size = Decompressor.GetDecompressedSize(stored);
                        if (size > MaxPacketBytes)
                            throw new EventFormatException(path, $"{what} claims {size} decompressed bytes, more than the {MaxPacketBytes} accepted", byteOffset: offset);
                        if (_zstdOut.Length < (int)size) _zstdOut = new byte[Math.Max((int)size, _zstdOut.Length * 2)];
                        _zstd ??= new Decompressor();
                        return _zstdOut.AsSpan(0, _zstd.Unwrap(stored, _zstdOut.AsSpan(0, (int)size)));
                }
            }
            catch (Exception e) when (e is not EventFormatException and not OutOfMemoryException)
            {
                throw new EventFormatException(path, $"{what} does not decompress as {compression}: {e.Message}", byteOffset: offset, inner: e);
            }
        }

        public void Dispose() => _zstd?.Dispose();
    }
}
