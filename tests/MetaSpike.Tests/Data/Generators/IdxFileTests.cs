using System.IO.Compression;
using MetaSpike.Data;
using MetaSpike.Data.Generators;

namespace MetaSpike.Tests.Data.Generators;

public sealed class IdxFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-idx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Two 2 x 3 images with pixels 1 .. 12: magic, count, rows, columns (big-endian), data.</summary>
    private static readonly byte[] Images =
    [
        0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ];

    /// <summary>Three labels 7, 0, 9.</summary>
    private static readonly byte[] Labels = [0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9];

    private string Write(string name, byte[] bytes, bool gzip = false)
    {
        var path = Path.Combine(_folder, name);
        if (gzip)
        {
            using var file = File.Create(path);
            using var zip = new GZipStream(file, CompressionLevel.Optimal);
            zip.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesAndLabels(bool gzip)
    {
        var images = IdxFile.ReadImages(Write("images" + (gzip ? ".gz" : ""), Images, gzip));
        Assert.Equal((2, 2, 3), (images.Count, images.Rows, images.Columns));
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (byte)i), images.Pixels);
        Assert.Equal(new byte[] { 7, 8, 9, 10, 11, 12 }, images.Image(1).ToArray());
        Assert.Equal(new byte[] { 7, 0, 9 }, IdxFile.ReadLabels(Write("labels" + (gzip ? ".gz" : ""), Labels, gzip)));
    }

    [Fact]
    public void TruncatedDataNamesFileAndOffset()
    {
        var path = Write("short", Images[..^2]);
        var e = Assert.Throws<EventFormatException>(() => IdxFile.ReadImages(path));
        Assert.Equal(26, e.ByteOffset); // 16 header bytes + 10 of 12 data bytes
        Assert.StartsWith($"{path}: at byte 26: ", e.Message);
        Assert.Contains("10 of 12", e.Message);
    }

    [Fact]
    public void TruncatedHeaderNamesOffset()
    {
        var e = Assert.Throws<EventFormatException>(() => IdxFile.ReadImages(Write("header", Images[..6])));
        Assert.Equal(6, e.ByteOffset);
        Assert.Contains("dimension 0", e.Message);
        Assert.Equal(2, Assert.Throws<EventFormatException>(() => IdxFile.ReadLabels(Write("magic", Labels[..2]))).ByteOffset);
    }

    [Fact]
    public void TruncatedGzipCountsDecompressedBytes()
    {
        var e = Assert.Throws<EventFormatException>(() => IdxFile.ReadImages(Write("short.gz", Images[..^3], gzip: true)));
        Assert.Equal(25, e.ByteOffset);
        Assert.Contains("decompressed", e.Message);
    }

    [Fact]
    public void WrongMagicAndTrailingBytesAreErrors()
    {
        var labels = Write("labels", Labels);
        var e = Assert.Throws<EventFormatException>(() => IdxFile.ReadImages(labels));
        Assert.Equal(0, e.ByteOffset);
        Assert.Contains("0x00000801", e.Message);
        var trailing = Assert.Throws<EventFormatException>(() => IdxFile.ReadImages(Write("long", [.. Images, 0, 0])));
        Assert.Equal(28, trailing.ByteOffset);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var path = Path.Combine(_folder, "nope-idx3-ubyte");
        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => IdxFile.ReadImages(path)).Message);
    }

    [Fact]
    public void FolderWithStandardNamesBecomesADataset()
    {
        Write("t10k-images-idx3-ubyte.gz", [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28, .. new byte[3 * 28 * 28]], gzip: true);
        Write("t10k-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 3, 4, 1, 9]);
        var test = SaccadeDataset.FromFolder(_folder, train: false, seed: 1, classNames: SaccadeDataset.FashionMnistClassNames);
        Assert.Equal(3, test.Count);
        Assert.Equal([4, 1, 9], Enumerable.Range(0, 3).Select(test.LabelOf));
        Assert.Equal("Ankle boot", test.ClassNames[test.LabelOf(2)]);
        Assert.Equal((34, 34), (test.Width, test.Height));
        var missing = Assert.Throws<FileNotFoundException>(() => SaccadeDataset.FromFolder(_folder, train: true, seed: 1));
        Assert.Contains(Path.Combine(_folder, "train-images-idx3-ubyte"), missing.Message);
        Assert.Throws<DirectoryNotFoundException>(() => SaccadeDataset.FromFolder(Path.Combine(_folder, "absent"), true, 1));
    }
}
