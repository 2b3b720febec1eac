using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MetaSpike.Data.Readers;

/// <summary>MATLAB array classes (the low byte of a MAT v5 array's flags).</summary>
public enum MatClass
{
    /// <summary>Cell array.</summary>
    Cell = 1,
    /// <summary>Structure.</summary>
    Struct = 2,
    /// <summary>Object.</summary>
    Object = 3,
    /// <summary>Character array.</summary>
    Char = 4,
    /// <summary>Sparse array.</summary>
    Sparse = 5,
    /// <summary>double.</summary>
    Double = 6,
    /// <summary>single.</summary>
    Single = 7,
    /// <summary>int8.</summary>
    Int8 = 8,
    /// <summary>uint8 (also logical, with the logical flag).</summary>
    UInt8 = 9,
    /// <summary>int16.</summary>
    Int16 = 10,
    /// <summary>uint16.</summary>
    UInt16 = 11,
    /// <summary>int32.</summary>
    Int32 = 12,
    /// <summary>uint32.</summary>
    UInt32 = 13,
    /// <summary>int64.</summary>
    Int64 = 14,
    /// <summary>uint64.</summary>
    UInt64 = 15,
}

/// <summary>MAT v5 data element types (the type word of a tag).</summary>
public enum MatDataType
{
    /// <summary>miINT8.</summary>
    Int8 = 1,
    /// <summary>miUINT8.</summary>
    UInt8 = 2,
    /// <summary>miINT16.</summary>
    Int16 = 3,
    /// <summary>miUINT16.</summary>
    UInt16 = 4,
    /// <summary>miINT32.</summary>
    Int32 = 5,
    /// <summary>miUINT32.</summary>
    UInt32 = 6,
    /// <summary>miSINGLE.</summary>
    Single = 7,
    /// <summary>miDOUBLE.</summary>
    Double = 9,
    /// <summary>miINT64.</summary>
    Int64 = 12,
    /// <summary>miUINT64.</summary>
    UInt64 = 13,
    /// <summary>miMATRIX: an array (flags, dimensions, name, data).</summary>
    Matrix = 14,
    /// <summary>miCOMPRESSED: a zlib stream holding one element.</summary>
    Compressed = 15,
    /// <summary>miUTF8.</summary>
    Utf8 = 16,
    /// <summary>miUTF16.</summary>
    Utf16 = 17,
    /// <summary>miUTF32.</summary>
    Utf32 = 18,
}

/// <summary>
/// One top-level variable of a MAT v5 file. Numeric arrays keep their real part as stored (its numeric type may
/// be narrower than the class: MATLAB stores a double array of small integers as miUINT8) and convert on request.
/// Other classes (cell, struct, char, sparse, ...) are listed with their name and class only.
/// </summary>
public sealed class MatArray
{
    private readonly byte[] _buffer;
    private readonly int _dataOffset;
    private readonly bool _bigEndian;
    private readonly string _path;

    internal MatArray(string path, string name, MatClass cls, bool isLogical, bool isComplex, int[] dimensions,
        MatDataType? storedType, int count, byte[] buffer, int dataOffset, bool bigEndian, long elementOffset, bool compressed)
    {
        (_path, Name, Class, IsLogical, IsComplex, Dimensions, StoredType, Count) = (path, name, cls, isLogical, isComplex, dimensions, storedType, count);
        (_buffer, _dataOffset, _bigEndian, ElementOffset, IsCompressed) = (buffer, dataOffset, bigEndian, elementOffset, compressed);
    }

    /// <summary>The variable name.</summary>
    public string Name { get; }

    /// <summary>The array class.</summary>
    public MatClass Class { get; }

    /// <summary>Whether the logical flag is set (MATLAB logical arrays are uint8 with this flag).</summary>
    public bool IsLogical { get; }

    /// <summary>Whether the array is complex (conversions return the real part).</summary>
    public bool IsComplex { get; }

    /// <summary>The dimensions (at least two).</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>How the real part is stored, for numeric arrays; null for other classes.</summary>
    public MatDataType? StoredType { get; }

    /// <summary>The number of elements (numeric arrays; 0 for other classes).</summary>
    public int Count { get; }

    /// <summary>Whether the class is numeric (double, single, or an integer class, logical included).</summary>
    public bool IsNumeric => Class is >= MatClass.Double and <= MatClass.UInt64;

    /// <summary>The byte offset in the file of this variable's data element (of its miCOMPRESSED element when compressed).</summary>
    public long ElementOffset { get; }

    /// <summary>Whether the variable sat in a miCOMPRESSED element.</summary>
    public bool IsCompressed { get; }

