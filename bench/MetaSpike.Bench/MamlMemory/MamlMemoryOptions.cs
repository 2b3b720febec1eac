using System.Globalization;
using MetaSpike.Bench.Workloads;

namespace MetaSpike.Bench.MamlMemory;

/// <summary>The command line of the <c>maml-memory</c> mode.</summary>
internal sealed record MamlMemoryOptions
{
    /// <summary>Workload (c): the conv SNN (a second-order step takes seconds, so few steps).</summary>
    public StepCounts Conv { get; init; } = new(8, 3);

    /// <summary>Workload (b): the small dense SNN.</summary>
    public StepCounts Dense { get; init; } = new(30, 5);

    /// <summary>Which workloads run: "conv" (the paper's neuron), "conv-spec" (the spec's Expon + LIF neuron), "dense".</summary>
    public IReadOnlyList<string> Workloads { get; init; } = ["conv", "dense"];

    /// <summary>torch's intra-op threads (spec/workloads.md: 2).</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Trim glibc's free memory before each step's baseline.</summary>
    public bool Trim { get; init; } = true;

    /// <summary>Where the JSON goes.</summary>
    public string Out { get; init; } = Path.Combine("bench-results", "maml-memory.json");

    /// <summary>The usage text.</summary>
    public const string Usage = """
        maml-memory: time and peak process memory per MAML meta-step, second order vs first order,
        for the conv SNN of spec/workloads.md (c) and the dense SNN of (b).

          --iterations N         meta-steps per algorithm for both workloads (conv default 8, dense 30)
          --conv-iterations N    meta-steps per algorithm, conv and conv-spec
          --dense-iterations N   meta-steps per algorithm, dense only
          --conv-warmup N        leading conv steps left out of the statistics (default 3)
          --dense-warmup N       leading dense steps left out of the statistics (default 5)
          --workloads LIST       conv,dense (default both); conv-spec: workload (c) with the spec's Expon+LIF neuron
          --threads N            torch threads (default 2)
          --no-trim              do not return glibc's free memory to the system before each step
          --out PATH             JSON of the figures (default bench-results/maml-memory.json)
        """;

    /// <summary>Parses the arguments after the mode name.</summary>
    /// <exception cref="ArgumentException">An unknown option, a missing or bad value, or inconsistent counts.</exception>
    public static MamlMemoryOptions Parse(IReadOnlyList<string> args)
    {
        var options = new MamlMemoryOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"maml-memory: {name} needs a value.");
            int Count() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                ? n : throw new ArgumentException($"maml-memory: {name} needs a non-negative whole number, got '{args[i]}'.");
            options = name switch
            {
                "--iterations" => options.WithIterations(Count()),
                "--conv-iterations" => options with { Conv = options.Conv with { Iterations = Count() } },
                "--dense-iterations" => options with { Dense = options.Dense with { Iterations = Count() } },
                "--conv-warmup" => options with { Conv = options.Conv with { Warmup = Count() } },
                "--dense-warmup" => options with { Dense = options.Dense with { Warmup = Count() } },
                "--workloads" => options with { Workloads = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--threads" => options with { Threads = Count() },
                "--no-trim" => options with { Trim = false },
                "--out" => options with { Out = Value() },
                _ => throw new ArgumentException($"maml-memory: unknown option '{name}'.\n{Usage}"),
            };
        }
        options.Validate();
        return options;
    }

    private MamlMemoryOptions WithIterations(int n) => this with { Conv = Conv with { Iterations = n }, Dense = Dense with { Iterations = n } };

    private void Validate()
    {
        foreach (var (name, counts) in new[] { ("conv", Conv), ("dense", Dense) })
            if (counts.Warmup < 0 || counts.Measured < 1)
                throw new ArgumentException($"maml-memory: {name} needs more iterations ({counts.Iterations}) than warm-up steps ({counts.Warmup}).");
        if (Workloads.Count == 0 || Workloads.Any(w => w is not ("conv" or "conv-spec" or "dense")))
            throw new ArgumentException($"maml-memory: --workloads takes conv, conv-spec and/or dense, got '{string.Join(",", Workloads)}'.");
        if (Threads < 1) throw new ArgumentException($"maml-memory: --threads must be at least 1, got {Threads}.");
        if (string.IsNullOrWhiteSpace(Out)) throw new ArgumentException("maml-memory: --out needs a path.");
    }
}
