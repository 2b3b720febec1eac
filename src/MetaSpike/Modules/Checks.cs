using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Modules;

/// <summary>Input checks that cost a host synchronisation; on by default, switchable off for speed once a pipeline is trusted.</summary>
public static class Checks
{
    /// <summary>Whether neurons and the simulator reject inputs containing NaN or infinity (one check per sequence or step). Default true.</summary>
    public static bool NonFiniteInputs { get; set; } = true;

    /// <summary>Throws if <see cref="NonFiniteInputs"/> is on and <paramref name="input"/> holds a NaN or an infinity.</summary>
    public static void RequireFinite(Tensor input, string who)
    {
        if (!NonFiniteInputs || !input.is_floating_point() || AllFinite(input)) return;
        using var scope = NewDisposeScope();
        long nan, inf;
        using (no_grad())
        {
            nan = isnan(input).sum().item<long>();
            inf = isinf(input).sum().item<long>();
        }
        throw new ArgumentException($"{who}: the input holds {nan} NaN and {inf} infinite values.", nameof(input));
    }

    /// <summary>Whether <paramref name="values"/> holds no NaN or infinity (whatever <see cref="NonFiniteInputs"/> says).</summary>
    internal static bool AllFinite(Tensor values)
    {
        using var scope = NewDisposeScope();
        using (no_grad()) return ScanFinite(values) ?? isfinite(values).all().item<bool>();
    }

    /// <summary>
    /// One read-only pass over a contiguous CPU float32/float64 tensor (null for others): isfinite(x).all() wrote a
    /// boolean tensor the size of the input and read it again, 0.4-0.6 ms per check of workload (c)'s 2 MB of frames against 0.04 ms.
    /// </summary>
    private static unsafe bool? ScanFinite(Tensor input)
    {
        if (input.device_type != DeviceType.CPU || !input.is_contiguous()) return null;
        return input.dtype switch
        {
            ScalarType.Float32 => VectorOps.AllFinite(TensorMemory.Pointer<float>(input), input.numel()),
            ScalarType.Float64 => VectorOps.AllFinite(TensorMemory.Pointer<double>(input), input.numel()),
            _ => null,
        };
    }
}