    /// <summary>The real part converted to double (exact for every stored type but 64-bit integers beyond 2^53).</summary>
    /// <exception cref="InvalidOperationException">The array is not numeric.</exception>
    public double[] ToDoubleArray()
    {
        var result = new double[Count];
        var s = Data();
        switch (StoredType)
        {
            case MatDataType.Int8: for (int i = 0; i < result.Length; i++) result[i] = (sbyte)s[i]; break;
            case MatDataType.UInt8: for (int i = 0; i < result.Length; i++) result[i] = s[i]; break;
            case MatDataType.Int16: for (int i = 0; i < result.Length; i++) result[i] = (short)U16(s, i); break;
            case MatDataType.UInt16: for (int i = 0; i < result.Length; i++) result[i] = U16(s, i); break;
            case MatDataType.Int32: for (int i = 0; i < result.Length; i++) result[i] = (int)U32(s, i); break;
            case MatDataType.UInt32: for (int i = 0; i < result.Length; i++) result[i] = U32(s, i); break;
            case MatDataType.Single: for (int i = 0; i < result.Length; i++) result[i] = BitConverter.UInt32BitsToSingle(U32(s, i)); break;
            case MatDataType.Double: for (int i = 0; i < result.Length; i++) result[i] = BitConverter.UInt64BitsToDouble(U64(s, i)); break;
            case MatDataType.Int64: for (int i = 0; i < result.Length; i++) result[i] = (long)U64(s, i); break;
            default: for (int i = 0; i < result.Length; i++) result[i] = U64(s, i); break;
        }
        return result;
    }

    /// <summary>
    /// The real part converted to 64-bit integers: integer types exactly, floating-point values rounded to the
    /// nearest integer.
    /// </summary>
    /// <exception cref="EventFormatException">A value is not finite or does not fit in a long (names the file and byte offset).</exception>
    public long[] ToInt64Array()
    {
        var s = Data();
        var result = new long[Count];
        switch (StoredType)
        {
            case MatDataType.Int64:
                for (int i = 0; i < result.Length; i++) result[i] = (long)U64(s, i);
                break;
            case MatDataType.UInt64:
                for (int i = 0; i < result.Length; i++)
                {
                    ulong u = U64(s, i);
                    if (u > long.MaxValue) throw ValueError(i, $"value {u} does not fit in a 64-bit signed integer.");
                    result[i] = (long)u;
                }
                break;
            case MatDataType.Single or MatDataType.Double:
                var values = ToDoubleArray();
                for (int i = 0; i < result.Length; i++)
                {
                    double v = Math.Round(values[i]);
                    if (!(v >= -9.2233720368547758E18 && v < 9.2233720368547758E18)) throw ValueError(i, $"value {values[i]} is not a finite 64-bit integer.");
                    result[i] = (long)v;
                }
                break;
            default:
                var exact = ToDoubleArray();
                for (int i = 0; i < result.Length; i++) result[i] = (long)exact[i];
                break;
        }
        return result;
    }

    /// <summary>An error about element <paramref name="index"/> of this variable, naming the file and a byte offset.</summary>
    public EventFormatException ValueError(int index, string problem) => IsCompressed
        ? new EventFormatException(_path, $"variable '{Name}' (compressed), element {index}: {problem}", byteOffset: ElementOffset)
        : new EventFormatException(_path, $"variable '{Name}', element {index}: {problem}", byteOffset: _dataOffset + (long)index * ElementSize(StoredType!.Value));

    internal static int ElementSize(MatDataType type) => type switch
    {
        MatDataType.Int8 or MatDataType.UInt8 => 1,
        MatDataType.Int16 or MatDataType.UInt16 => 2,
        MatDataType.Int32 or MatDataType.UInt32 or MatDataType.Single => 4,
        MatDataType.Double or MatDataType.Int64 or MatDataType.UInt64 => 8,
        _ => 0,
    };

    private ReadOnlySpan<byte> Data()
    {
        if (StoredType is not { } type) throw new InvalidOperationException($"MAT variable '{Name}' is a {Class} array, not numeric.");
        return _buffer.AsSpan(_dataOffset, Count * ElementSize(type));
    }

    private ushort U16(ReadOnlySpan<byte> s, int i) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]);

    private uint U32(ReadOnlySpan<byte> s, int i) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s[(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[(4 * i)..]);

    private ulong U64(ReadOnlySpan<byte> s, int i) => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * i)..]);
}

