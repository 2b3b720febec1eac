using System.Diagnostics;
using MetaSpike.Runtime;

namespace MetaSpike.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Libtorch_loads_from_the_build_output()
    {
        TorchRuntime.EnsureLoaded();
        TorchRuntime.EnsureLoaded();
        using var t = TorchSharp.torch.ones(2);
        Assert.Equal(2.0, t.sum().item<float>());
    }

    [Fact]
    public void A_missing_glibcxx_version_is_explained_with_what_to_do()
    {
        var message = TorchRuntime.Explain("/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found");
        Assert.Contains("GLIBCXX_3.4.32", message);
        Assert.Contains("TorchSharpNativeFix.targets", message);
        Assert.Contains("What to do", message);
        Assert.Contains("dotnet restore", TorchRuntime.Explain("libtorch_cpu.so: cannot open shared object file"));
    }

    /// <summary>
    /// The build marks GLIBCXX_3.4.32 weak in this output folder's libLibTorchSharp.so exactly when the system
    /// libstdc++ lacks that version (read back with binutils' readelf).
    /// </summary>
    [Fact]
    public void The_build_weakens_the_glibcxx_requirement_only_where_needed()
    {
        if (!OperatingSystem.IsLinux()) return;
        var lib = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).First();
        bool systemHasIt = SystemLibStdCxx.Has("GLIBCXX_3.4.32");

        var info = new ProcessStartInfo("readelf", ["-V", "-W", lib]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var line = process.StandardOutput.ReadToEnd().Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32"));
        process.WaitForExit();
        Assert.Equal(!systemHasIt, line.Contains("Flags: WEAK"));
    }
}
