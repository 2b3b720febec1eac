using System.Buffers.Binary;
using System.Text;
using MetaSpike.Data;
using MetaSpike.Data.Readers;

namespace MetaSpike.Tests.Data.Readers;

public sealed class MatFileTests : IDisposable
{
    private static readonly double[] Ts = [10, 20, 1L << 40];
    private static readonly double[] X = [0, 239, 5];
    private static readonly double[] Y = [0, 179, 7];
    private static readonly double[] Pol = [1, 0, 1];
    private readonly TempFolder _folder = new("mat");

    public void Dispose() => _folder.Dispose();

    /// <summary>ts as double, x as uint16, y as int32, pol as logical: the classes a MATLAB script would save.</summary>
    private static MatWriter Typical(bool bigEndian = false, bool smallElements = true, bool compressTs = false) =>
        new MatWriter(bigEndian, smallElements)
            .Add("ts", MatClass.Double, MatDataType.Double, Ts, compress: compressTs)
            .Add("x", MatClass.UInt16, MatDataType.UInt16, X)
            .Add("y", MatClass.Int32, MatDataType.Int32, Y)
            .Add("pol", MatClass.UInt8, MatDataType.UInt8, Pol, logical: true);

    private static void AssertTypical(EventStream events)
    {
        Assert.Equal((240, 180), (events.Width, events.Height));
        Assert.Equal(new long[] { 10, 20, 1L << 40 }, events.TimesUs);
        Assert.Equal(new ushort[] { 0, 239, 5 }, events.X);
        Assert.Equal(new ushort[] { 0, 179, 7 }, events.Y);
        Assert.Equal(new byte[] { 1, 0, 1 }, events.Polarity);
    }

    [Fact]
    public void Reads_an_uncompressed_little_endian_file()
    {
        var path = _folder.File("a_0001.mat");
        File.WriteAllBytes(path, Typical().ToArray());

        AssertTypical(AslDvsFile.Read(path));

        var arrays = MatFile.Read(path);
        Assert.Equal(["ts", "x", "y", "pol"], arrays.Select(a => a.Name));
        Assert.Equal([MatClass.Double, MatClass.UInt16, MatClass.Int32, MatClass.UInt8], arrays.Select(a => a.Class));
        Assert.Equal([false, false, false, true], arrays.Select(a => a.IsLogical));
        Assert.All(arrays, a => Assert.Equal([3, 1], a.Dimensions));
        Assert.All(arrays, a => Assert.False(a.IsCompressed));
    }

    // Written by SciPy 1.10's scipy.io.savemat (an independent writer), oned_as="column": ts double, x uint16,
    // y int32, pol bool (uint8 + logical flag, its 3 bytes in a small data element).
    private const string SciPyPlain =
        "TUFUTEFCIDUuMCBNQVQtZmlsZSBQbGF0Zm9ybTogcG9zaXgsIENyZWF0ZWQgb246IFR1ZSBOb3YgMjQgMjE6MTQ6NDcgMjAyNgAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSU0OAAAASAAAAAYAAAAIAAAABgAAAAAA" +
        "AAAFAAAACAAAAAMAAAABAAAAAQACAHRzAAAJAAAAGAAAAAAAAAAAACRAAAAAAAAANEAAAAAAAABwQg4AAAA4AAAABgAAAAgAAAAL" +
        "AAAAAAAAAAUAAAAIAAAAAwAAAAEAAAABAAEAeAAAAAQAAAAGAAAAAADvAAUAAAAOAAAAQAAAAAYAAAAIAAAADAAAAAAAAAAFAAAA" +
        "CAAAAAMAAAABAAAAAQABAHkAAAAFAAAADAAAAAAAAACzAAAABwAAAAAAAAAOAAAAMAAAAAYAAAAIAAAACQIAAAAAAAAFAAAACAAA" +
        "AAMAAAABAAAAAQADAHBvbAACAAMAAQABAA==";

