using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using MetaSpike.IO;
using TorchSharp;

namespace MetaSpike.Data.Cache;

/// <summary>
/// An on-disk cache of computed float arrays (e.g. binned [T, 2, H, W] frames), one file per <see cref="CacheKey"/>.
/// Entries are written atomically and carry a header and a SHA-256 checksum that is verified on every read: a
/// missing, truncated, corrupt or mismatched entry is a miss (recomputed and rewritten), never returned.
/// Safe to use from several threads and processes (the last writer of an entry wins; all writers write the same).
/// </summary>
/// <remarks>
/// Entry layout (little-endian): "MSFC", format version (int32), SHA-256 of the key text (32 bytes), key text length
/// (int32) and UTF-8 key text, rank (int32), dimensions (int64 each), payload length in bytes (int64), the float32
/// payload, then SHA-256 of everything before it (32 bytes).
/// </remarks>
public sealed class FrameCache
{
    /// <summary>The entry format version; entries of another version are misses.</summary>
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "MSFC"u8;
    private const int ChecksumLength = 32;
    private long _hits, _misses;

    /// <summary>Opens (creating when needed) the cache folder.</summary>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty.</exception>
    /// <exception cref="IOException">The folder cannot be created (e.g. a file has its name).</exception>
    public FrameCache(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = Path.GetFullPath(folder);
        if (File.Exists(Folder)) throw new IOException($"cannot use '{folder}' as a cache folder: it is a file.");
        Directory.CreateDirectory(Folder);
    }

    /// <summary>The cache folder (full path).</summary>
    public string Folder { get; }

    /// <summary>Lookups answered from disk so far.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that had to compute so far.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The entry file of <paramref name="key"/>.</summary>
    public string PathOf(CacheKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Path.Combine(Folder, key.Hash + ".frames");
    }

    /// <summary>
    /// Returns the cached values of <paramref name="key"/> when a valid entry of that key and shape exists;
    /// otherwise calls <paramref name="compute"/>, stores its result and returns it.
    /// </summary>
    /// <param name="key">What the values are computed from.</param>
    /// <param name="compute">Computes the values, row-major, as many as the shape holds.</param>
    /// <param name="shape">The array's shape (e.g. [T, 2, H, W]), as <c>torch.tensor(values, shape)</c> takes it.</param>
    /// <exception cref="ArgumentException">A negative dimension, a shape over 2^31 - 1 elements, or <paramref name="compute"/> returned another count.</exception>
    public float[] GetOrCreate(CacheKey key, Func<float[]> compute, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(compute);
        long count = ElementCount(shape);
        var path = PathOf(key);
        if (TryRead(path, key, shape) is { } cached)
        {
            Interlocked.Increment(ref _hits);
            return cached;
        }
        Interlocked.Increment(ref _misses);
        var values = compute() ?? throw new ArgumentException("compute returned null.", nameof(compute));
        if (values.Length != count)
            throw new ArgumentException($"compute returned {values.Length} values; the shape [{string.Join(", ", shape)}] holds {count}.", nameof(compute));
        AtomicFile.WriteAllBytes(path, Encode(key, shape, values));
        return values;
    }

    /// <summary><see cref="GetOrCreate"/> as a tensor of the given shape (the caller disposes it).</summary>
    public torch.Tensor GetOrCreateTensor(CacheKey key, Func<float[]> compute, long[] shape) =>
        torch.tensor(GetOrCreate(key, compute, shape), shape);

    private static long ElementCount(long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"dimensions must not be negative, got [{string.Join(", ", shape)}].", nameof(shape));
            count = d == 0 ? 0 : count > Array.MaxLength / d ? long.MaxValue : count * d;
        }
        if (count > Array.MaxLength) throw new ArgumentException($"the shape [{string.Join(", ", shape)}] holds more values than an array can.", nameof(shape));
        return count;
    }

    private static byte[] Encode(CacheKey key, long[] shape, float[] values)
    {
        var text = Encoding.UTF8.GetBytes(key.Text);
        int header = 4 + 4 + 32 + 4 + text.Length + 4 + 8 * shape.Length + 8;
        var bytes = new byte[header + 4L * values.Length + ChecksumLength];
        var w = new SpanWriter(bytes);
        w.Bytes(Magic);
        w.Int32(FormatVersion);
        w.Bytes(SHA256.HashData(text));
        w.Int32(text.Length);
        w.Bytes(text);
        w.Int32(shape.Length);
        foreach (var d in shape) w.Int64(d);
        w.Int64(4L * values.Length);
        foreach (var v in values) w.Single(v);
        SHA256.HashData(bytes.AsSpan(0, w.Position), bytes.AsSpan(w.Position));
        return bytes;
    }

    /// <summary>The entry's values, or null when it is absent or not a valid entry of this key and shape.</summary>
    private static float[]? TryRead(string path, CacheKey key, long[] shape)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        if (bytes.Length < Magic.Length + ChecksumLength) return null;
        var body = bytes.AsSpan(0, bytes.Length - ChecksumLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(body.Length))) return null;
        var r = new SpanReader(body);
        var text = Encoding.UTF8.GetBytes(key.Text);
        if (!r.Bytes(4).SequenceEqual(Magic) || r.Int32() != FormatVersion) return null;
        if (!r.Bytes(32).SequenceEqual(SHA256.HashData(text))) return null;
        if (r.Int32() != text.Length || !r.Bytes(text.Length).SequenceEqual(text)) return null;
        if (r.Int32() != shape.Length) return null;
        foreach (var d in shape)
            if (r.Int64() != d) return null;
        long payload = r.Int64();
        if (r.Failed || payload != 4 * ElementCount(shape) || payload != body.Length - r.Position) return null;
        var values = new float[payload / 4];
        for (int i = 0; i < values.Length; i++) values[i] = r.Single();
        return values;
    }

    private ref struct SpanWriter(Span<byte> span)
    {
        private readonly Span<byte> _span = span;

        public int Position { get; private set; }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_span[Position..]);
            Position += bytes.Length;
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_span[Position..], value);
            Position += 4;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_span[Position..], value);
            Position += 8;
        }

        public void Single(float value)
        {
            BinaryPrimitives.WriteSingleLittleEndian(_span[Position..], value);
            Position += 4;
        }
    }

    /// <summary>Reads little-endian values; reading past the end sets <see cref="Failed"/> and yields zeros.</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> span)
    {
        private readonly ReadOnlySpan<byte> _span = span;

        public int Position { get; private set; }

        public bool Failed { get; private set; }

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || count > _span.Length - Position)
            {
                Failed = true;
                Position = _span.Length;
                return default;
            }
            var bytes = _span.Slice(Position, count);
            Position += count;
            return bytes;
        }

        public int Int32() => Bytes(4) is { Length: 4 } b ? BinaryPrimitives.ReadInt32LittleEndian(b) : 0;

        public long Int64() => Bytes(8) is { Length: 8 } b ? BinaryPrimitives.ReadInt64LittleEndian(b) : 0;

        public float Single() => Bytes(4) is { Length: 4 } b ? BinaryPrimitives.ReadSingleLittleEndian(b) : 0;
    }
}
