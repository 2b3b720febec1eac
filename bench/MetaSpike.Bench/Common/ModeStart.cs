using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Bench.Common;

/// <summary>What every plain bench mode does before measuring: help, argument errors, libtorch, threads, float32.</summary>
internal static class ModeStart
{
    /// <summary>
    /// Parses <paramref name="args"/>; prints <paramref name="usage"/> for --help (exit code 0) or the parse error
    /// (exit code 2), else loads libtorch, sets the thread count and float32, and returns null with the options.
    /// </summary>
    public static int? Prepare<T>(IReadOnlyList<string> args, string usage, Func<IReadOnlyList<string>, T> parse, Func<T, int> threads, out T options)
    {
        options = default!;
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(usage);
            return 0;
        }
        try
        {
            options = parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        TorchRuntime.EnsureLoaded();
        set_num_threads(threads(options));
        set_default_dtype(ScalarType.Float32);
        return null;
    }
}