    // The same events with do_compression=True: ts and x double, y single, pol int8, each in an unpadded
    // miCOMPRESSED element (so the next one starts off an 8-byte boundary).
    private const string SciPyCompressed =
        "TUFUTEFCIDUuMCBNQVQtZmlsZSBQbGF0Zm9ybTogcG9zaXgsIENyZWF0ZWQgb246IFR1ZSBOb3YgMjQgMjE6MTQ6NDcgMjAyNgAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSU0PAAAAMQAAAHic42NgYPAAYjYg5oDS" +
        "IMAK5TMDMSMYMzGUFDMwcALZEgwwoOIAoU2gdIETAFNDAxEPAAAALgAAAHic42NgYPAAYjYg5oDSIMAK5TMDMSMYMzJUAGlOIJZg" +
        "QAMPch0gDBEHAEhMAvgPAAAALwAAAHic42NgYHAAYjYg5gBidgYIYIXymYGYEYwZGSqh8jwMMGDszMDwAKSdAQA29wKZDwAAACYA" +
        "AAB4nONjYGAwAGI2IOaAYhBghbKZgZgRjJkZCvJzwDQjEAIAITsBuw==";

    [Theory]
    [InlineData(SciPyPlain)]
    [InlineData(SciPyCompressed)]
    public void Reads_files_written_by_scipy(string base64)
    {
        AssertTypical(AslDvsFile.Parse(Convert.FromBase64String(base64), "scipy.mat"));
    }

