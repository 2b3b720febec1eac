using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using MetaSpike.Data.Readers;
using ZstdSharp;

namespace MetaSpike.Tests.Data.Readers2;

/// <summary>One polarity event as written to a test file.</summary>
internal readonly record struct TestEvent(long T, short X, short Y, bool On);

/// <summary>
/// Writes AEDAT 4.0 files byte for byte, with FlatBuffers laid out by hand (offsets in the comments are relative to
/// the FlatBuffer start, after any size prefix), so the reader is checked against the format, not against itself.
/// </summary>
internal sealed class Aedat4Writer
{
    /// <summary>The infoNode of a DAVIS346 recording: frames on stream 0, polarity events on stream 1.</summary>
    public const string Davis346Info =
        """<dv version="2.0"><node name="outInfo" path="/mainloop/Recorder/outInfo/">""" +
        """<node name="0" path="/mainloop/Recorder/outInfo/0/"><attr key="originalOutputName" type="string">frames</attr>""" +
        """<attr key="typeIdentifier" type="string">FRME</attr><node name="info" path="/mainloop/Recorder/outInfo/0/info/">""" +
        """<attr key="sizeX" type="int">346</attr><attr key="sizeY" type="int">260</attr></node></node>""" +
        """<node name="1" path="/mainloop/Recorder/outInfo/1/"><attr key="compression" type="string">LZ4</attr>""" +
        """<attr key="originalOutputName" type="string">events</attr><attr key="typeIdentifier" type="string">EVTS</attr>""" +
        """<node name="info" path="/mainloop/Recorder/outInfo/1/info/"><attr key="sizeX" type="int">346</attr>""" +
        """<attr key="sizeY" type="int">260</attr><attr key="source" type="string">DAVIS346_00000499</attr></node></node></node></dv>""";

    private readonly List<(int Stream, byte[] Plain, long First, long Last, long Count)> _packets = [];

    public Aedat4Compression Compression { get; init; } = Aedat4Compression.None;

    public string InfoNode { get; init; } = Davis346Info;

    /// <summary>Append a FileDataTable and point the IOHeader at it.</summary>
    public bool WithDataTable { get; init; }

    /// <summary>Leave compression and dataTablePosition out of the IOHeader's vtable, as FlatBuffers does for defaults.</summary>
    public bool OmitDefaults { get; init; }

    /// <summary>File offsets of the packet headers, in order, after <see cref="Build"/>.</summary>
    public List<long> HeaderOffsets { get; } = [];

    public Aedat4Writer Events(int stream, params TestEvent[] events)
    {
        _packets.Add((stream, EventPacket(events), events[0].T, events[^1].T, events.Length));
        return this;
    }

    /// <summary>A packet whose decompressed data are <paramref name="plain"/> as given (a frame, or garbage).</summary>
    public Aedat4Writer Raw(int stream, byte[] plain, long first = -1, long last = -1)
    {
        _packets.Add((stream, plain, first, last, 0));
        return this;
    }

    public byte[] Build()
    {
        HeaderOffsets.Clear();
        var info = Encoding.UTF8.GetBytes(InfoNode);
        var headerLength = IoHeader(Compression, -1, info).Length;
        var body = new List<byte>();
        var entries = new List<(long DataOffset, int Stream, int Size, long Count, long First, long Last)>();
        long offset = 14 + 4 + headerLength;
        foreach (var (stream, plain, first, last, count) in _packets)
        {
            var stored = Compress(plain);
            HeaderOffsets.Add(offset);
            body.AddRange(Int32(stream));
            body.AddRange(Int32(stored.Length));
            body.AddRange(stored);
            entries.Add((offset + 8, stream, stored.Length, count, first, last));
            offset += 8 + stored.Length;
        }
        var file = new List<byte>(Encoding.ASCII.GetBytes("#!AER-DAT4.0\r\n"));
        var header = IoHeader(Compression, WithDataTable ? offset : -1, info);
        file.AddRange(Int32(header.Length));
        file.AddRange(header);
        file.AddRange(body);
        if (WithDataTable) file.AddRange(Compress(DataTable(entries)));
        return [.. file];
    }

    /// <summary>Size-prefixed EventPacket with file identifier "EVTS".</summary>
    public static byte[] EventPacket(IReadOnlyList<TestEvent> events, string identifier = "EVTS")
    {
        var fb = new byte[32 + 16 * events.Count];
        Put32(fb, 0, 16);                                   // root table at 16
        Encoding.ASCII.GetBytes(identifier).CopyTo(fb, 4);  // file identifier
        Put16(fb, 8, 6); Put16(fb, 10, 8); Put16(fb, 12, 4); // vtable: 6 bytes, table 8 bytes, field 0 at +4
        Put32(fb, 16, 16 - 8);                              // soffset back to the vtable
        Put32(fb, 20, 28 - 20);                             // field 0: uoffset to the vector at 28
        Put32(fb, 28, events.Count);                        // vector length; structs start 8-aligned at 32
        for (var i = 0; i < events.Count; i++)
        {
            var at = 32 + 16 * i;
            BinaryPrimitives.WriteInt64LittleEndian(fb.AsSpan(at), events[i].T);
            BinaryPrimitives.WriteInt16LittleEndian(fb.AsSpan(at + 8), events[i].X);
            BinaryPrimitives.WriteInt16LittleEndian(fb.AsSpan(at + 10), events[i].Y);
            fb[at + 12] = events[i].On ? (byte)1 : (byte)0;  // then 3 bytes padding
        }
        return [.. Int32(fb.Length), .. fb];
    }

