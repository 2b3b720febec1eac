using System.Buffers.Binary;
using System.Text;

namespace MetaSpike.Data.Readers;

/// <summary>
/// Bounds-checked reading of FlatBuffer tables, by hand: a root uoffset, a table starting with an soffset back to
/// its vtable (u16 vtable size, u16 table size, u16 field offsets), scalars inline, strings and vectors behind a
/// uoffset. Every failure throws <see cref="EventFormatException"/> with the file offset of the bad bytes, or the
/// packet's offset and the position inside it when the bytes were decompressed.
/// </summary>
internal readonly ref struct Aedat4FlatBuffer
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly string _path;
    private readonly long _fileOffset;
    private readonly int _start;
    private readonly bool _decompressed;

    /// <summary>A FlatBuffer over <paramref name="buffer"/>, whose first byte lies at <paramref name="fileOffset"/>
    /// in the file (or, when <paramref name="decompressed"/>, came out of the block stored there).</summary>
    public Aedat4FlatBuffer(ReadOnlySpan<byte> buffer, string path, long fileOffset, bool decompressed)
        : this(buffer, path, fileOffset, 0, decompressed)
    {
    }

    private Aedat4FlatBuffer(ReadOnlySpan<byte> buffer, string path, long fileOffset, int start, bool decompressed)
    {
        _buffer = buffer;
        (_path, _fileOffset, _start, _decompressed) = (path, fileOffset, start, decompressed);
    }

    /// <summary>The FlatBuffer behind a u32 size prefix (the layout of AEDAT4 packets and of the data table).</summary>
    public static Aedat4FlatBuffer SizePrefixed(ReadOnlySpan<byte> data, string path, long fileOffset, bool decompressed)
    {
        var outer = new Aedat4FlatBuffer(data, path, fileOffset, decompressed);
        if (data.Length < 8) throw outer.Fail($"a size-prefixed FlatBuffer needs at least 8 bytes, got {data.Length}", 0);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (size < 4 || size > data.Length - 4)
            throw outer.Fail($"FlatBuffer size prefix {size} does not fit the {data.Length - 4} bytes that follow it", 0);
        return new Aedat4FlatBuffer(data.Slice(4, (int)size), path, fileOffset, 4, decompressed);
    }

    /// <summary>The four-character file identifier after the root offset, or null when the buffer is too short.</summary>
    public string? Identifier => _buffer.Length >= 8 ? Encoding.ASCII.GetString(_buffer.Slice(4, 4)) : null;

    /// <summary>Position of the root table.</summary>
    public int Root() => Indirect(0);

    /// <summary>Reads the int32 field <paramref name="field"/> of the table at <paramref name="table"/>.</summary>
    public int Int32(int table, int field, int absent)
    {
        var at = Field(table, field, 4);
        return at < 0 ? absent : BinaryPrimitives.ReadInt32LittleEndian(_buffer[at..]);
    }

    /// <summary>Reads the int64 field <paramref name="field"/> of the table at <paramref name="table"/>.</summary>
    public long Int64(int table, int field, long absent)
    {
        var at = Field(table, field, 8);
        return at < 0 ? absent : BinaryPrimitives.ReadInt64LittleEndian(_buffer[at..]);
    }

    /// <summary>The inline struct field of <paramref name="size"/> bytes, or an empty span when absent.</summary>
    public ReadOnlySpan<byte> Struct(int table, int field, int size)
    {
        var at = Field(table, field, size);
        return at < 0 ? [] : _buffer.Slice(at, size);
    }

    /// <summary>Reads the string field <paramref name="field"/> (UTF-8), or "" when absent.</summary>
    public string String(int table, int field)
    {
        var (start, count) = Vector(table, field, 1);
        return Encoding.UTF8.GetString(_buffer.Slice(start, count));
    }

    /// <summary>The start and element count of the vector field <paramref name="field"/> ((0, 0) when absent);
    /// the elements are checked to lie inside the buffer.</summary>
    public (int Start, int Count) Vector(int table, int field, int elementSize)
    {
        var at = Field(table, field, 4);
        if (at < 0) return (0, 0);
        var vector = Indirect(at);
        if ((long)vector + 4 > _buffer.Length) throw Fail($"vector length at {vector} lies outside the buffer", at);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(_buffer[vector..]);
        if (vector + 4 + (long)count * elementSize > _buffer.Length)
            throw Fail($"vector of {count} elements of {elementSize} bytes runs past the end of the buffer", vector);
        return (vector + 4, (int)count);
    }

    /// <summary>Follows the uoffset stored at <paramref name="at"/> to the position it points to.</summary>
    public int Indirect(int at)
    {
        if (at < 0 || (long)at + 4 > _buffer.Length) throw Fail("offset lies outside the buffer", Math.Max(at, 0));
        var target = at + (long)BinaryPrimitives.ReadUInt32LittleEndian(_buffer[at..]);
        if (target >= _buffer.Length) throw Fail($"offset points to {target}, past the end of the {_buffer.Length}-byte buffer", at);
        return (int)target;
    }

    /// <summary>The bytes of the buffer.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer;

    /// <summary>An exception naming the file and where <paramref name="position"/> of this buffer lies: its file
    /// offset, or for decompressed bytes the offset of the stored block and the position within the decompressed data.</summary>
    public EventFormatException Fail(string problem, long position) =>
        _decompressed
            ? new EventFormatException(_path, $"{problem} (byte {_start + position} of the decompressed data)", byteOffset: _fileOffset)
            : new EventFormatException(_path, problem, byteOffset: _fileOffset + _start + position);

    /// <summary>Position of field <paramref name="field"/> of the table at <paramref name="table"/>, or -1 when the
    /// vtable leaves it out (FlatBuffers omits fields equal to their default).</summary>
    private int Field(int table, int field, int size)
    {
        if (table < 0 || (long)table + 4 > _buffer.Length) throw Fail("table lies outside the buffer", Math.Max(table, 0));
        var vtable = table - (long)BinaryPrimitives.ReadInt32LittleEndian(_buffer[table..]);
        if (vtable < 0 || vtable + 4 > _buffer.Length) throw Fail($"vtable offset points to {vtable}, outside the buffer", table);
        var vtableSize = BinaryPrimitives.ReadUInt16LittleEndian(_buffer[(int)vtable..]);
        var tableSize = BinaryPrimitives.ReadUInt16LittleEndian(_buffer[((int)vtable + 2)..]);
        if (vtableSize < 4 || vtable + vtableSize > _buffer.Length)
            throw Fail($"vtable size {vtableSize} is invalid", vtable);
        if (tableSize < 4 || (long)table + tableSize > _buffer.Length)
            throw Fail($"table size {tableSize} runs past the end of the buffer", vtable + 2);
        var slot = 4 + 2 * field;
        if (slot + 2 > vtableSize) return -1;
        var offset = BinaryPrimitives.ReadUInt16LittleEndian(_buffer[((int)vtable + slot)..]);
        if (offset == 0) return -1;
        if (offset < 4 || offset + size > tableSize)
            throw Fail($"field {field} at table offset {offset} ({size} bytes) lies outside the {tableSize}-byte table", vtable + slot);
        return table + offset;
    }
}