    [Fact]
    public void Reads_a_big_endian_file()
    {
        var bytes = Typical(bigEndian: true, compressTs: true).ToArray();
        Assert.Equal("MI", Encoding.ASCII.GetString(bytes, 126, 2));
        Assert.Equal(new byte[] { 0x01, 0x00 }, bytes[124..126]);

        AssertTypical(AslDvsFile.Parse(bytes, "big.mat"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_variables_inside_miCOMPRESSED_elements(bool padded)
    {
        var writer = new MatWriter()
            .Add("ts", MatClass.Double, MatDataType.Double, Ts, compress: true, padCompressed: padded)
            .Add("x", MatClass.UInt16, MatDataType.UInt16, X, compress: true, padCompressed: padded)
            .Add("y", MatClass.Int32, MatDataType.Int32, Y)
            .Add("pol", MatClass.UInt8, MatDataType.UInt8, Pol, logical: true, compress: true, padCompressed: padded);
        var bytes = writer.ToArray();
        Assert.Equal(15u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(128)));

        AssertTypical(AslDvsFile.Parse(bytes, "zipped.mat"));
        var arrays = MatFile.Parse(bytes, "zipped.mat");
        Assert.Equal([true, true, false, true], arrays.Select(a => a.IsCompressed));
        Assert.Equal(128, arrays[0].ElementOffset);
    }

    [Fact]
    public void Small_data_elements_read_like_full_ones()
    {
        var small = new MatWriter(smallElements: true)
            .Add("ts", MatClass.Double, MatDataType.UInt32, [70000])
            .Add("x", MatClass.Double, MatDataType.UInt8, [12])
            .Add("y", MatClass.Double, MatDataType.UInt16, [170])
            .Add("pol", MatClass.Double, MatDataType.UInt8, [1]);
        var bytes = small.ToArray();
        // The name 'ts' and the real part of x each sit in a tag's last 4 bytes: byte count in the upper half-word.
        int x = small.DataOffsets["x"];
        Assert.Equal((1u << 16) | (uint)MatDataType.UInt8, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(x - 4)));
        Assert.Equal(12, bytes[x]);

        var events = AslDvsFile.Parse(bytes, "small.mat");
        Assert.Equal(70000, events.TimesUs.Single());
        Assert.Equal((12, 170, 1), (events.X.Single(), events.Y.Single(), events.Polarity.Single()));

        var full = new MatWriter(smallElements: false)
            .Add("ts", MatClass.Double, MatDataType.UInt32, [70000])
            .Add("x", MatClass.Double, MatDataType.UInt8, [12])
            .Add("y", MatClass.Double, MatDataType.UInt16, [170])
            .Add("pol", MatClass.Double, MatDataType.UInt8, [1]).ToArray();
        Assert.True(full.Length > bytes.Length);
        Assert.Equal(events.TimesUs, AslDvsFile.Parse(full, "full.mat").TimesUs);
        AssertTypical(AslDvsFile.Parse(Typical(smallElements: false).ToArray(), "full.mat"));
    }

    [Theory]
    [InlineData(MatDataType.Int8)]
    [InlineData(MatDataType.UInt8)]
    [InlineData(MatDataType.Int16)]
    [InlineData(MatDataType.UInt16)]
    [InlineData(MatDataType.Int32)]
    [InlineData(MatDataType.UInt32)]
    [InlineData(MatDataType.Single)]
    [InlineData(MatDataType.Int64)]
    [InlineData(MatDataType.UInt64)]
    public void A_double_array_stored_in_a_narrower_type_is_converted(MatDataType stored)
    {
        var bytes = new MatWriter()
            .Add("ts", MatClass.Double, stored, [1, 2, 100])
            .Add("x", MatClass.Double, stored, [0, 5, 100])
            .Add("y", MatClass.Double, stored, [3, 0, 90])
            .Add("pol", MatClass.Double, stored, [1, 0, 1]).ToArray();

        var events = AslDvsFile.Parse(bytes, "narrow.mat");

        Assert.Equal(new long[] { 1, 2, 100 }, events.TimesUs);
        Assert.Equal(new ushort[] { 0, 5, 100 }, events.X);
        Assert.Equal(new ushort[] { 3, 0, 90 }, events.Y);
        Assert.Equal(new byte[] { 1, 0, 1 }, events.Polarity);
        Assert.Equal(stored, MatFile.Parse(bytes, "narrow.mat")[0].StoredType);
    }

    public static TheoryData<MatClass, MatDataType> NumericClasses() => new()
    {
        { MatClass.Int8, MatDataType.Int8 }, { MatClass.UInt8, MatDataType.UInt8 },
        { MatClass.Int16, MatDataType.Int16 }, { MatClass.UInt16, MatDataType.UInt16 },
        { MatClass.Int32, MatDataType.Int32 }, { MatClass.UInt32, MatDataType.UInt32 },
        { MatClass.Int64, MatDataType.Int64 }, { MatClass.UInt64, MatDataType.UInt64 },
        { MatClass.Single, MatDataType.Single }, { MatClass.Double, MatDataType.Double },
    };

    [Theory]
    [MemberData(nameof(NumericClasses))]
    public void Every_numeric_class_is_accepted(MatClass cls, MatDataType stored)
    {
        var bytes = new MatWriter()
            .Add("ts", cls, stored, [1, 2, 100])
            .Add("x", cls, stored, [0, 5, 100])
            .Add("y", cls, stored, [3, 0, 90], compress: true)
            .Add("pol", cls, stored, [1, 0, 1]).ToArray();

        var events = AslDvsFile.Parse(bytes, "class.mat");

        Assert.Equal(new long[] { 1, 2, 100 }, events.TimesUs);
        Assert.Equal(new ushort[] { 3, 0, 90 }, events.Y);
        Assert.Equal(new byte[] { 1, 0, 1 }, events.Polarity);
    }

    [Fact]
    public void Polarity_minus_one_is_off_and_times_round_to_the_nearest_microsecond()
    {
        var bytes = new MatWriter()
            .Add("ts", MatClass.Single, MatDataType.Single, [0.4, 2.6])
            .Add("x", MatClass.Double, MatDataType.Double, [1, 2], dims: [1, 2])
            .Add("y", MatClass.Double, MatDataType.Double, [1, 2])
            .Add("pol", MatClass.Int8, MatDataType.Int8, [-1, 1]).ToArray();

        var events = AslDvsFile.Parse(bytes, "row.mat");

        Assert.Equal(new long[] { 0, 3 }, events.TimesUs);
        Assert.Equal(new byte[] { 0, 1 }, events.Polarity);
    }

    [Fact]
    public void Other_variables_and_classes_are_passed_over()
    {
        var bytes = new MatWriter()
            .AddRaw("note", (uint)MatClass.Char, [1, 2], MatDataType.UInt16, [(byte)'h', 0, (byte)'i', 0])
            .Add("ts", MatClass.Double, MatDataType.Double, Ts)
            .AddRaw("empty", (uint)MatClass.Cell, [0, 0], MatDataType.Int8, [])
            .Add("x", MatClass.UInt16, MatDataType.UInt16, X)
            .Add("y", MatClass.Int32, MatDataType.Int32, Y)
            .Add("extra", MatClass.Double, MatDataType.Double, [1, 2, 3, 4], dims: [2, 2])
            .Add("pol", MatClass.UInt8, MatDataType.UInt8, Pol, logical: true).ToArray();

        AssertTypical(AslDvsFile.Parse(bytes, "extra.mat"));
        var arrays = MatFile.Parse(bytes, "extra.mat");
        Assert.Equal(MatClass.Char, arrays[0].Class);
        Assert.Null(arrays[0].StoredType);
        Assert.Throws<InvalidOperationException>(() => arrays[0].ToDoubleArray());
    }

    [Fact]
    public void Empty_vectors_make_an_empty_stream()
    {
        var bytes = new MatWriter()
            .Add("ts", MatClass.Double, MatDataType.Double, [], dims: [0, 1])
            .Add("x", MatClass.Double, MatDataType.Double, [], dims: [0, 1])
            .Add("y", MatClass.Double, MatDataType.Double, [], dims: [0, 0])
            .Add("pol", MatClass.Double, MatDataType.Double, [], dims: [0, 1]).ToArray();

        Assert.Equal(0, AslDvsFile.Parse(bytes, "empty.mat").Count);
    }

    [Fact]
    public void A_missing_variable_is_named()
    {
        var bytes = new MatWriter()
            .Add("ts", MatClass.Double, MatDataType.Double, Ts)
            .Add("x", MatClass.Double, MatDataType.Double, X)
            .Add("y", MatClass.Double, MatDataType.Double, Y).ToArray();

        var e = Assert.Throws<EventFormatException>(() => AslDvsFile.Parse(bytes, "nopol.mat"));

        Assert.Contains("nopol.mat", e.Message);
        Assert.Contains("'pol' not found", e.Message);
        Assert.Contains("ts, x, y", e.Message);
    }

    [Fact]
    public void Truncation_names_the_byte_offset()
    {
        var writer = Typical();
        var bytes = writer.ToArray();

        var inData = Assert.Throws<EventFormatException>(() => AslDvsFile.Parse(bytes[..(writer.DataOffsets["x"] + 2)], "cut.mat"));
        Assert.Equal(writer.ElementOffsets["x"], inData.ByteOffset);
        Assert.Contains($"cut.mat: at byte {writer.ElementOffsets["x"]}: truncated", inData.Message);

        var inTag = Assert.Throws<EventFormatException>(() => AslDvsFile.Parse(bytes[..(writer.ElementOffsets["y"] + 5)], "cut.mat"));
        Assert.Equal(writer.ElementOffsets["y"], inTag.ByteOffset);

        var inHeader = Assert.Throws<EventFormatException>(() => AslDvsFile.Parse(bytes[..100], "cut.mat"));
        Assert.Equal(100, inHeader.ByteOffset);
        Assert.Contains("128-byte MAT header", inHeader.Message);
    }

    [Fact]
    public void A_corrupt_zlib_stream_names_its_element()
    {
        var writer = new MatWriter().Add("ts", MatClass.Double, MatDataType.Double, Ts)
            .Add("x", MatClass.Double, MatDataType.Double, X, compress: true);
        var bytes = writer.ToArray();
        int at = writer.ElementOffsets["x"];
        for (int i = at + 10; i < bytes.Length; i++) bytes[i] ^= 0x5A;

        var e = Assert.Throws<EventFormatException>(() => MatFile.Parse(bytes, "zip.mat"));

        Assert.Equal(at, e.ByteOffset);
        Assert.Contains("zip.mat", e.Message);
    }

    [Fact]
    public void Corrupt_contents_are_errors_with_offsets()
    {
        var outside = new MatWriter()
            .Add("ts", MatClass.Double, MatDataType.Double, Ts)
            .Add("x", MatClass.Double, MatDataType.Double, [0, 240, 1])
            .Add("y", MatClass.Double, MatDataType.Double, Y)
            .Add("pol", MatClass.Double, MatDataType.Double, Pol);
        var e = Assert.Throws<EventFormatException>(() => AslDvsFile.Parse(outside.ToArray(), "x.mat"));
        Assert.Equal(outside.DataOffsets["x"] + 8, e.ByteOffset);
        Assert.Contains("240", e.Message);

        var fraction = new MatWriter()
            .Add("ts", MatClass.Double, MatDataType.Double, Ts)
            .Add("x", MatClass.Double, MatDataType.Double, X)
            .Add("y", MatClass.Double, MatDataType.Double, [0, 1.5, 1], compress: true)
            .Add("pol", MatClass.Double, MatDataType.Double, Pol);
        var f = Assert.Throws<EventFormatException>(() => AslDvsFile.Parse(fraction.ToArray(), "y.mat"));
        Assert.Equal(fraction.ElementOffsets["y"], f.ByteOffset);
        Assert.Contains("element 1", f.Message);

        var lengths = new MatWriter()
            .Add("ts", MatClass.Double, MatDataType.Double, Ts)
            .Add("x", MatClass.Double, MatDataType.Double, X)
            .Add("y", MatClass.Double, MatDataType.Double, Y)
            .Add("pol", MatClass.Double, MatDataType.Double, [1, 0]);
        Assert.Contains("'pol' has 2 values but ts has 3", Assert.Throws<EventFormatException>(() => AslDvsFile.Parse(lengths.ToArray(), "p.mat")).Message);

        var matrix = new MatWriter()
            .Add("ts", MatClass.Double, MatDataType.Double, [1, 2, 3, 4], dims: [2, 2])
            .Add("x", MatClass.Double, MatDataType.Double, X);
        Assert.Contains("2 x 2", Assert.Throws<EventFormatException>(() => AslDvsFile.Parse(matrix.ToArray(), "m.mat")).Message);

        var miscounted = new MatWriter().AddRaw("ts", (uint)MatClass.Double, [3, 1], MatDataType.Double, new byte[16]);
        var m = Assert.Throws<EventFormatException>(() => MatFile.Parse(miscounted.ToArray(), "n.mat"));
        Assert.Equal(miscounted.DataOffsets["ts"] - 8, m.ByteOffset);

        var huge = new MatWriter().Add("t", MatClass.UInt64, MatDataType.UInt64, [0]).ToArray();
        huge.AsSpan(huge.Length - 8).Fill(0xFF);
        Assert.Throws<EventFormatException>(() => MatFile.Parse(huge, "u.mat")[0].ToInt64Array());
    }

    [Fact]
    public void Headers_other_than_MAT_v5_are_refused()
    {
        byte[] v73 = [.. MatWriter.Header(bigEndian: false, version: 0x0200), .. new byte[64]];
        Assert.Contains("v7.3", Assert.Throws<EventFormatException>(() => MatFile.Parse(v73, "v73.mat")).Message);

        byte[] v4 = new byte[256];
        Assert.Contains("not a MAT v5 file", Assert.Throws<EventFormatException>(() => MatFile.Parse(v4, "v4.mat")).Message);
        Assert.NotNull(MatFile.HeaderProblem(v4));
        Assert.Null(MatFile.HeaderProblem(MatWriter.Header(bigEndian: true)));
    }

    [Fact]
    public void Dataset_indexes_letter_folders_without_j()
    {
        foreach (var (letter, name) in new[] { ("b", "b_0002.mat"), ("a", "a_0001.mat"), ("k", "k_0001.mat"), ("b", "b_0001.mat"), ("j", "j_0001.mat"), ("misc", "m.mat") })
            File.WriteAllBytes(_folder.File(letter, name), Typical().ToArray());
        File.WriteAllBytes(_folder.File("y", "y_0001.mat"), new byte[50]);

        var skipping = new AslDvsDataset(_folder.Root, skipBad: true);
        var strict = new AslDvsDataset(_folder.Root);

        Assert.Equal(24, AslDvsDataset.Letters.Count);
        Assert.DoesNotContain("j", AslDvsDataset.Letters);
        Assert.Equal("y", AslDvsDataset.Letters[23]);
        Assert.Equal((240, 180), (strict.Width, strict.Height));
        Assert.Equal(4, skipping.Count);
        Assert.Equal(new[] { 0, 1, 1, 9 }, Enumerable.Range(0, 4).Select(skipping.LabelOf));
        Assert.EndsWith("b_0001.mat", skipping.PathOf(1));
        AssertTypical(skipping.Read(3).Events);
        Assert.Equal(9, skipping.Read(3).Label);
        var (path, reason) = Assert.Single(skipping.SkippedFiles);
        Assert.EndsWith("y_0001.mat", path);
        Assert.Contains("truncated", reason);

        Assert.Equal(5, strict.Count);
        Assert.Equal(50, Assert.Throws<EventFormatException>(() => strict.Read(4)).ByteOffset);
        Assert.Throws<DirectoryNotFoundException>(() => new AslDvsDataset(Path.Combine(_folder.Root, "gone")));
        Assert.Throws<DirectoryNotFoundException>(() => new AslDvsDataset(Path.Combine(_folder.Root, "misc")));
    }
}
