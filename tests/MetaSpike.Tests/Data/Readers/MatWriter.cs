using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MetaSpike.Data.Readers;

namespace MetaSpike.Tests.Data.Readers;

/// <summary>
/// Writes MAT v5 files byte for byte, for the reader's tests: a 128-byte header, then one miMATRIX (or
/// miCOMPRESSED) element per variable, with each variable's class and stored numeric type chosen freely.
/// </summary>
internal sealed class MatWriter(bool bigEndian = false, bool smallElements = true)
{
    private readonly List<byte> _bytes = [.. Header(bigEndian)];

    /// <summary>Byte offset of each variable's top-level element.</summary>
    public Dictionary<string, int> ElementOffsets { get; } = [];

    /// <summary>Byte offset of each variable's real-part data (uncompressed variables).</summary>
    public Dictionary<string, int> DataOffsets { get; } = [];

    public static byte[] Header(bool bigEndian, int version = 0x0100)
    {
        var header = new byte[128];
        var text = Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2018");
        header.AsSpan(0, 116).Fill((byte)' ');
        text.CopyTo(header, 0);
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(124), (ushort)version);
        else BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(124), (ushort)version);
        (header[126], header[127]) = bigEndian ? ((byte)'M', (byte)'I') : ((byte)'I', (byte)'M');
        return header;
    }

    /// <summary>Adds an N x 1 numeric variable whose values are stored as <paramref name="stored"/>.</summary>
    public MatWriter Add(string name, MatClass cls, MatDataType stored, double[] values, bool logical = false, bool compress = false,
        int[]? dims = null, bool padCompressed = false)
    {
        var data = new List<byte>();
        foreach (var v in values) data.AddRange(Value(stored, v));
        return AddRaw(name, (uint)cls | (logical ? 0x0200u : 0), dims ?? [values.Length, 1], stored, [.. data], compress, padCompressed);
    }

    /// <summary>Adds a variable with the given flags word and raw real-part bytes.</summary>
    public MatWriter AddRaw(string name, uint flags, int[] dims, MatDataType stored, byte[] realPart, bool compress = false, bool padCompressed = false)
    {
        var body = new List<byte>();
        body.AddRange(Element(MatDataType.UInt32, [.. U32(flags), .. U32(0)]));
        body.AddRange(Element(MatDataType.Int32, [.. dims.SelectMany(d => U32((uint)d))]));
        body.AddRange(Element(MatDataType.Int8, Encoding.ASCII.GetBytes(name)));
        int realAt = body.Count + 8;
        if ((MatClass)(flags & 0xFF) is >= MatClass.Double and <= MatClass.UInt64 || realPart.Length > 0)
        {
            if (smallElements && realPart.Length <= 4) realAt -= 4;
            body.AddRange(Element(stored, realPart));
        }
        var matrix = Element(MatDataType.Matrix, [.. body]);
        ElementOffsets[name] = _bytes.Count;
        if (!compress)
        {
            DataOffsets[name] = _bytes.Count + 8 + realAt;
            _bytes.AddRange(matrix);
            return this;
        }
        using var packed = new MemoryStream();
        using (var zlib = new ZLibStream(packed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(matrix);
        var compressed = packed.ToArray();
        _bytes.AddRange(Tag(MatDataType.Compressed, compressed.Length));
        _bytes.AddRange(compressed);
        if (padCompressed) Pad();
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    private void Pad()
    {
        while (_bytes.Count % 8 != 0) _bytes.Add(0);
    }

    private byte[] Element(MatDataType type, byte[] data)
    {
        if (smallElements && data.Length <= 4 && type != MatDataType.Matrix)
        {
            var small = new byte[8];
            WriteU32(small, (uint)data.Length << 16 | (uint)type);
            data.CopyTo(small, 4);
            return small;
        }
        int padded = (data.Length + 7) & ~7;
        return [.. Tag(type, data.Length), .. data, .. new byte[padded - data.Length]];
    }

    private byte[] Tag(MatDataType type, int bytes) => [.. U32((uint)type), .. U32((uint)bytes)];

    private byte[] U32(uint v)
    {
        var b = new byte[4];
        WriteU32(b, v);
        return b;
    }

    private void WriteU32(Span<byte> b, uint v)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v);
        else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
    }

    private byte[] Value(MatDataType type, double v)
    {
        var b = new byte[MatArray.ElementSize(type)];
        ulong bits = type switch
        {
            MatDataType.Int8 => (ulong)(sbyte)v,
            MatDataType.UInt8 => (ulong)v,
            MatDataType.Int16 => (ulong)(short)v,
            MatDataType.UInt16 => (ulong)v,
            MatDataType.Int32 => (ulong)(int)v,
            MatDataType.UInt32 => (ulong)v,
            MatDataType.Single => BitConverter.SingleToUInt32Bits((float)v),
            MatDataType.Double => BitConverter.DoubleToUInt64Bits(v),
            MatDataType.Int64 => (ulong)(long)v,
            MatDataType.UInt64 => (ulong)v,
            _ => throw new ArgumentException($"not numeric: {type}"),
        };
        for (int i = 0; i < b.Length; i++)
            b[bigEndian ? b.Length - 1 - i : i] = (byte)(bits >> (8 * i));
        return b;
    }
}
