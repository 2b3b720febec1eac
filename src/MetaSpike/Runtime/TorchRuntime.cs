using System.Runtime.InteropServices;
using TorchSharp;

namespace MetaSpike.Runtime;

/// <summary>
/// Thrown when libtorch (TorchSharp's native back end) cannot be loaded. The message says why and what to do.
/// </summary>
public sealed class TorchRuntimeException : Exception
{
    /// <summary>Creates the exception with a diagnostic message and the original failure.</summary>
    public TorchRuntimeException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>
/// Loads libtorch once, before MetaSpike's first tensor operation, and turns a load failure into an
/// actionable <see cref="TorchRuntimeException"/> instead of TorchSharp's generic message.
/// </summary>
public static class TorchRuntime
{
    private const string RequiredGlibcxx = "GLIBCXX_3.4.32";
    private static readonly object Gate = new();
    private static volatile bool _loaded;

    /// <summary>Ensures libtorch is loaded; cheap after the first successful call.</summary>
    /// <exception cref="TorchRuntimeException">libtorch could not be loaded.</exception>
    public static void EnsureLoaded()
    {
        if (_loaded) return;
        lock (Gate)
        {
            if (_loaded) return;
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is not TorchRuntimeException)
            {
                throw new TorchRuntimeException(Diagnose(e), e);
            }
            _loaded = true;
        }
    }

    private static string Diagnose(Exception failure) => Explain(NativeLoadError() ?? failure.Message);

    /// <summary>The user-facing message for a loader error: what failed and what to do.</summary>
    internal static string Explain(string reason)
    {
        var advice = reason.Contains(RequiredGlibcxx, StringComparison.Ordinal)
            ? $"The system libstdc++ lacks {RequiredGlibcxx}, which TorchSharp 0.107.0's libLibTorchSharp.so asks for. " +
              "MetaSpike's build marks that one requirement weak in the copy in the output folder: rebuild the program " +
              "with 'dotnet build' from a project that imports MetaSpike's build/TorchSharpNativeFix.targets (the " +
              "MetaSpike repository does this for every project), or install a libstdc++ from GCC 13 or newer."
            : "Check that the TorchSharp-cpu 0.107.0 package was restored ('dotnet restore') and that its native " +
              "libraries (libLibTorchSharp.so, libtorch_cpu.so) were copied next to the program under runtimes/.";
        return $"MetaSpike could not load libtorch: {reason}{Environment.NewLine}What to do: {advice}";
    }

    /// <summary>Tries to load libLibTorchSharp directly to obtain the loader's own error text.</summary>
    private static string? NativeLoadError()
    {
        var rid = RuntimeInformation.RuntimeIdentifier;
        var name = OperatingSystem.IsWindows() ? "LibTorchSharp.dll"
            : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so";
        string[] candidates =
        {
            Path.Combine(AppContext.BaseDirectory, name),
            Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native", name),
            Path.Combine(AppContext.BaseDirectory, "runtimes", $"{(OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "osx" : "win")}-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}", "native", name),
        };
        var path = candidates.FirstOrDefault(File.Exists);
        if (path is null) return $"{name} was not found next to the program ({AppContext.BaseDirectory}).";
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
    }
}
