using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MetaSpike.Training;

/// <summary>
/// The checkpoint container: magic, format version, the sections in a fixed order (each a 4-byte tag, an
/// int64 length and the payload), then a SHA-256 of everything before it. Integers are little-endian.
/// </summary>
internal static class CheckpointFile
{
    public const string Magic = "MSPKCKPT";
    public static readonly string[] SectionTags = ["META", "MODL", "OPTM"];
    private const int HashSize = SHA256.HashSizeInBytes;
    private static readonly int HeaderSize = Magic.Length + sizeof(int);

    /// <summary>Assembles the file from one writer callback per section, in <see cref="SectionTags"/> order.</summary>
    public static byte[] Build(int formatVersion, params Action<BinaryWriter>[] sections)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(formatVersion);
            for (int i = 0; i < sections.Length; i++)
            {
                writer.Write(Encoding.ASCII.GetBytes(SectionTags[i]));
                long lengthAt = stream.Position;
                writer.Write(0L);
                sections[i](writer);
                writer.Flush();
                long end = stream.Position;
                stream.Position = lengthAt;
                writer.Write(end - lengthAt - sizeof(long));
                writer.Flush();
                stream.Position = end;
            }
            writer.Write(SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length)));
        }
        return stream.ToArray();
    }

    /// <summary>Checks the structure and checksum and returns the sections' payloads, in <see cref="SectionTags"/> order.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a complete, intact checkpoint; the message names <paramref name="path"/>.</exception>
    public static ArraySegment<byte>[] Parse(string path, byte[] bytes, int formatVersion)
    {
        if (bytes.Length < Magic.Length || Encoding.ASCII.GetString(bytes, 0, Magic.Length) != Magic)
            throw Corrupt(path, $"not a MetaSpike checkpoint (it does not start with '{Magic}')");
        if (bytes.Length < HeaderSize)
            throw Corrupt(path, "truncated: the file ends inside the header");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length));
        if (version != formatVersion)
            throw Corrupt(path, $"format version {version} is not supported; this MetaSpike reads version {formatVersion}");

        var sections = new ArraySegment<byte>[SectionTags.Length];
        long at = HeaderSize;
        for (int i = 0; i < sections.Length; i++)
        {
            var tag = SectionTags[i];
            if (bytes.Length - at < 4 + sizeof(long))
                throw Corrupt(path, $"truncated: the file ends before section '{tag}'");
            var found = Encoding.ASCII.GetString(bytes, (int)at, 4);
            if (found != tag)
                throw Corrupt(path, $"expected section '{tag}' at byte {at}, found '{Printable(found)}'");
            long length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)at + 4));
            at += 4 + sizeof(long);
            if (length < 0 || length > bytes.Length - at)
                throw Corrupt(path, $"truncated: section '{tag}' declares {length} bytes but only {bytes.Length - at} follow");
            sections[i] = new ArraySegment<byte>(bytes, (int)at, (int)length);
            at += length;
        }
        if (bytes.Length - at != HashSize)
            throw Corrupt(path, $"expected a {HashSize}-byte checksum after the sections, found {bytes.Length - at} bytes");
        if (!SHA256.HashData(bytes.AsSpan(0, (int)at)).AsSpan().SequenceEqual(bytes.AsSpan((int)at)))
            throw Corrupt(path, "the SHA-256 checksum does not match the content (the file is damaged)");
        return sections;
    }

    /// <summary>An <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static InvalidDataException Corrupt(string path, string problem, Exception? inner = null) =>
        new($"checkpoint '{path}' is unreadable: {problem}.", inner);

    private static string Printable(string text) =>
        new(text.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '?').ToArray());
}
