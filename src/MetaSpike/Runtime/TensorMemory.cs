using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MetaSpike.Runtime;

/// <summary>The native buffer of a contiguous CPU tensor, for the raw C# kernels (the memory is native, so it stays put).</summary>
internal static unsafe class TensorMemory
{
    /// <summary>The first element (null for no tensor).</summary>
    public static T* Pointer<T>(Tensor? t) where T : unmanaged =>
        t is null ? null : (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>The elements as a span.</summary>
    public static Span<T> Span<T>(Tensor t) where T : unmanaged => MemoryMarshal.Cast<byte, T>(t.bytes);
}
