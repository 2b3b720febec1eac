using Spectre.Console;

namespace MetaSpike.Cli;

/// <summary>Progress displays for long libtorch loops.</summary>
internal static class MainThreadProgressExtensions
{
    /// <summary>
    /// A progress display that renders only when the caller calls <c>ctx.Refresh()</c>, on the training thread.
    /// Spectre's automatic refresh renders on a background thread, and its allocations can start a garbage collection
    /// while the training thread is inside a libtorch call; TorchSharp 0.107 lets the finalizer free an implicitly
    /// created <c>Scalar</c> (e.g. the alpha of <c>a + b</c>) during that call, which libtorch then reports as a
    /// "toFloat" error. Keeping every allocation on one thread closes that window.
    /// </summary>
    public static Progress MainThreadProgress(this IAnsiConsole console) => console.Progress().AutoRefresh(false);
}
