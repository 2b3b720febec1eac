using System.Buffers.Binary;
using MetaSpike.Data;
using MetaSpike.Data.Readers;

namespace MetaSpike.Tests.Data.Readers2;

public sealed class Aedat4FileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-aedat4-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly TestEvent[] First = [new(1000, 3, 4, true), new(1500, 345, 259, false)];
    private static readonly TestEvent[] Second = [new(2000, 0, 0, true), new(2500, 17, 200, false)];

    /// <summary>Events on stream 1 in two packets with a frame packet (stream 0) between them.</summary>
    private static Aedat4Writer TwoPackets(Aedat4Compression compression = Aedat4Compression.None, bool dataTable = false) =>
        new Aedat4Writer { Compression = compression, WithDataTable = dataTable }
            .Events(1, First)
            .Raw(0, Aedat4Writer.EventPacket([new(1200, 1, 1, true)], identifier: "FRME"), 1200, 1200)
            .Events(1, Second);

    private string Write(byte[] bytes, string name = "rec.aedat4")
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertEvents(EventStream s, long[] t, ushort[] x, ushort[] y, byte[] p)
    {
        Assert.Equal(t, s.TimesUs);
        Assert.Equal(x, s.X);
        Assert.Equal(y, s.Y);
        Assert.Equal(p, s.Polarity);
    }

    [Fact]
    public void Uncompressed_ReadsTheEventStreamOnly_WithTheDeclaredSensor()
    {
        var path = Write(TwoPackets().Build());
        var file = Aedat4File.Open(path);
        Assert.Equal(Aedat4Compression.None, file.Compression);
        Assert.Equal(1, file.EventStreamId);
        Assert.Equal(2, file.Packets.Count);
        Assert.False(file.HasDataTable);
        Assert.Null(file.Packets[0].StartUs);
        var events = file.Read();
        Assert.Equal((346, 260), (events.Width, events.Height));
        // The frame packet's event at 1200 µs is not a polarity event.
        AssertEvents(events, [1000, 1500, 2000, 2500], [3, 345, 0, 17], [4, 259, 0, 200], [1, 0, 1, 0]);
    }

    [Theory]
    [InlineData(Aedat4Compression.Lz4, false)]
    [InlineData(Aedat4Compression.Lz4High, true)]
    [InlineData(Aedat4Compression.Zstd, false)]
    [InlineData(Aedat4Compression.ZstdHigh, true)]
    [InlineData(Aedat4Compression.None, true)]
    public void Compressed_AndWithDataTable_ReadBackTheSameEvents(Aedat4Compression compression, bool dataTable)
    {
        var path = Write(TwoPackets(compression, dataTable).Build());
        var file = Aedat4File.Open(path);
        Assert.Equal(compression, file.Compression);
        Assert.Equal(dataTable, file.HasDataTable);
        if (dataTable)
        {
            Assert.Equal((1000L, 1500L), (file.Packets[0].StartUs, file.Packets[0].EndUs));
            Assert.Equal((2000L, 2500L), (file.Packets[1].StartUs, file.Packets[1].EndUs));
        }
        AssertEvents(Aedat4File.ReadEvents(path), [1000, 1500, 2000, 2500], [3, 345, 0, 17], [4, 259, 0, 200], [1, 0, 1, 0]);
    }

    [Fact]
    public void Window_IncludesItsStart_ExcludesItsEnd()
    {
        var path = Write(TwoPackets().Build());
        AssertEvents(Aedat4File.ReadEvents(path, 1500, 2500), [1500, 2000], [345, 0], [259, 0], [0, 1]);
        Assert.Equal([2000L, 2500L], Aedat4File.ReadEvents(path, startUs: 1501).TimesUs);
        Assert.Equal([1000L], Aedat4File.ReadEvents(path, endUs: 1500).TimesUs);
        Assert.Equal(0, Aedat4File.ReadEvents(path, 3000, 4000).Count);
    }

    [Theory]
    [InlineData(Aedat4Compression.None)]
    [InlineData(Aedat4Compression.Zstd)]
    public void DataTable_OnlyPacketsOverlappingTheWindowAreDecoded(Aedat4Compression compression)
    {
        // The third packet is garbage; its data-table entry says it covers 5000..6000 µs.
        var garbage = Enumerable.Repeat((byte)0xFF, 40).ToArray();
        var path = Write(TwoPackets(compression, dataTable: true).Raw(1, garbage, 5000, 6000).Build());
        Assert.Equal([2000L, 2500L], Aedat4File.ReadEvents(path, 1800, 4000).TimesUs);
        Assert.Throws<EventFormatException>(() => Aedat4File.ReadEvents(path, 1800, 5001));
    }

    [Fact]
    public void WithoutDataTable_DecodingStopsAtThePacketReachingTheWindowEnd()
    {
        var garbage = Enumerable.Repeat((byte)0xFF, 40).ToArray();
        var writer = TwoPackets().Raw(1, garbage);
        var path = Write(writer.Build());
        // The second packet ends at 2500 >= 2400, so the garbage after it is never decompressed.
        Assert.Equal([1000L, 1500L, 2000L], Aedat4File.ReadEvents(path, endUs: 2400).TimesUs);
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.ReadEvents(path));
        Assert.Equal(writer.HeaderOffsets[3] + 8, e.ByteOffset);
    }

    [Fact]
    public void OmittedDefaults_MeanNoCompressionAndNoDataTable()
    {
        var path = Write(new Aedat4Writer { OmitDefaults = true }.Events(1, First).Build());
        var file = Aedat4File.Open(path);
        Assert.Equal(Aedat4Compression.None, file.Compression);
        Assert.False(file.HasDataTable);
        Assert.Equal([1000L, 1500L], file.Read().TimesUs);
    }

    [Fact]
    public void NoInfoNode_FindsTheStreamByPacketIdentifier_AndAssumesDavis346()
    {
        var writer = new Aedat4Writer { InfoNode = "" }
            .Raw(0, Aedat4Writer.EventPacket([new(10, 1, 1, true)], identifier: "FRME"))
            .Events(3, new TestEvent(20, 345, 259, true));
        var file = Aedat4File.Open(Write(writer.Build()));
        Assert.Equal(3, file.EventStreamId);
        Assert.Equal((346, 260), (file.Width, file.Height));
        AssertEvents(file.Read(), [20], [345], [259], [1]);
    }

    [Fact]
    public void EventOutsideTheDeclaredSensor_IsAnErrorAtItsByte()
    {
        var writer = new Aedat4Writer().Events(1, new TestEvent(5, 346, 0, true));
        var path = Write(writer.Build());
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.ReadEvents(path));
        // prefix (4) + struct start (32) + x (8)
        Assert.Equal(writer.HeaderOffsets[0] + 8 + 4 + 32 + 8, e.ByteOffset);
        Assert.Contains("346 x 260", e.Message);
    }

    [Fact]
    public void WrongMagic_IsAnErrorAtByte0()
    {
        var bytes = TwoPackets().Build();
        "#!AER-DAT3.1"u8.CopyTo(bytes);
        var path = Write(bytes);
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.Open(path));
        Assert.Equal(0, e.ByteOffset);
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void HeaderSizeBeyondTheFile_IsAnErrorAtByte14()
    {
        var bytes = TwoPackets().Build();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), bytes.Length);
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.Open(Write(bytes)));
        Assert.Equal(14, e.ByteOffset);
    }

    [Fact]
    public void PacketSizeBeyondTheFile_IsAnErrorAtItsHeader()
    {
        var writer = TwoPackets();
        var bytes = writer.Build();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)writer.HeaderOffsets[2] + 4), 100_000);
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.Open(Write(bytes)));
        Assert.Equal(writer.HeaderOffsets[2], e.ByteOffset);
    }

    [Fact]
    public void TruncatedPacket_IsAnErrorAtItsHeader()
    {
        var writer = TwoPackets();
        var bytes = writer.Build();
        var last = (int)writer.HeaderOffsets[2];
        var cutInData = Write(bytes[..(bytes.Length - 5)], "data.aedat4");
        Assert.Equal(last, Assert.Throws<EventFormatException>(() => Aedat4File.Open(cutInData)).ByteOffset);
        var cutInHeader = Write(bytes[..(last + 5)], "header.aedat4");
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.Open(cutInHeader));
        Assert.Equal(last, e.ByteOffset);
        Assert.Contains("truncated packet header", e.Message);
    }

    [Theory]
    [InlineData(0, 0x7FFFFFF0, 0)]   // root offset past the end
    [InlineData(16, 1000, 16)]       // vtable soffset before the buffer
    [InlineData(28, 1000, 28)]       // vector longer than the buffer
    public void BadFlatBufferOffsets_AreErrorsAtTheirByte(int at, int value, int expectedAt)
    {
        var writer = TwoPackets();
        var bytes = writer.Build();
        var flatBuffer = (int)writer.HeaderOffsets[0] + 8 + 4;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(flatBuffer + at), value);
        var path = Write(bytes);
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.ReadEvents(path));
        Assert.Equal(flatBuffer + expectedAt, e.ByteOffset);
    }

    [Fact]
    public void BadOffsetInsideACompressedPacket_NamesThePacketAndThePositionInItsData()
    {
        var bad = Aedat4Writer.EventPacket(First);
        BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(4), 0x7FFFFFF0);   // root offset, after the size prefix
        var writer = new Aedat4Writer { Compression = Aedat4Compression.Zstd }.Raw(1, bad);
        var path = Write(writer.Build());
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.ReadEvents(path));
        Assert.Equal(writer.HeaderOffsets[0] + 8, e.ByteOffset);
        Assert.Contains("byte 4 of the decompressed data", e.Message);
    }

    [Fact]
    public void CorruptLz4Packet_IsAnErrorAtThePacketData()
    {
        var writer = TwoPackets(Aedat4Compression.Lz4);
        var bytes = writer.Build();
        var data = (int)writer.HeaderOffsets[0] + 8;
        bytes.AsSpan(data, 6).Fill(0x5A);   // destroys the LZ4 frame magic
        var path = Write(bytes);
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.ReadEvents(path));
        Assert.Equal(data, e.ByteOffset);
        Assert.NotNull(e.InnerException);
    }

    [Fact]
    public void PacketHeaderDisagreeingWithTheDataTable_IsAnError()
    {
        var writer = TwoPackets(dataTable: true);
        var bytes = writer.Build();
        // The second event packet (the frame packet sits between the two).
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)writer.HeaderOffsets[2]), 7);
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.ReadEvents(Write(bytes)));
        Assert.Equal(writer.HeaderOffsets[2], e.ByteOffset);
    }

    [Fact]
    public void DataTablePositionOutsideTheFile_IsAnError()
    {
        var bytes = new Aedat4Writer { WithDataTable = true }.Events(1, First).Build();
        // IOHeader starts at 18; dataTablePosition is at table (24) + 8.
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(18 + 32), bytes.Length + 10L);
        var e = Assert.Throws<EventFormatException>(() => Aedat4File.Open(Write(bytes)));
        Assert.Contains("dataTablePosition", e.Message);
    }

    [Fact]
    public void MissingFile_AndReversedWindow_AreRejected()
    {
        var missing = Path.Combine(_folder, "none.aedat4");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => Aedat4File.Open(missing)).Message);
        var path = Write(TwoPackets().Build());
        Assert.Throws<ArgumentException>(() => Aedat4File.ReadEvents(path, 2000, 1000));
    }
}
