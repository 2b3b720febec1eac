using System.Buffers.Binary;
using System.IO.Compression;

namespace MetaSpike.Data.Generators;

/// <summary>A stack of 8-bit grey images (MNIST layout: row-major, one image after another).</summary>
public sealed class IdxImages
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied), count x rows x columns bytes.</summary>
    /// <exception cref="ArgumentException">A size below 1 (count: below 0) or a pixel array of another length.</exception>
    public IdxImages(int count, int rows, int columns, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (count < 0) throw new ArgumentException($"the image count must not be negative, got {count}.", nameof(count));
        if (rows < 1) throw new ArgumentException($"images need at least 1 row, got {rows}.", nameof(rows));
        if (columns < 1) throw new ArgumentException($"images need at least 1 column, got {columns}.", nameof(columns));
        if (pixels.LongLength != (long)count * rows * columns)
            throw new ArgumentException($"{count} images of {rows} x {columns} need {(long)count * rows * columns} bytes, got {pixels.LongLength}.", nameof(pixels));
        (Count, Rows, Columns, Pixels) = (count, rows, columns, pixels);
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Image height.</summary>
    public int Rows { get; }

    /// <summary>Image width.</summary>
    public int Columns { get; }

    /// <summary>All pixels, image after image, each row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such image.</exception>
    public ReadOnlySpan<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * Rows * Columns, Rows * Columns);
    }

    /// <summary>Stacks in-memory images of equal size ([row, column] arrays).</summary>
    /// <exception cref="ArgumentException">No images, or images of different sizes.</exception>
    public static IdxImages FromArrays(IReadOnlyList<byte[,]> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("no images given.", nameof(images));
        int rows = images[0].GetLength(0), columns = images[0].GetLength(1);
        var pixels = new byte[images.Count * rows * columns];
        for (int k = 0; k < images.Count; k++)
        {
            var image = images[k];
            if (image.GetLength(0) != rows || image.GetLength(1) != columns)
                throw new ArgumentException($"image {k} is {image.GetLength(0)} x {image.GetLength(1)}, image 0 is {rows} x {columns}.", nameof(images));
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    pixels[(k * rows + r) * columns + c] = image[r, c];
        }
        return new IdxImages(images.Count, rows, columns, pixels);
    }
}

/// <summary>
/// Reads IDX files (MNIST, Fashion-MNIST): a big-endian magic (0x00000803 for images, 0x00000801 for labels:
/// two zero bytes, type 0x08 = unsigned byte, the number of dimensions), big-endian int32 dimensions, then the
/// bytes. Gzip-compressed files (.gz) are recognised by their content and decompressed in memory; their byte
/// offsets in errors count decompressed bytes.
/// </summary>
public static class IdxFile
{
    /// <summary>The magic number of an image file (unsigned bytes, 3 dimensions).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The magic number of a label file (unsigned bytes, 1 dimension).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an image file (count x rows x columns).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="EventFormatException">A wrong magic, a truncated header or data, or trailing bytes; names the byte offset.</exception>
    public static IdxImages ReadImages(string path)
    {
        var (dims, data) = Read(path, ImagesMagic);
        return new IdxImages(dims[0], dims[1], dims[2], data);
    }

    /// <summary>
    /// Reads the images and labels of an MNIST-layout folder: train-images-idx3-ubyte and train-labels-idx1-ubyte
    /// (or t10k-… for the test set), each optionally gzip-compressed with a .gz suffix.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; names the paths looked for.</exception>
    /// <exception cref="EventFormatException">A file is truncated or corrupt, or the counts of images and labels differ.</exception>
    public static (IdxImages Images, byte[] Labels) ReadFolder(string folder, bool train)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"cannot read '{folder}': the folder does not exist.");
        string prefix = train ? "train" : "t10k";
        var imagesPath = Find(folder, $"{prefix}-images-idx3-ubyte");
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(Find(folder, $"{prefix}-labels-idx1-ubyte"));
        if (labels.Length != images.Count)
            throw new EventFormatException(imagesPath, $"{images.Count} images but {labels.Length} labels in '{folder}'.");
        return (images, labels);
    }

    /// <summary>Reads a label file (one byte per sample).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="EventFormatException">A wrong magic, a truncated header or data, or trailing bytes; names the byte offset.</exception>
    public static byte[] ReadLabels(string path) => Read(path, LabelsMagic).Data;

    private static (int[] Dims, byte[] Data) Read(string path, int magic)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"cannot read '{path}': the file does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        bool gzip = bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
        if (gzip) bytes = Gunzip(path, bytes);
        string where = gzip ? " of the decompressed data" : "";
        if (bytes.Length < 4) throw new EventFormatException(path, $"the file ends inside the 4-byte magic number{where}.", bytes.Length);
        int found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic)
            throw new EventFormatException(path, $"the magic number is 0x{found:X8}, expected 0x{magic:X8} ({(magic == ImagesMagic ? "IDX unsigned-byte images" : "IDX unsigned-byte labels")}).", 0);
        var dims = new int[magic & 0xff];
        long size = 1;
        for (int k = 0; k < dims.Length; k++)
        {
            int offset = 4 + 4 * k;
            if (bytes.Length < offset + 4) throw new EventFormatException(path, $"the file ends inside dimension {k} of the header{where}.", bytes.Length);
            dims[k] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            if (dims[k] < 0 || (k > 0 && dims[k] == 0)) throw new EventFormatException(path, $"dimension {k} is {dims[k]}.", offset);
            size *= dims[k];
            if (size > Array.MaxLength) throw new EventFormatException(path, $"the dimensions [{string.Join(", ", dims[..(k + 1)])}] hold more bytes than an array can.", offset);
        }
        int header = 4 + 4 * dims.Length;
        if (bytes.Length - header < size)
            throw new EventFormatException(path, $"the file is truncated: the data ends after {bytes.Length - header} of {size} bytes{where}.", bytes.Length);
        if (bytes.Length - header > size)
            throw new EventFormatException(path, $"{bytes.Length - header - size} unexpected bytes after the data{where}.", header + size);
        return (dims, bytes[header..]);
    }

    private static string Find(string folder, string name)
    {
        var plain = Path.Combine(folder, name);
        if (File.Exists(plain)) return plain;
        var gz = plain + ".gz";
        if (File.Exists(gz)) return gz;
        throw new FileNotFoundException($"cannot find '{plain}' or '{gz}'.", plain);
    }

    private static byte[] Gunzip(string path, byte[] compressed)
    {
        try
        {
            using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new EventFormatException(path, $"corrupt gzip data: {e.Message}", inner: e);
        }
    }
}
