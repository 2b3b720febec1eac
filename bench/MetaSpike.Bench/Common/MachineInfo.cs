using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MetaSpike.Neurons;
using TorchSharp;

namespace MetaSpike.Bench.Common;

/// <summary>The machine a benchmark ran on, for its JSON record.</summary>
/// <param name="Cpu">CPU model name (/proc/cpuinfo).</param>
/// <param name="Cores">Logical processors visible to the process.</param>
/// <param name="Vector512">Whether <see cref="Vector512"/> is hardware-accelerated (AVX-512: the fused kernels' widest path).</param>
/// <param name="Vector256">Whether <see cref="Vector256"/> is hardware-accelerated (AVX2).</param>
/// <param name="Os">Operating system.</param>
internal sealed record MachineInfo(string Cpu, int Cores, bool Vector512, bool Vector256, string Os)
{
    /// <summary>The widest vector path the fused kernels take here.</summary>
    public string Isa => Vector512 ? "AVX-512 (Vector512)" : Vector256 ? "AVX2 (Vector256)" : "scalar";

    /// <summary>This machine.</summary>
    public static MachineInfo Current() => new(CpuModel(), Environment.ProcessorCount, System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
        System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated, RuntimeInformation.OSDescription);

    /// <summary>One line for reports.</summary>
    public override string ToString() => $"{Cpu}, {Cores} cores, {Os}, kernels: {Isa}";

    private static string CpuModel()
    {
        const string unknown = "unknown CPU";
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? unknown;
        }
        catch (IOException)
        {
            return unknown;
        }
        catch (UnauthorizedAccessException)
        {
            return unknown;
        }
    }
}

/// <summary>Software versions, for a benchmark's JSON record.</summary>
/// <param name="DotNet">The .NET runtime.</param>
/// <param name="TorchSharp">TorchSharp (assembly version).</param>
/// <param name="LibTorch">The libtorch package TorchSharp was built against.</param>
/// <param name="MetaSpike">The MetaSpike library.</param>
internal sealed record SoftwareVersions(string DotNet, string TorchSharp, string LibTorch, string MetaSpike)
{
    /// <summary>The versions in this process.</summary>
    public static SoftwareVersions Current() => new(Environment.Version.ToString(), typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        LibTorchVersion(), typeof(Lif).Assembly.GetName().Version?.ToString() ?? "unknown");

    /// <summary>One line for reports.</summary>
    public override string ToString() => $".NET {DotNet}, TorchSharp {TorchSharp}, libtorch {LibTorch}, MetaSpike {MetaSpike}";

    // TorchSharp records the libtorch package it was built against in a non-public constant; there is no public API.
    private static string LibTorchVersion()
    {
        foreach (var type in typeof(torch).Assembly.GetTypes())
        {
            var field = type.GetField("libtorchPackageVersion", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public);
            if (field?.GetValue(null) is string version) return version;
        }
        return "unknown";
    }
}
