using System.Buffers.Binary;
using System.Text;
using MetaSpike.Data;
using MetaSpike.Data.Readers;

namespace MetaSpike.Tests.Data.Readers;

public sealed class Aedat31Tests : IDisposable
{
    private const string Header = "#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017-01-01 10:00:00 (TZ+0000)\r\n#!END-HEADER\r\n";
    private readonly TempFolder _folder = new("aedat");

    public void Dispose() => _folder.Dispose();

    /// <summary>A packet written field by field: the 28-byte little-endian header, then the payload.</summary>
    private static byte[] Packet(int type, int size, int overflow, int capacity, int number, int valid, byte[] payload)
    {
        var bytes = new byte[28 + payload.Length];
        var h = bytes.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(h, (ushort)type);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(h[4..], size);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], overflow);
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], capacity);
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], number);
        BinaryPrimitives.WriteInt32LittleEndian(h[24..], valid);
        payload.CopyTo(bytes, 28);
        return bytes;
    }

    /// <summary>A polarity event: data word (bit 0 valid, bit 1 polarity, y at bit 2, x at bit 17), then timestamp.</summary>
    private static byte[] Polarity(int x, int y, int p, int ts, bool valid = true)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)x << 17 | (uint)y << 2 | (uint)p << 1 | (valid ? 1u : 0u));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), ts);
        return bytes;
    }

    private static readonly byte[] First = Packet(1, 8, 0, 4, 3, 2,
    [
        .. Polarity(5, 7, 1, 100),
        .. Polarity(1, 1, 1, 150, valid: false),
        .. Polarity(127, 0, 0, 200),
        .. Polarity(9, 9, 1, 210), // beyond eventNumber: capacity left unused
    ]);

    // A frame-like packet (type 2, 12-byte events) whose bytes would read as valid polarity events.
    private static readonly byte[] Other = Packet(2, 12, 0, 2, 2, 2, [.. Polarity(3, 3, 1, 120), 0, 0, 0, 0, .. Polarity(4, 4, 1, 130), 0, 0, 0, 0]);

    private static readonly byte[] Third = Packet(1, 8, 3, 2, 2, 2, [.. Polarity(0, 127, 1, 10), .. Polarity(64, 32, 0, int.MaxValue)]);

    private static readonly byte[] HandFile = [.. Encoding.ASCII.GetBytes(Header), .. First, .. Other, .. Third];

    private string WriteHandFile(string name = "hand.aedat")
    {
        var path = _folder.File(name);
        File.WriteAllBytes(path, HandFile);
        return path;
    }

    [Fact]
    public void Reads_valid_polarity_events_skipping_other_packets_and_invalid_events()
    {
        var events = Aedat31File.Read(WriteHandFile());

        Assert.Equal((128, 128), (events.Width, events.Height));
        Assert.Equal(new long[] { 100, 200, (3L << 31) | 10, (3L << 31) | int.MaxValue }, events.TimesUs);
        Assert.Equal(new ushort[] { 5, 127, 0, 64 }, events.X);
        Assert.Equal(new ushort[] { 7, 0, 127, 32 }, events.Y);
        Assert.Equal(new byte[] { 1, 0, 1, 0 }, events.Polarity);
        Assert.Equal(6442450954L, events.TimesUs[2]);
    }

    [Fact]
    public void Reads_a_time_window_relative_to_its_start()
    {
        var path = WriteHandFile();

        var window = Aedat31File.Read(path, 150, (3L << 31) + 11);

        Assert.Equal(new long[] { 50, (3L << 31) + 10 - 150 }, window.TimesUs);
        Assert.Equal(new ushort[] { 127, 0 }, window.X);
        Assert.Empty(Aedat31File.Read(path, 201, 300).TimesUs);
    }

    [Fact]
    public void Header_lines_are_returned_and_the_stream_left_at_the_first_packet()
    {
        using var stream = new MemoryStream(HandFile);

        var lines = Aedat31File.ReadHeader(stream, "hand.aedat");

        Assert.Equal(["#!AER-DAT3.1", "#Format: RAW", "#Source 1: DVS128", "#Start-Time: 2017-01-01 10:00:00 (TZ+0000)", "#!END-HEADER"], lines);
        Assert.Equal(Header.Length, stream.Position);
    }

    [Fact]
    public void Writer_lays_out_header_and_packets_as_the_format_says()
    {
        using var stream = new MemoryStream();
        using (var writer = new Aedat31Writer(stream, ["Start-Time: 2017-01-01 10:00:00 (TZ+0000)"], leaveOpen: true))
        {
            writer.WritePacket(1, 1, 8, 4, 0, 4, 3, 2, First.AsSpan(28));
            writer.WritePacket(2, 1, 12, 4, 0, 2, 2, 2, Other.AsSpan(28));
            writer.WritePolarityEvents(new EventStream([(3L << 31) | 10, (3L << 31) | int.MaxValue], [0, 64], [127, 32], [1, 0], 128, 128));
        }
        Assert.Equal(HandFile, stream.ToArray());
    }

    [Fact]
    public void Write_round_trips_across_overflows_and_packet_limits()
    {
        var events = EventAssert.RandomStream(5, 1000, 4L << 31, 128, 128);
        var path = _folder.File("round.aedat");

        Aedat31File.Write(path, events, maxEventsPerPacket: 37);
        var back = Aedat31File.Read(path);

        EventAssert.Equal(events, back);
    }

    [Fact]
    public void A_truncated_packet_names_its_byte_offset_on_files_and_unseekable_streams()
    {
        long thirdAt = Header.Length + First.Length + Other.Length;
        var path = _folder.File("cut.aedat");
        File.WriteAllBytes(path, HandFile[..^5]);

        var e = Assert.Throws<EventFormatException>(() => Aedat31File.Read(path));
        Assert.Equal(thirdAt, e.ByteOffset);
        Assert.Contains($"at byte {thirdAt}: truncated packet", e.Message);
        Assert.Contains(path, e.Message);

        var s = Assert.Throws<EventFormatException>(() => Aedat31File.Read(new OneWayStream(HandFile[..^5]), "pipe"));
        Assert.Equal(thirdAt, s.ByteOffset);
        var skipped = Assert.Throws<EventFormatException>(() => Aedat31File.Read(new OneWayStream(HandFile[..(Header.Length + First.Length + 40)]), "pipe"));
        Assert.Equal(Header.Length + First.Length, skipped.ByteOffset);

        File.WriteAllBytes(path, HandFile[..(int)(thirdAt + 10)]);
        var header = Assert.Throws<EventFormatException>(() => Aedat31File.Read(path));
        Assert.Equal(thirdAt, header.ByteOffset);
        Assert.Contains("10 bytes into the 28-byte packet header", header.Message);
    }

    [Fact]
    public void Header_problems_are_errors_at_their_offset()
    {
        var noHeader = Assert.Throws<EventFormatException>(() => Aedat31File.Read(new MemoryStream(First), "raw"));
        Assert.Equal(0, noHeader.ByteOffset);

        var unended = Encoding.ASCII.GetBytes("#!AER-DAT3.1\r\n#Format: RAW\r\n");
        var e = Assert.Throws<EventFormatException>(() => Aedat31File.Read(new MemoryStream(unended), "unended"));
        Assert.Equal(unended.Length, e.ByteOffset);
        Assert.Contains("#!END-HEADER", e.Message);

        var binaryAfter = Encoding.ASCII.GetBytes("#!AER-DAT3.1\r\nxyz");
        Assert.Equal(14, Assert.Throws<EventFormatException>(() => Aedat31File.Read(new MemoryStream(binaryAfter), "b")).ByteOffset);

        var v2 = Encoding.ASCII.GetBytes("#!AER-DAT2.0\r\n#!END-HEADER\r\n");
        Assert.Contains("AER-DAT2.0", Assert.Throws<EventFormatException>(() => Aedat31File.Read(new MemoryStream(v2), "v2")).Message);

        Assert.Equal(0, Assert.Throws<EventFormatException>(() => Aedat31File.Read(new MemoryStream(), "empty")).ByteOffset);
    }

    [Fact]
    public void Corrupt_packets_and_events_are_errors_at_their_offset()
    {
        byte[] badSize = [.. Encoding.ASCII.GetBytes(Header), .. Packet(1, 6, 0, 1, 1, 1, [1, 2, 3, 4, 5, 6])];
        Assert.Equal(Header.Length, Assert.Throws<EventFormatException>(() => Aedat31File.Read(new MemoryStream(badSize), "s")).ByteOffset);

        byte[] badNumber = [.. Encoding.ASCII.GetBytes(Header), .. Packet(1, 8, 0, 1, 2, 1, Polarity(1, 1, 1, 1))];
        Assert.Equal(Header.Length, Assert.Throws<EventFormatException>(() => Aedat31File.Read(new MemoryStream(badNumber), "n")).ByteOffset);

        byte[] badPixel = [.. Encoding.ASCII.GetBytes(Header), .. Packet(1, 8, 0, 2, 2, 2, [.. Polarity(1, 1, 1, 1), .. Polarity(128, 1, 1, 2)])];
        var e = Assert.Throws<EventFormatException>(() => Aedat31File.Read(new MemoryStream(badPixel), "p"));
        Assert.Equal(Header.Length + 28 + 8, e.ByteOffset);
        Assert.Contains("(128, 1)", e.Message);
    }

    private static void WriteRecording(string path, EventStream events, params GestureSegment[] labels)
    {
        Aedat31File.Write(path, events);
        DvsGestureLabels.Write(DvsGestureLabels.PathFor(path), labels);
    }

    private static EventStream Ramp(long from, long step, int count) =>
        new([.. Enumerable.Range(0, count).Select(i => from + i * step)], [.. Enumerable.Range(0, count).Select(i => (ushort)(i % 128))],
            new ushort[count], new byte[count], 128, 128);

    [Fact]
    public void Labels_csv_is_one_based_and_round_trips()
    {
        var path = _folder.File("user01_led_labels.csv");
        File.WriteAllText(path, "class,startTime_usec,endTime_usec\n1,100,250\n11,6442450000,6442451000\n\n");

        var labels = DvsGestureLabels.Read(path);

        Assert.Equal([new GestureSegment(0, 100, 250), new GestureSegment(10, 6442450000, 6442451000)], labels);
        DvsGestureLabels.Write(path, labels);
        Assert.Equal(labels, DvsGestureLabels.Read(path));
        Assert.StartsWith("class,startTime_usec,endTime_usec\r\n1,100,250\r\n", File.ReadAllText(path));

        File.WriteAllText(path, "class,startTime_usec,endTime_usec\n12,1,2\n");
        Assert.Equal(2, Assert.Throws<EventFormatException>(() => DvsGestureLabels.Read(path)).Record);
        File.WriteAllText(path, "1,1,2\n");
        Assert.Equal(1, Assert.Throws<EventFormatException>(() => DvsGestureLabels.Read(path)).Record);
    }

    [Fact]
    public void Dataset_makes_one_sample_per_labels_row_from_the_split_list()
    {
        WriteRecording(_folder.File("user02_led.aedat"), Ramp(0, 10, 100), new GestureSegment(4, 500, 600));
        WriteRecording(_folder.File("user01_led.aedat"), Ramp(1000, 1, 50),
            new GestureSegment(0, 1000, 1010), new GestureSegment(10, 1040, 2000));
        WriteRecording(_folder.File("user09_led.aedat"), Ramp(0, 1, 5), new GestureSegment(1, 0, 5));
        File.WriteAllText(_folder.File("trials_to_train.txt"), "user02_led.aedat\nuser01_led.aedat\n\n");
        File.WriteAllText(_folder.File("trials_to_test.txt"), "user09_led.aedat\n");

        var train = new DvsGestureDataset(_folder.Root, "train");
        var test = new DvsGestureDataset(_folder.Root, "Test");

        Assert.Equal("DVS Gesture train", train.Name);
        Assert.Equal(11, train.ClassNames.Count);
        Assert.Equal("right arm counter clockwise", train.ClassNames[4]);
        Assert.Equal(3, train.Count);
        Assert.Equal(new[] { 0, 10, 4 }, Enumerable.Range(0, 3).Select(train.LabelOf));
        var first = train.Read(0);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), first.Events.TimesUs);
        Assert.Equal(0, first.Label);
        Assert.Contains("user01_led.aedat", first.Source);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), train.Read(1).Events.TimesUs);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => 10L * i), train.Read(2).Events.TimesUs);
        Assert.Equal(new ushort[] { 50, 51, 52, 53, 54, 55, 56, 57, 58, 59 }, train.Read(2).Events.X);
        Assert.Equal(1, test.Count);
        Assert.Equal(1, test.Read(0).Label);
    }

    [Fact]
    public void Without_trial_lists_every_recording_in_the_folder_is_used()
    {
        WriteRecording(_folder.File("b.aedat"), Ramp(0, 1, 4), new GestureSegment(2, 0, 4));
        WriteRecording(_folder.File("a.aedat"), Ramp(0, 1, 4), new GestureSegment(3, 0, 2));

        var all = new DvsGestureDataset(_folder.Root, "test");

        Assert.Equal(new[] { 3, 2 }, Enumerable.Range(0, all.Count).Select(all.LabelOf));
        Assert.Equal(2, all.Read(0).Events.Count);

        File.WriteAllText(_folder.File("trials_to_train.txt"), "a.aedat\n");
        var e = Assert.Throws<FileNotFoundException>(() => new DvsGestureDataset(_folder.Root, "test"));
        Assert.Contains("trials_to_test.txt", e.Message);
        Assert.Throws<ArgumentException>(() => new DvsGestureDataset(_folder.Root, "validation"));
    }

    [Fact]
    public void A_missing_labels_csv_is_named()
    {
        Aedat31File.Write(_folder.File("user03_led.aedat"), Ramp(0, 1, 4));

        var e = Assert.Throws<FileNotFoundException>(() => new DvsGestureDataset(_folder.Root));

        Assert.Contains(Path.Combine(_folder.Root, "user03_led_labels.csv"), e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => new DvsGestureDataset(Path.Combine(_folder.Root, "none")));
    }

    [Fact]
    public void Dataset_skips_unreadable_headers_only_when_asked()
    {
        WriteRecording(_folder.File("good.aedat"), Ramp(0, 1, 4), new GestureSegment(2, 0, 4));
        File.WriteAllBytes(_folder.File("bad.aedat"), First);
        DvsGestureLabels.Write(_folder.File("bad_labels.csv"), [new GestureSegment(1, 0, 4)]);

        var skipping = new DvsGestureDataset(_folder.Root, skipBad: true);
        var strict = new DvsGestureDataset(_folder.Root);

        Assert.Equal(1, skipping.Count);
        Assert.EndsWith("bad.aedat", Assert.Single(skipping.SkippedFiles).Path);
        Assert.Equal(2, strict.Count);
        Assert.Equal(0, Assert.Throws<EventFormatException>(() => strict.Read(0)).ByteOffset);
        Assert.Equal(4, strict.Read(1).Events.Count);
    }

    /// <summary>A stream that cannot seek, like a pipe.</summary>
    private sealed class OneWayStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}