/// <summary>
/// A MAT v5 file reader: the 128-byte header (text, subsystem offset, version 0x0100, endian indicator "IM" for
/// little-endian or "MI" for big-endian), then data elements, each an 8-byte tag (u32 type, u32 byte count) or
/// the small form (byte count in the upper 16 bits of the first word, up to 4 data bytes in the second), padded
/// to 8 bytes. miMATRIX elements hold array flags, dimensions, name and real part; miCOMPRESSED elements hold a
/// zlib stream with one miMATRIX. Errors name the file and the byte offset.
/// </summary>
public static class MatFile
{
    /// <summary>Bytes in the file header.</summary>
    public const int HeaderBytes = 128;

    /// <summary>Reads every top-level variable of a file.</summary>
    /// <exception cref="EventFormatException">The file is not MAT v5, or is truncated or corrupt.</exception>
    public static IReadOnlyList<MatArray> Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>What is wrong with a file's header (its first 128 bytes, or fewer when the file is shorter), or null when it is MAT v5.</summary>
    public static string? HeaderProblem(ReadOnlySpan<byte> head)
    {
        if (head.Length < HeaderBytes)
            return $"truncated: {head.Length} bytes is shorter than the {HeaderBytes}-byte MAT header.";
        bool? bigEndian = (head[126], head[127]) switch { ((byte)'I', (byte)'M') => false, ((byte)'M', (byte)'I') => true, _ => null };
        if (bigEndian is not { } be)
            return $"not a MAT v5 file: the endian indicator is 0x{head[126]:X2}{head[127]:X2}, not 'IM' or 'MI'.";
        int version = be ? BinaryPrimitives.ReadUInt16BigEndian(head[124..]) : BinaryPrimitives.ReadUInt16LittleEndian(head[124..]);
        if (version != 0x0100)
            return $"MAT version 0x{version:X4} is not supported (only v5, 0x0100; v7.3 files are HDF5).";
        return null;
    }

