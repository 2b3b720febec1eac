using MetaSpike.Data;
using MetaSpike.Data.Readers;

namespace MetaSpike.Tests.Data.Readers;

public sealed class NMnistTests : IDisposable
{
    private readonly TempFolder _folder = new("nmnist");

    public void Dispose() => _folder.Dispose();

    /// <summary>One 5-byte record: x, y, polarity in bit 7 of byte 2, 23-bit timestamp.</summary>
    private static byte[] Record(int x, int y, int p, int ts) =>
        [(byte)x, (byte)y, (byte)(p << 7 | (ts >> 16) & 0x7F), (byte)(ts >> 8), (byte)ts];

    private static byte[] Overflow(int x = 0) => Record(x, 240, 0, 0);

    private static EventStream Events(long[] t, int[] x, int[] y, int[] p) =>
        new(t, x.Select(v => (ushort)v).ToArray(), y.Select(v => (ushort)v).ToArray(), p.Select(v => (byte)v).ToArray(), 34, 34);

    [Fact]
    public void Parses_pixels_polarity_bit_and_23_bit_timestamps()
    {
        byte[] bytes = [.. Record(1, 2, 1, 0x12_3456), .. Record(33, 0, 0, 5), .. Record(0, 33, 1, 0x7F_FFFF)];
        Assert.Equal(new byte[] { 1, 2, 0x92, 0x34, 0x56 }, bytes[..5]);

        var events = NMnistFile.Parse(bytes, "hand.bin");

        Assert.Equal((34, 34), (events.Width, events.Height));
        Assert.Equal(new long[] { 0x12_3456, 5, 0x7F_FFFF }, events.TimesUs);
        Assert.Equal(new ushort[] { 1, 33, 0 }, events.X);
        Assert.Equal(new ushort[] { 2, 0, 33 }, events.Y);
        Assert.Equal(new byte[] { 1, 0, 1 }, events.Polarity);
    }

    [Fact]
    public void Overflow_markers_add_2_pow_23_us_to_the_events_after_them_and_carry_no_pixel()
    {
        byte[] bytes =
        [
            .. Record(3, 4, 1, 0x7F_FFF0),
            .. Overflow(x: 200),                   // the marker's x is not a pixel: no range check
            .. Record(5, 6, 0, 0x10),
            .. Overflow(), .. Overflow(),
            .. Record(7, 8, 1, 1),
        ];

        var events = NMnistFile.Parse(bytes, "overflow.bin");

        Assert.Equal(new long[] { 0x7F_FFF0, (1L << 23) + 0x10, 3 * (1L << 23) + 1 }, events.TimesUs);
        Assert.Equal(new ushort[] { 3, 5, 7 }, events.X);
        Assert.Equal(new byte[] { 1, 0, 1 }, events.Polarity);
    }

    [Fact]
    public void Encode_inserts_overflow_markers_and_round_trips()
    {
        int n = 500;
        var events = EventAssert.RandomStream(3, n, 5L << 23, 34, 34);
        var path = _folder.File("round.bin");

        NMnistFile.Write(path, events);
        var bytes = File.ReadAllBytes(path);
        var back = NMnistFile.Read(path);

        long markers = events.TimesUs[^1] >> 23;
        Assert.Equal((n + markers) * 5, bytes.Length);
        Assert.Equal(markers, Enumerable.Range(0, bytes.Length / 5).Count(i => bytes[5 * i + 1] == 240));
        EventAssert.Equal(events, back);
    }

    [Fact]
    public void Encode_rejects_what_the_format_cannot_hold()
    {
        Assert.Throws<ArgumentException>(() => NMnistFile.Encode(Events([1L << 23, 5], [0, 0], [0, 0], [0, 0])));
        Assert.Throws<ArgumentException>(() => NMnistFile.Encode(Events([0], [34], [0], [0])));
        Assert.Throws<ArgumentException>(() => NMnistFile.Encode(Events([0], [0], [0], [2])));
        Assert.Throws<ArgumentException>(() => NMnistFile.Encode(Events([-1], [0], [0], [0])));
        // Going back within one 2^23 µs period is fine (N-MNIST times are not always sorted).
        Assert.Equal(10, NMnistFile.Encode(Events([9, 5], [0, 0], [0, 0], [0, 0])).Length);
    }

