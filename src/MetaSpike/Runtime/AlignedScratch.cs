using System.Runtime.InteropServices;

namespace MetaSpike.Runtime;

/// <summary>
/// A kernel's scratch buffer whose pinned view starts on a cache line, zeroed when made. A .NET array's elements start
/// 16 bytes into the object, so 512-bit loads of rows that are whole cache lines in a tensor would each span two lines
/// in a plain array (the pooled weight gradient ran 1.4x slower reading its padded inputs from one). The array is an
/// ordinary one (pinned arrays live in a heap that only full collections sweep) with a cache line to spare; if the
/// collector has moved it to another offset from a line since the last pin, its contents would have shifted, so it is
/// zeroed again: what stays between pins is zeros (a padded buffer's border), everything else is written per use.
/// </summary>
internal sealed unsafe class AlignedScratch<T> where T : unmanaged
{
    private const int LineBytes = 64;

    private readonly T[] _array;
    private int _start = -1;

    /// <summary>A zeroed buffer of <paramref name="length"/> elements.</summary>
    public AlignedScratch(int length)
    {
        _array = new T[length + LineBytes / sizeof(T)];
        Length = length;
    }

    /// <summary>Elements in the buffer.</summary>
    public int Length { get; }

    /// <summary>The buffer pinned until the result is disposed, its first element on a 64-byte boundary.</summary>
    public Pin Pinned()
    {
        var handle = GCHandle.Alloc(_array, GCHandleType.Pinned);
        nint raw = handle.AddrOfPinnedObject();
        int start = (int)((((raw + LineBytes - 1) & ~(nint)(LineBytes - 1)) - raw) / sizeof(T));
        if (start != _start)
        {
            if (_start >= 0) Array.Clear(_array);
            _start = start;
        }
        return new Pin(handle, (T*)raw + start, Length);
    }

    /// <summary>A pinned, aligned view of the buffer.</summary>
    public readonly struct Pin(GCHandle handle, T* pointer, int length) : IDisposable
    {
        /// <summary>The first element.</summary>
        public T* Pointer => pointer;

        /// <summary>Where the first element is.</summary>
        public nint Address => (nint)pointer;

        /// <summary>The elements.</summary>
        public Span<T> Span => new(pointer, length);

        /// <summary>Sets every element to zero.</summary>
        public void Clear() => Span.Clear();

        /// <summary>Unpins the buffer.</summary>
        public void Dispose() => handle.Free();
    }
}