    /// <summary>Parses the bytes of a file; <paramref name="pathForErrors"/> names it in errors.</summary>
    /// <exception cref="EventFormatException">The file is not MAT v5, or is truncated or corrupt.</exception>
    public static IReadOnlyList<MatArray> Parse(byte[] data, string pathForErrors)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (HeaderProblem(data) is { } problem)
            throw new EventFormatException(pathForErrors, problem, byteOffset: data.Length < HeaderBytes ? data.Length : 124);
        bool bigEndian = data[126] == 'M';
        var file = new Reader(pathForErrors, data, bigEndian, null);
        var arrays = new List<MatArray>();
        int pos = HeaderBytes;
        while (pos < data.Length && data.AsSpan(pos).ContainsAnyExcept((byte)0))
        {
            var tag = file.Tag(pos, data.Length);
            if (tag.Type == MatDataType.Matrix)
            {
                if (file.Matrix(tag) is { } array) arrays.Add(array);
            }
            else if (tag.Type == MatDataType.Compressed)
            {
                var inner = new Reader(pathForErrors, file.Inflate(tag), bigEndian, pos);
                var innerTag = inner.Tag(0, inner.Data.Length);
                if (innerTag.Type != MatDataType.Matrix)
                    throw inner.Error(0, $"the compressed element holds data type {(int)innerTag.Type}, not miMATRIX (14).");
                if (inner.Matrix(innerTag) is { } array) arrays.Add(array);
            }
            pos = file.NextTopLevel(tag);
        }
        return arrays;
    }

    private readonly record struct Tag(long Offset, MatDataType Type, int DataOffset, int Bytes, int Next)
    {
        public int DataEnd => DataOffset + Bytes;
    }

    /// <summary>Reads elements from one buffer: the file, or the inflated contents of a miCOMPRESSED element at <paramref name="compressedAt"/>.</summary>
    private sealed class Reader(string path, byte[] data, bool bigEndian, long? compressedAt)
    {
        public byte[] Data => data;

        public EventFormatException Error(long pos, string problem, Exception? inner = null) => compressedAt is { } at
            ? new EventFormatException(path, $"in the compressed element, at byte {pos} of its inflated data: {problem}", byteOffset: at, inner: inner)
            : new EventFormatException(path, problem, byteOffset: pos, inner: inner);

        private uint U32(int pos) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos)) : BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos));

        /// <summary>The tag at <paramref name="pos"/>; its data must end by <paramref name="limit"/>.</summary>
        public Tag Tag(int pos, int limit)
        {
            if (limit - pos < 8)
                throw Error(pos, $"truncated: a data element tag needs 8 bytes, {limit - pos} remain.");
            uint first = U32(pos);
            if (first >> 16 != 0)
            {
                int small = (int)(first >> 16);
                if (small > 4) throw Error(pos, $"corrupt small data element: {small} bytes (at most 4).");
                return new Tag(pos, (MatDataType)(first & 0xFFFF), pos + 4, small, pos + 8);
            }
            uint bytes = U32(pos + 4);
            if (bytes > limit - pos - 8)
                throw Error(pos, $"truncated: the data element announces {bytes} bytes, {limit - pos - 8} remain.");
            // Padding makes the element a multiple of 8 bytes long, counted from its own tag.
            return new Tag(pos, (MatDataType)first, pos + 8, (int)bytes, Math.Min(pos + 8 + (((int)bytes + 7) & ~7), limit));
        }

        /// <summary>
        /// Where the top-level element after <paramref name="tag"/> starts: right after its data when a miMATRIX or
        /// miCOMPRESSED tag sits there (MATLAB does not pad compressed elements), else after its padding.
        /// </summary>
        public int NextTopLevel(Tag tag)
        {
            int end = tag.DataEnd;
            if (end == tag.Next || end + 4 > data.Length || U32(end) is (uint)MatDataType.Matrix or (uint)MatDataType.Compressed)
                return end;
            return tag.Next;
        }

        public byte[] Inflate(Tag tag)
        {
            try
            {
                using var input = new MemoryStream(data, tag.DataOffset, tag.Bytes, writable: false);
                using var zlib = new ZLibStream(input, CompressionMode.Decompress);
                using var output = new MemoryStream();
                zlib.CopyTo(output);
                return output.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw Error(tag.Offset, $"corrupt or truncated zlib stream in a {tag.Bytes}-byte miCOMPRESSED element: {e.Message}", e);
            }
        }

        /// <summary>Parses a miMATRIX element; null for an empty one.</summary>
        public MatArray? Matrix(Tag matrix)
        {
            if (matrix.Bytes == 0) return null;
            int limit = matrix.DataEnd;
            var flags = Tag(matrix.DataOffset, limit);
            if (flags.Type != MatDataType.UInt32 || flags.Bytes < 8)
                throw Error(flags.Offset, $"corrupt array: the flags element has type {(int)flags.Type} and {flags.Bytes} bytes (expected miUINT32, 8 bytes).");
            uint word = U32(flags.DataOffset);
            var cls = (MatClass)(word & 0xFF);
            bool complex = (word & 0x0800) != 0, logical = (word & 0x0200) != 0;

            var dimsTag = Tag(flags.Next, limit);
            if (dimsTag.Type != MatDataType.Int32 || dimsTag.Bytes < 8 || dimsTag.Bytes % 4 != 0)
                throw Error(dimsTag.Offset, $"corrupt array: the dimensions element has type {(int)dimsTag.Type} and {dimsTag.Bytes} bytes (expected miINT32, 2 or more dimensions).");
            var dims = new int[dimsTag.Bytes / 4];
            long elements = 1;
            for (int d = 0; d < dims.Length; d++)
            {
                dims[d] = (int)U32(dimsTag.DataOffset + 4 * d);
                if (dims[d] < 0) throw Error(dimsTag.Offset, $"corrupt array: dimension {d} is {dims[d]}.");
                elements *= dims[d];
                if (elements > int.MaxValue) throw Error(dimsTag.Offset, "corrupt array: more than 2^31 elements.");
            }

            var nameTag = Tag(dimsTag.Next, limit);
            if (nameTag.Type is not (MatDataType.Int8 or MatDataType.UInt8 or MatDataType.Utf8))
                throw Error(nameTag.Offset, $"corrupt array: the name element has type {(int)nameTag.Type} (expected miINT8).");
            var name = Encoding.ASCII.GetString(data, nameTag.DataOffset, nameTag.Bytes).TrimEnd('\0');

            if (cls is < MatClass.Double or > MatClass.UInt64)
                return new MatArray(path, name, cls, logical, complex, dims, null, 0, data, 0, bigEndian, compressedAt ?? matrix.Offset, compressedAt is not null);

            var real = Tag(nameTag.Next, limit);
            int size = MatArray.ElementSize(real.Type);
            if (size == 0)
                throw Error(real.Offset, $"corrupt array '{name}': its real part has data type {(int)real.Type}, not a numeric type.");
            if (real.Bytes != elements * size)
                throw Error(real.Offset, $"corrupt array '{name}': {string.Join(" x ", dims)} = {elements} elements need {elements * size} bytes of {real.Type}, the element has {real.Bytes}.");
            return new MatArray(path, name, cls, logical, complex, dims, real.Type, (int)elements, data, real.DataOffset, bigEndian,
                compressedAt ?? matrix.Offset, compressedAt is not null);
        }
    }
}