    [Fact]
    public void A_length_that_is_not_a_multiple_of_5_is_truncated_at_the_incomplete_event()
    {
        byte[] bytes = [.. Record(1, 1, 0, 1), .. Record(2, 2, 1, 2), 7, 7];

        var e = Assert.Throws<EventFormatException>(() => NMnistFile.Parse(bytes, "short.bin"));

        Assert.Equal(10, e.ByteOffset);
        Assert.Equal("short.bin", e.Path);
        Assert.Contains("short.bin: at byte 10:", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData(34, 0)]
    [InlineData(0, 34)]
    [InlineData(255, 239)]
    public void A_pixel_outside_34_x_34_is_corrupt_at_its_byte_offset(int x, int y)
    {
        byte[] bytes = [.. Record(1, 1, 0, 1), .. Overflow(), .. Record(x, y, 1, 2), .. Record(3, 3, 0, 3)];

        var e = Assert.Throws<EventFormatException>(() => NMnistFile.Parse(bytes, "bad.bin"));

        Assert.Equal(10, e.ByteOffset);
        Assert.Contains("bad.bin: at byte 10:", e.Message);
        Assert.Contains($"({x}, {y})", e.Message);
    }

    [Fact]
    public void An_empty_file_has_no_events()
    {
        Assert.Equal(0, NMnistFile.Parse([], "empty.bin").Count);
        Assert.Equal(0, NMnistFile.Parse(Overflow(), "marker-only.bin").Count);
    }

    private void WriteSample(string split, int digit, string id, params long[] times) =>
        NMnistFile.Write(_folder.File(split, digit.ToString(), id), Events(times, [.. times.Select(_ => 1)], [.. times.Select(_ => 2)], [.. times.Select(_ => 1)]));

    [Fact]
    public void Dataset_indexes_digit_folders_in_order_and_reads_one_file()
    {
        WriteSample("Train", 3, "00002.bin", 10, 20);
        WriteSample("Train", 3, "00001.bin", 30);
        WriteSample("Train", 0, "00009.bin", 40, 50, 60);
        WriteSample("Test", 7, "00001.bin", 70);
        File.WriteAllText(_folder.File("Train", "3", "readme.txt"), "not a sample");
        File.WriteAllText(_folder.File("Train", "extra", "00001.bin"), "not a digit folder");

        var train = new NMnistDataset(_folder.Root, "Train");
        var test = new NMnistDataset(_folder.Root, "test");

        Assert.Equal("N-MNIST Train", train.Name);
        Assert.Equal((34, 34, 10), (train.Width, train.Height, train.ClassNames.Count));
        Assert.Equal(3, train.Count);
        Assert.Equal(new[] { 0, 3, 3 }, Enumerable.Range(0, 3).Select(train.LabelOf));
        Assert.EndsWith(Path.Combine("3", "00001.bin"), train.PathOf(1));
        var sample = train.Read(0);
        Assert.Equal(new long[] { 40, 50, 60 }, sample.Events.TimesUs);
        Assert.Equal(0, sample.Label);
        Assert.Equal(train.PathOf(0), sample.Source);
        Assert.Equal(30, train.Read(1).Events.TimesUs.Single());
        Assert.Equal(1, test.Count);
        Assert.Equal(7, test.Read(0).Label);
        Assert.Throws<ArgumentOutOfRangeException>(() => train.Read(3));
    }

    [Fact]
    public void Dataset_skips_truncated_files_only_when_asked_and_reads_throw_otherwise()
    {
        WriteSample("Train", 1, "good.bin", 1, 2);
        File.WriteAllBytes(_folder.File("Train", "1", "short.bin"), [.. Record(1, 1, 0, 1), 9, 9, 9]);
        File.WriteAllBytes(_folder.File("Train", "2", "badpixel.bin"), Record(40, 1, 0, 1));

        var skipping = new NMnistDataset(_folder.Root, skipBad: true);
        var strict = new NMnistDataset(_folder.Root);

        Assert.Equal(2, skipping.Count);
        var (path, reason) = Assert.Single(skipping.SkippedFiles);
        Assert.EndsWith("short.bin", path);
        Assert.Contains("byte 5", reason);
        // A bad pixel needs the events read: it stays in the index and throws when read.
        Assert.Throws<EventFormatException>(() => skipping.Read(1));

        Assert.Equal(3, strict.Count);
        Assert.Empty(strict.SkippedFiles);
        var e = Assert.Throws<EventFormatException>(() => strict.Read(1));
        Assert.EndsWith("short.bin", e.Path);
        Assert.Equal(5, e.ByteOffset);
    }

    [Fact]
    public void Missing_folders_are_named()
    {
        var missing = Path.Combine(_folder.Root, "nowhere");
        var e = Assert.Throws<DirectoryNotFoundException>(() => new NMnistDataset(missing));
        Assert.Contains(missing, e.Message);

        Directory.CreateDirectory(Path.Combine(_folder.Root, "Train", "4"));
        var split = Assert.Throws<DirectoryNotFoundException>(() => new NMnistDataset(_folder.Root, "Test"));
        Assert.Contains("Test", split.Message);
        Assert.Contains(_folder.Root, split.Message);

        Directory.CreateDirectory(Path.Combine(_folder.Root, "Test", "misc"));
        Assert.Throws<DirectoryNotFoundException>(() => new NMnistDataset(_folder.Root, "Test"));
        Assert.Equal(0, new NMnistDataset(_folder.Root, "Train").Count);
    }
}
