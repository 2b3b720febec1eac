namespace MetaSpike.Cli.Plotting;

/// <summary>
/// A minimal animated GIF89a encoder: one global colour table, full-canvas frames that each replace the last,
/// LZW-compressed image data, looping forever.
/// </summary>
internal static class GifEncoder
{
    /// <summary>LZW codes in GIF are at most 12 bits wide.</summary>
    private const int MaxCodes = 1 << 12;

    /// <summary>Encodes frames of palette indices (row-major, width × height each) as a looping animation.</summary>
    /// <param name="width">Canvas width in pixels, 1 to 65535.</param>
    /// <param name="height">Canvas height in pixels, 1 to 65535.</param>
    /// <param name="palette">2 to 256 colours; the table is padded with black to a power of two.</param>
    /// <param name="frames">At least one frame; every index must be below the palette's size.</param>
    /// <param name="delayMs">Time each frame is shown; GIF stores hundredths of a second, so it is rounded to 10 ms.</param>
    public static byte[] Encode(
        int width, int height, IReadOnlyList<(byte R, byte G, byte B)> palette, IEnumerable<byte[]> frames, int delayMs)
    {
        if (width is < 1 or > ushort.MaxValue || height is < 1 or > ushort.MaxValue)
            throw new ArgumentException($"GIF frames are 1 to 65535 pixels a side, not {width} x {height}.");
        if (palette.Count is < 2 or > 256)
            throw new ArgumentException($"a GIF palette has 2 to 256 colours, not {palette.Count}.", nameof(palette));
        ArgumentOutOfRangeException.ThrowIfNegative(delayMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delayMs, ushort.MaxValue * 10);

        int bits = 1;
        while (1 << bits < palette.Count) bits++;
        using var output = new MemoryStream();
        output.Write("GIF89a"u8);

        // Logical screen descriptor: global table present, colour resolution and table size both 2^bits.
        WriteUInt16(output, width);
        WriteUInt16(output, height);
        output.Write([(byte)(0x80 | (bits - 1) << 4 | (bits - 1)), 0, 0]);
        for (int i = 0; i < 1 << bits; i++)
        {
            var (r, g, b) = i < palette.Count ? palette[i] : default;
            output.Write([r, g, b]);
        }

        // NETSCAPE2.0 application extension: sub-block 1 holds the loop count, 0 = forever.
        output.Write([0x21, 0xFF, 0x0B]);
        output.Write("NETSCAPE2.0"u8);
        output.Write([0x03, 0x01, 0x00, 0x00, 0x00]);

        var table = new Dictionary<int, int>(MaxCodes);
        int count = 0;
        foreach (var frame in frames)
        {
            if (frame.Length != width * height)
                throw new ArgumentException(
                    $"frame {count} has {frame.Length} pixels; a {width} x {height} canvas needs {width * height}.", nameof(frames));

            // Graphic control extension: disposal 1 (leave the frame in place), no transparency, then the delay.
            output.Write([0x21, 0xF9, 0x04, 0x04]);
            WriteUInt16(output, (delayMs + 5) / 10);
            output.Write([0x00, 0x00]);

            // Image descriptor: the whole canvas, no local colour table, not interlaced.
            output.WriteByte(0x2C);
            WriteUInt16(output, 0);
            WriteUInt16(output, 0);
            WriteUInt16(output, width);
            WriteUInt16(output, height);
            output.WriteByte(0);

            WriteImageData(output, frame, palette.Count, Math.Max(2, bits), table, count);
            count++;
        }
        if (count == 0) throw new ArgumentException("a GIF needs at least one frame.", nameof(frames));
        output.WriteByte(0x3B);
        return output.ToArray();
    }

    /// <summary>LZW-compresses one frame: the minimum code size, the codes in sub-blocks, a zero-length block.</summary>
    private static void WriteImageData(
        Stream output, byte[] pixels, int colours, int minCodeSize, Dictionary<int, int> table, int frameIndex)
    {
        output.WriteByte((byte)minCodeSize);
        var codes = new CodeWriter(output);
        int clear = 1 << minCodeSize, end = clear + 1;
        int codeSize = minCodeSize + 1, next = end + 1;
        table.Clear();
        codes.Write(clear, codeSize);
        int prefix = Check(pixels, 0, colours, frameIndex);
        for (int i = 1; i < pixels.Length; i++)
        {
            int pixel = Check(pixels, i, colours, frameIndex);
            int key = prefix << 8 | pixel;
            if (table.TryGetValue(key, out int code))
            {
                prefix = code;
                continue;
            }
            codes.Write(prefix, codeSize);
            if (next < MaxCodes)
            {
                table[key] = next++;
                // The decoder adds each entry one code later than we do, so it widens as next reaches 2^size
                // and we widen one entry after that; both then read and write the following code at the new width.
                if (next > 1 << codeSize) codeSize++;
            }
            else
            {
                // The table is full: start a fresh one rather than code the rest of the frame with stale strings.
                codes.Write(clear, codeSize);
                table.Clear();
                codeSize = minCodeSize + 1;
                next = end + 1;
            }
            prefix = pixel;
        }
        codes.Write(prefix, codeSize);
        codes.Write(end, codeSize);
        codes.Flush();
        output.WriteByte(0);
    }

    private static int Check(byte[] pixels, int i, int colours, int frameIndex) =>
        pixels[i] < colours
            ? pixels[i]
            : throw new ArgumentException($"frame {frameIndex} pixel {i} is colour {pixels[i]}, past the palette's {colours}.");

    private static void WriteUInt16(Stream output, int value) => output.Write([(byte)value, (byte)(value >> 8)]);

    /// <summary>Packs variable-width codes least significant bit first into data sub-blocks of at most 255 bytes.</summary>
    private sealed class CodeWriter(Stream output)
    {
        private readonly byte[] _block = new byte[255];
        private int _count;
        private uint _buffer;
        private int _bits;

        public void Write(int code, int size)
        {
            _buffer |= (uint)code << _bits;
            for (_bits += size; _bits >= 8; _bits -= 8, _buffer >>= 8) Put((byte)_buffer);
        }

        /// <summary>Writes the last partial byte and the last, possibly short, sub-block.</summary>
        public void Flush()
        {
            if (_bits > 0) Put((byte)_buffer);
            (_buffer, _bits) = (0, 0);
            WriteBlock();
        }

        private void Put(byte value)
        {
            _block[_count++] = value;
            if (_count == _block.Length) WriteBlock();
        }

        private void WriteBlock()
        {
            if (_count == 0) return;
            output.WriteByte((byte)_count);
            output.Write(_block, 0, _count);
            _count = 0;
        }
    }
}
