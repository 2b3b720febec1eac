using System.Diagnostics;

namespace MetaSpike.Tests.Runtime;

public sealed class LoadFailureTests : IDisposable
{
    private readonly string _app = Directory.CreateTempSubdirectory("metaspike-unpatched-").FullName;

    public void Dispose() => Directory.Delete(_app, recursive: true);

    /// <summary>
    /// End to end: the CLI's output folder with TorchSharp's original (unpatched) libLibTorchSharp.so put back.
    /// On a system whose libstdc++ lacks GLIBCXX_3.4.32 (Debian 12), the first command must fail with exit code 3
    /// and MetaSpike's explanation (the loader's error and what to do), not a crash or TorchSharp's generic text.
    /// </summary>
    [Fact]
    public void An_unloadable_libtorch_is_reported_with_the_reason_and_what_to_do()
    {
        if (!OperatingSystem.IsLinux() || SystemLibStdCxx.Has("GLIBCXX_3.4.32")) return;
        var cliOut = AppContext.BaseDirectory.Replace(
            Path.Combine("tests", "MetaSpike.Tests"), Path.Combine("src", "MetaSpike.Cli"), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(cliOut, "MetaSpike.Cli.dll")), $"CLI build not found in {cliOut}");
        var original = Path.Combine(NuGetPackages(), "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(original), $"TorchSharp's native library not found at {original}");

        foreach (var file in Directory.GetFiles(cliOut, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(_app, Path.GetRelativePath(cliOut, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (Path.GetFileName(file) == "libLibTorchSharp.so") File.Copy(original, target);
            else if (file.EndsWith(".so", StringComparison.Ordinal) || file.Contains(".so.", StringComparison.Ordinal)) File.CreateSymbolicLink(target, file);
            else File.Copy(file, target);
        }

        var info = new ProcessStartInfo("dotnet", ["exec", Path.Combine(_app, "MetaSpike.Cli.dll"), "surrogate", "list"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // An empty package folder keeps TorchSharp from re-assembling natives from the NuGet cache as a fallback.
        info.Environment["NUGET_PACKAGES"] = Path.Combine(_app, "no-packages");
        info.Environment["COLUMNS"] = "400";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(3, process.ExitCode);
        Assert.Contains("MetaSpike could not load libtorch", output);
        Assert.Contains("GLIBCXX_3.4.32", output);
        Assert.Contains("What to do", output);
    }

    private static string NuGetPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
