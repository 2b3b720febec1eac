using MetaSpike.Maml;

namespace MetaSpike.Cli.Commands.Maml;

/// <summary>Everything <c>metaspike maml</c> was asked to do, after parsing (defaults: the built-in glyph job).</summary>
internal sealed record MamlConfig
{
    public string Dataset { get; init; } = "glyphs";
    public string? DataPath { get; init; }
    public int GlyphClasses { get; init; } = 1000;

    /// <summary>Glyphs: factor on the generator's writer variation (<see cref="Data.Generators.GlyphOptions.WithWriterVariation"/>).</summary>
    public double WriterVariation { get; init; } = DefaultWriterVariation;
    public int? TimeSteps { get; init; }
    public double? BinMs { get; init; }
    public int Ways { get; init; } = 5;
    public int Shots { get; init; } = 1;
    public int Queries { get; init; } = 5;
    public string Network { get; init; } = "conv";
    public IReadOnlyList<int>? Filters { get; init; }
    public int? Window { get; init; }
    public double Gain { get; init; } = 10;
    public double InitRate { get; init; } = 0.05;
    public int Hidden { get; init; } = 128;

    /// <summary>Transfer baseline: pre-training steps (measured on glyphs: at lr 1e-3, 750 steps silenced the SNN body).</summary>
    public int PretrainSteps { get; init; } = 300;

    /// <summary>Transfer baseline: pre-training Adam learning rate.</summary>
    public double PretrainLr { get; init; } = 1e-4;
    public MetaAlgorithm Algorithm { get; init; } = MetaAlgorithm.Maml;
    public InnerLoopSettings Inner { get; init; } = new() { LearningRate = SnnInnerLr, RateKind = InnerRateKind.PerTensor };

    /// <summary>The --inner-lr the user gave, if any (else each network gets its own default).</summary>
    public double? InnerLrGiven { get; init; }
    public int? TestInnerSteps { get; init; }
    public int MetaBatch { get; init; } = 1;
    public double OuterLr { get; init; } = 0.002;
    public int Iterations { get; init; } = 1500;
    public WeightQuantizer? OuterQuantizer { get; init; }
    public int ValidateEvery { get; init; } = 250;
    public int ValidationTasks { get; init; } = 20;
    public int Trials { get; init; } = 10;
    public int TasksPerTrial { get; init; } = 20;
    public IReadOnlyList<int> Sweep { get; init; } = [0, 1, 2, 3, 5];
    public long Seed { get; init; }
    public string Out { get; init; } = "metaspike-maml";
    public bool Fresh { get; init; }
    public string Device { get; init; } = "cpu";
    public bool Fused { get; init; }
    public string? Experiment { get; init; }

    /// <summary>
    /// Default writer variation of the glyphs: measured, 5-way 1-shot nearest-neighbour matching of event counts gets
    /// 92.9 % of meta-test tasks right at 1 (template matching solves them) and 44.4 % at 3, near what pixel matching
    /// gets on Omniglot, the handwriting benchmark the glyphs imitate.
    /// </summary>
    public const double DefaultWriterVariation = 3;

    /// <summary>Default inner step size of the SNNs (the surrogate gradient through 20 steps is small: lr 0.1 and 1 stayed at chance).</summary>
    public const double SnnInnerLr = 5.0;

    /// <summary>Default inner step size of the event-count CNN (measured on glyphs; lr 5 diverges in one step).</summary>
    public const double CnnInnerLr = 0.4;

    /// <summary>The default inner step size for <paramref name="network"/>.</summary>
    public static double DefaultInnerLr(string network) => network == "cnn" ? CnnInnerLr : SnnInnerLr;

    /// <summary>This configuration with another network, whose default inner step size applies unless --inner-lr was given.</summary>
    public MamlConfig WithNetwork(string network) =>
        this with { Network = network, Inner = Inner with { LearningRate = InnerLrGiven ?? DefaultInnerLr(network) } };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Ways < 2) throw new ArgumentException($"--ways must be at least 2, got {Ways}.");
        if (Shots < 1) throw new ArgumentException($"--shots must be at least 1, got {Shots}.");
        if (Queries < 1) throw new ArgumentException($"--queries must be at least 1, got {Queries}.");
        if (GlyphClasses < 10) throw new ArgumentException($"--classes must be at least 10, got {GlyphClasses}.");
        if (!(WriterVariation >= 0) || !double.IsFinite(WriterVariation)) throw new ArgumentException($"--writer-variation must be a non-negative number, got {WriterVariation}.");
        if (TimeSteps is < 1) throw new ArgumentException($"--time-steps must be at least 1, got {TimeSteps}.");
        if (BinMs is { } b && !(b > 0 && double.IsFinite(b))) throw new ArgumentException($"--bin-ms must be > 0, got {b}.");
        if (!double.IsFinite(Gain) || Gain <= 0) throw new ArgumentException($"--gain must be > 0, got {Gain}.");
        if (!double.IsFinite(InitRate) || InitRate < 0 || InitRate >= 1) throw new ArgumentException($"--init-rate must be in [0, 1) (0: no activity initialisation), got {InitRate}.");
        if (PretrainSteps < 0) throw new ArgumentException($"--pretrain-steps must be >= 0, got {PretrainSteps}.");
        if (!double.IsFinite(PretrainLr) || PretrainLr <= 0) throw new ArgumentException($"--pretrain-lr must be finite and > 0, got {PretrainLr}.");
        if (Hidden < 1) throw new ArgumentException($"--hidden must be at least 1, got {Hidden}.");
        if (TestInnerSteps is < 0) throw new ArgumentException($"--test-inner-steps must be >= 0, got {TestInnerSteps}.");
        if (Trials < 1 || TasksPerTrial < 1) throw new ArgumentException($"--trials and --tasks-per-trial must be at least 1, got {Trials} and {TasksPerTrial}.");
        if (Sweep.Any(s => s < 0)) throw new ArgumentException("--sweep lists inner-step counts >= 0.");
        Settings().Validate();
    }

    /// <summary>The outer loop's settings.</summary>
    public MetaTrainingSettings Settings() => new()
    {
        Algorithm = Algorithm,
        Inner = Inner,
        MetaBatch = MetaBatch,
        OuterLearningRate = OuterLr,
        Iterations = Math.Max(1, Iterations),
        OuterQuantizer = OuterQuantizer,
    };
}
