using System.Buffers.Binary;
using System.IO.Compression;
using MetaSpike.Data;
using MetaSpike.Data.Generators;
using MetaSpike.Encoders;
using static TorchSharp.torch;

namespace MetaSpike.Tests.MetaLearning;

/// <summary>The pieces of the Fashion-MNIST scenario: the generated image set, latency coding, IDX folders.</summary>
public sealed class ImageClassificationDataTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-images-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Writes images and labels as an MNIST-layout pair (train- or t10k-), gzip-compressed or not.</summary>
    internal static void WriteIdxFolder(string folder, string prefix, IdxImages images, byte[] labels, bool gzip)
    {
        var imageBytes = new byte[16 + images.Pixels.Length];
        BinaryPrimitives.WriteInt32BigEndian(imageBytes, IdxFile.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(imageBytes.AsSpan(4), images.Count);
        BinaryPrimitives.WriteInt32BigEndian(imageBytes.AsSpan(8), images.Rows);
        BinaryPrimitives.WriteInt32BigEndian(imageBytes.AsSpan(12), images.Columns);
        images.Pixels.CopyTo(imageBytes, 16);
        var labelBytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(labelBytes, IdxFile.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(labelBytes.AsSpan(4), labels.Length);
        labels.CopyTo(labelBytes, 8);
        foreach (var (name, bytes) in new[] { ($"{prefix}-images-idx3-ubyte", imageBytes), ($"{prefix}-labels-idx1-ubyte", labelBytes) })
        {
            var path = Path.Combine(folder, name + (gzip ? ".gz" : ""));
            using var file = File.Create(path);
            if (gzip)
            {
                using var zip = new GZipStream(file, CompressionLevel.Fastest);
                zip.Write(bytes);
            }
            else
            {
                file.Write(bytes);
            }
        }
    }

    [Fact]
    public void Shape_images_are_deterministic_balanced_and_distinguishable()
    {
        var (images, labels) = ShapeImages.Generate(40, seed: 3);
        Assert.Equal((40, 28, 28), (images.Count, images.Rows, images.Columns));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (byte)(i % 10)), labels);
        Assert.Equal(images.Pixels, ShapeImages.Generate(40, seed: 3).Images.Pixels);
        Assert.NotEqual(images.Pixels, ShapeImages.Generate(40, seed: 4).Images.Pixels);
        // Image i does not depend on how many were generated.
        Assert.Equal(images.Image(7).ToArray(), ShapeImages.Generate(8, seed: 3).Images.Image(7).ToArray());

        // Noise-free images: a shape is drawn (bright pixels), and a filled disc covers far more than a thin bar.
        var (clean, _) = ShapeImages.Generate(10, seed: 5, noise: 0);
        double Ink(int i) => clean.Image(i).ToArray().Sum(b => b / 255.0);
        Assert.All(Enumerable.Range(0, 10), i => Assert.True(clean.Image(i).ToArray().Max() > 120, $"class {i} has no bright pixel"));
        Assert.True(Ink(6) > 2 * Ink(0), $"disc ink {Ink(6):F1}, bar ink {Ink(0):F1}");
        // Horizontal and vertical bars differ in where their ink lies: rows vs columns.
        static double Spread(IdxImages set, int i, bool rows)
        {
            var image = set.Image(i).ToArray();
            var profile = Enumerable.Range(0, 28).Select(a => Enumerable.Range(0, 28).Sum(b => (double)image[rows ? a * 28 + b : b * 28 + a])).ToArray();
            return profile.Count(v => v > 0.1 * profile.Max());
        }
        Assert.True(Spread(clean, 0, rows: true) < Spread(clean, 0, rows: false), "a horizontal bar fills fewer rows than columns");
        Assert.True(Spread(clean, 1, rows: true) > Spread(clean, 1, rows: false), "a vertical bar fills more rows than columns");

        Assert.Throws<ArgumentException>(() => ShapeImages.Generate(-1, 0));
        Assert.Throws<ArgumentException>(() => ShapeImages.Generate(1, 0, size: 8));
        Assert.Throws<ArgumentException>(() => ShapeImages.Generate(1, 0, noise: double.NaN));
    }

    [Fact]
    public void Latency_coding_fires_once_brighter_earlier()
    {
        var intensities = tensor(new[] { 1.0f, 0.5f, 0.01f, 0.0f, 0.96f });
        var spikes = LatencyEncoder.Encode(intensities, 10);
        Assert.Equal(new long[] { 10, 5 }, spikes.shape);
        // t = floor((1 - I) * T): 0, 5, 9, never, 0 (0.04 * 10 = 0.4).
        var expected = new int[] { 0, 5, 9, -1, 0 };
        for (int i = 0; i < 5; i++)
        {
            var train = TensorAssert.Values(spikes[.., i]);
            Assert.Equal(expected[i] < 0 ? 0 : 1, train.Sum());
            if (expected[i] >= 0) Assert.Equal(1, train[expected[i]]);
        }
        Assert.Equal(new long[] { 3, 2, 2 }, LatencyEncoder.Encode(zeros(2, 2), 3).shape);
        Assert.Throws<ArgumentException>(() => LatencyEncoder.Encode(tensor(new[] { 1.5f }), 10));
        Assert.Throws<ArgumentException>(() => LatencyEncoder.Encode(tensor(new[] { 0.5f }), 0));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_idx_folder_reads_as_images_and_labels(bool gzip)
    {
        var (images, labels) = ShapeImages.Generate(12, seed: 1);
        WriteIdxFolder(_folder, "t10k", images, labels, gzip);
        var (read, readLabels) = IdxFile.ReadFolder(_folder, train: false);
        Assert.Equal(images.Pixels, read.Pixels);
        Assert.Equal(labels, readLabels);
        Assert.Throws<FileNotFoundException>(() => IdxFile.ReadFolder(_folder, train: true));
        Assert.Throws<DirectoryNotFoundException>(() => IdxFile.ReadFolder(Path.Combine(_folder, "absent"), train: true));

        WriteIdxFolder(_folder, "t10k", images, labels[..11], gzip);
        Assert.Contains("12 images but 11 labels", Assert.Throws<EventFormatException>(() => IdxFile.ReadFolder(_folder, train: false)).Message);
    }
}