    /// <summary>IOHeader (not size-prefixed; the file stores its length before it) with identifier "IOHE".</summary>
    private byte[] IoHeader(Aedat4Compression compression, long dataTablePosition, byte[] info)
    {
        var fb = new byte[(44 + 4 + info.Length + 1 + 3) / 4 * 4];
        Put32(fb, 0, 24);                                   // root table at 24
        Encoding.ASCII.GetBytes("IOHE").CopyTo(fb, 4);
        Put16(fb, 8, 10); Put16(fb, 10, 20);                // vtable at 8: 10 bytes, table 20 bytes
        Put16(fb, 12, OmitDefaults ? 0 : 4);                // compression at table+4
        Put16(fb, 14, OmitDefaults ? 0 : 8);                // dataTablePosition at table+8
        Put16(fb, 16, 16);                                  // infoNode at table+16
        Put32(fb, 24, 24 - 8);                              // soffset back to the vtable
        Put32(fb, 28, (int)compression);
        BinaryPrimitives.WriteInt64LittleEndian(fb.AsSpan(32), dataTablePosition);
        Put32(fb, 40, 44 - 40);                             // uoffset to the string at 44
        Put32(fb, 44, info.Length);
        info.CopyTo(fb, 48);                                // then a 0 terminator and padding
        return fb;
    }

    /// <summary>Size-prefixed FileDataTable ("FTAB"): a vector of tables sharing one vtable.</summary>
    private static byte[] DataTable(List<(long DataOffset, int Stream, int Size, long Count, long First, long Last)> entries)
    {
        var n = entries.Count;
        var vtable = 28 + 4 * n;
        var firstEntry = (vtable + 14 + 7) / 8 * 8;
        var fb = new byte[firstEntry + 48 * n];
        Put32(fb, 0, 16);
        Encoding.ASCII.GetBytes("FTAB").CopyTo(fb, 4);
        Put16(fb, 8, 6); Put16(fb, 10, 8); Put16(fb, 12, 4); // root vtable: field 0 at +4
        Put32(fb, 16, 16 - 8);
        Put32(fb, 20, 24 - 20);                             // uoffset to the vector at 24
        Put32(fb, 24, n);
        Put16(fb, vtable, 14); Put16(fb, vtable + 2, 48);   // entry vtable: 5 fields, 48-byte tables
        Put16(fb, vtable + 4, 8); Put16(fb, vtable + 6, 16); Put16(fb, vtable + 8, 24);
        Put16(fb, vtable + 10, 32); Put16(fb, vtable + 12, 40);
        for (var i = 0; i < n; i++)
        {
            var table = firstEntry + 48 * i;
            Put32(fb, 28 + 4 * i, table - (28 + 4 * i));    // vector element: uoffset to the entry
            Put32(fb, table, table - vtable);
            var (dataOffset, stream, size, count, first, last) = entries[i];
            BinaryPrimitives.WriteInt64LittleEndian(fb.AsSpan(table + 8), dataOffset);
            Put32(fb, table + 16, stream);
            Put32(fb, table + 20, size);
            BinaryPrimitives.WriteInt64LittleEndian(fb.AsSpan(table + 24), count);
            BinaryPrimitives.WriteInt64LittleEndian(fb.AsSpan(table + 32), first);
            BinaryPrimitives.WriteInt64LittleEndian(fb.AsSpan(table + 40), last);
        }
        return [.. Int32(fb.Length), .. fb];
    }

    private byte[] Compress(byte[] plain)
    {
        switch (Compression)
        {
            case Aedat4Compression.Lz4:
            case Aedat4Compression.Lz4High:
                var writer = new ArrayBufferWriter<byte>();
                LZ4Frame.Encode(plain.AsSpan(), writer, Compression == Aedat4Compression.Lz4 ? LZ4Level.L00_FAST : LZ4Level.L09_HC);
                return writer.WrittenSpan.ToArray();
            case Aedat4Compression.Zstd:
            case Aedat4Compression.ZstdHigh:
                using (var compressor = new Compressor(Compression == Aedat4Compression.Zstd ? 3 : 19))
                    return compressor.Wrap(plain).ToArray();
            default:
                return plain;
        }
    }

    private static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static void Put32(byte[] buffer, int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), value);

    private static void Put16(byte[] buffer, int at, int value) => BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(at), (ushort)value);
}
