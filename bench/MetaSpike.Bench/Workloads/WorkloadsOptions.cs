using System.Globalization;

namespace MetaSpike.Bench.Workloads;

/// <summary>Which paths a <c>workloads</c> run times.</summary>
internal enum PathChoice
{
    /// <summary>Unfused and fused, interleaved, with their ratio.</summary>
    Both,

    /// <summary>The fused kernels only.</summary>
    Fused,

    /// <summary>The tensor-operation reference path only.</summary>
    Unfused,
}

/// <summary>The command line of the <c>workloads</c> mode.</summary>
internal sealed record WorkloadsOptions
{
    /// <summary>Workloads to run, of "a", "b", "c".</summary>
    public IReadOnlyList<string> Only { get; init; } = ["a", "b", "c"];

    /// <summary>Only cases whose name contains one of these (case-insensitive); empty: all.</summary>
    public IReadOnlyList<string> Cases { get; init; } = [];

    /// <summary>Timed repetitions per case and path (spec/workloads.md: at least 10).</summary>
    public int Reps { get; init; } = 10;

    /// <summary>Untimed repetitions per case and path first.</summary>
    public int Warmup { get; init; } = 2;

    /// <summary>Least seconds of untimed repetitions per case (all paths together), so the JIT's optimised code is what gets timed.</summary>
    public double WarmupSeconds { get; init; } = 3;

    /// <summary>torch's intra-op threads (spec/workloads.md: 2).</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Fused, unfused or both.</summary>
    public PathChoice Paths { get; init; } = PathChoice.Both;

    /// <summary>Where the JSON record goes.</summary>
    public string Json { get; init; } = Path.Combine("bench-results", "workloads.json");

    /// <summary>Whether the figures meet the spec's "at least 10 repetitions".</summary>
    public bool SpecConforming => Reps >= 10;

    /// <summary>The usage text.</summary>
    public const string Usage = """
        workloads: the three workloads of spec/workloads.md, ms per step (median, min, max), fused vs unfused.

          --only LIST     a, b and/or c, comma-separated (default a,b,c)
          --cases LIST    only cases whose name contains one of these, e.g. "B=5,Q=5" (default all)
          --reps N        timed repetitions per case and path (default 10; the spec asks for at least 10)
          --warmup N      untimed repetitions per case and path first, at least (default 2)
          --warmup-seconds S  and at least this long per case (default 3; .NET re-optimises hot code after ~30 calls)
          --threads N     torch threads (default 2)
          --fused         time the fused kernels only
          --unfused       time the unfused tensor-operation path only
          --both          both, interleaved, with their ratio (default)
          --json PATH     JSON record (default bench-results/workloads.json)
        """;

    /// <summary>Parses the arguments after the mode name.</summary>
    /// <exception cref="ArgumentException">An unknown option, a missing or bad value.</exception>
    public static WorkloadsOptions Parse(IReadOnlyList<string> args)
    {
        var options = new WorkloadsOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"workloads: {name} needs a value.");
            int Count() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                ? n : throw new ArgumentException($"workloads: {name} needs a non-negative whole number, got '{args[i]}'.");
            options = name switch
            {
                "--only" => options with { Only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(w => w.ToLowerInvariant()).Distinct().ToArray() },
                "--cases" => options with { Cases = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--reps" => options with { Reps = Count() },
                "--warmup" => options with { Warmup = Count() },
                "--warmup-seconds" => options with
                {
                    WarmupSeconds = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0 && double.IsFinite(s)
                        ? s : throw new ArgumentException($"workloads: {name} needs a non-negative number of seconds, got '{args[i]}'."),
                },
                "--threads" => options with { Threads = Count() },
                "--fused" => options with { Paths = PathChoice.Fused },
                "--unfused" => options with { Paths = PathChoice.Unfused },
                "--both" => options with { Paths = PathChoice.Both },
                "--json" => options with { Json = Value() },
                _ => throw new ArgumentException($"workloads: unknown option '{name}'.\n{Usage}"),
            };
        }
        if (options.Only.Count == 0 || options.Only.Any(w => w is not ("a" or "b" or "c")))
            throw new ArgumentException($"workloads: --only takes a, b and/or c, got '{string.Join(",", options.Only)}'.");
        if (options.Reps < 1) throw new ArgumentException("workloads: --reps must be at least 1.");
        if (options.Threads < 1) throw new ArgumentException("workloads: --threads must be at least 1.");
        if (string.IsNullOrWhiteSpace(options.Json)) throw new ArgumentException("workloads: --json needs a path.");
        return options;
    }

    /// <summary>Whether the case named <paramref name="name"/> runs (see <see cref="Cases"/>).</summary>
    public bool Selects(string name) => Cases.Count == 0 || Cases.Any(c => name.Contains(c, StringComparison.OrdinalIgnoreCase));

    /// <summary>The fused settings to time, in order (unfused first).</summary>
    public IReadOnlyList<bool> FusedSettings => Paths switch
    {
        PathChoice.Fused => [true],
        PathChoice.Unfused => [false],
        _ => [false, true],
    };
}
