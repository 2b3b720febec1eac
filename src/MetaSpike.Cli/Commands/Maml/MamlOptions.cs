using System.CommandLine;
using System.Globalization;
using MetaSpike.Maml;

namespace MetaSpike.Cli.Commands.Maml;

/// <summary>The options of <c>metaspike maml</c> and how they become a <see cref="MamlConfig"/>.</summary>
internal sealed class MamlOptions
{
    private static readonly MamlConfig D = new();

    public Option<string> Dataset { get; } = new("--dataset") { Description = $"glyphs (built-in, offline), double-fashion-mnist (IDX folder, default /usr/share/datasets/fashion-mnist), double-nmnist, double-asl-dvs, n-omniglot (downloaded folders, --data).", DefaultValueFactory = _ => D.Dataset };
    public Option<string?> Data { get; } = new("--data") { Description = "Folder of the downloaded dataset." };
    public Option<int> Classes { get; } = new("--classes") { Description = "Glyph classes generated (split 64/16/20 %).", DefaultValueFactory = _ => D.GlyphClasses };
    public Option<double> WriterVariation { get; } = new("--writer-variation") { Description = "Glyphs: writer variation between instances of a character, a factor on the generator's defaults (0: identical).", DefaultValueFactory = _ => D.WriterVariation };
    public Option<int?> TimeSteps { get; } = new("--time-steps") { Description = "T, steps per sample (default: glyphs 50, others 100)." };
    public Option<double?> BinMs { get; } = new("--bin-ms") { Description = "Event time per step in ms (default: glyphs 2, others as the dataset's binning)." };
    public Option<int> Ways { get; } = new("--ways") { Description = "N, classes per task.", DefaultValueFactory = _ => D.Ways };
    public Option<int> Shots { get; } = new("--shots") { Description = "K, support samples per class.", DefaultValueFactory = _ => D.Shots };
    public Option<int> Queries { get; } = new("--queries") { Description = "Query samples per class.", DefaultValueFactory = _ => D.Queries };
    public Option<string> Network { get; } = new("--network") { Description = "conv (the paper's SNN), dense (workloads.md (b)), cnn (non-spiking, event counts).", DefaultValueFactory = _ => D.Network };
    public Option<string?> Filters { get; } = new("--filters") { Description = "Conv filters per stage, e.g. 32,64,128 (the paper; default for glyphs 16,32,64)." };
    public Option<int?> Window { get; } = new("--window") { Description = "Steps at the end with gradient; the rest is burn-in (default 30, glyphs 20)." };
    public Option<double> Gain { get; } = new("--gain") { Description = "Input gain (the paper: 10).", DefaultValueFactory = _ => D.Gain };
    public Option<double> InitRate { get; } = new("--init-rate") { Description = "Target firing rate of the layer-wise activity initialisation (0: off).", DefaultValueFactory = _ => D.InitRate };
    public Option<int> PretrainSteps { get; } = new("--pretrain-steps") { Description = "Transfer baseline: Adam steps of pre-training on the meta-train classes.", DefaultValueFactory = _ => D.PretrainSteps };
    public Option<double> PretrainLr { get; } = new("--pretrain-lr") { Description = "Transfer baseline: pre-training Adam learning rate.", DefaultValueFactory = _ => D.PretrainLr };
    public Option<int> Hidden { get; } = new("--hidden") { Description = "Hidden neurons of the dense network.", DefaultValueFactory = _ => D.Hidden };
    public Option<string> Algorithm { get; } = new("--algorithm") { Description = "maml (second order), fomaml, reptile.", DefaultValueFactory = _ => "maml" };
    public Option<int> InnerSteps { get; } = new("--inner-steps") { Description = "Inner SGD steps in meta-training.", DefaultValueFactory = _ => D.Inner.Steps };
    public Option<double?> InnerLr { get; } = new("--inner-lr") { Description = $"Inner SGD step size (start value when learnt; default {MamlConfig.SnnInnerLr} for the SNNs, {MamlConfig.CnnInnerLr} for the CNN)." };
    public Option<string> InnerRate { get; } = new("--inner-rate") { Description = "fixed, per-tensor (learnt per layer) or per-element (Meta-SGD).", DefaultValueFactory = _ => "per-tensor" };
    public Option<int?> TestInnerSteps { get; } = new("--test-inner-steps") { Description = "Inner steps at meta-test time (default: as in training)." };
    public Option<int> Freeze { get; } = new("--freeze") { Description = "Weight layers (from the input) frozen in the inner loop.", DefaultValueFactory = _ => 0 };
    public Option<double?> Threshold { get; } = new("--threshold") { Description = "Thresholded inner updates (Eq. 6): fraction of the update-magnitude range, e.g. 0.05." };
    public Option<string?> QIn { get; } = new("--q-in") { Description = "Inner-loop weight quantisation, bits with optional 's' for stochastic rounding (e.g. 2s, 4, 8)." };
    public Option<string?> QOut { get; } = new("--q-out") { Description = "Outer-loop (meta-parameter) weight quantisation, e.g. 4 or 8s." };
    public Option<bool> Soel { get; } = new("--soel") { Description = "Error-triggered plasticity (SOEL) for the head, body frozen in the inner loop, threshold meta-learnt." };
    public Option<double> SoelThreshold { get; } = new("--soel-threshold") { Description = "SOEL threshold start value.", DefaultValueFactory = _ => 0.05 };
    public Option<int> MetaBatch { get; } = new("--meta-batch") { Description = "Tasks per meta-update.", DefaultValueFactory = _ => D.MetaBatch };
    public Option<double> OuterLr { get; } = new("--outer-lr") { Description = "Outer Adam learning rate (cosine-annealed to 1/50).", DefaultValueFactory = _ => D.OuterLr };
    public Option<int> Iterations { get; } = new("--iterations") { Description = "Meta-iterations.", DefaultValueFactory = _ => D.Iterations };
    public Option<int> ValidateEvery { get; } = new("--validate-every") { Description = "Meta-iterations between validations (model selection).", DefaultValueFactory = _ => D.ValidateEvery };
    public Option<int> ValidationTasks { get; } = new("--validation-tasks") { Description = "Meta-validation tasks per validation.", DefaultValueFactory = _ => D.ValidationTasks };
    public Option<int> Trials { get; } = new("--trials") { Description = "Meta-test trials (mean ± std over trials).", DefaultValueFactory = _ => D.Trials };
    public Option<int> TasksPerTrial { get; } = new("--tasks-per-trial") { Description = "Meta-test tasks per trial.", DefaultValueFactory = _ => D.TasksPerTrial };
    public Option<string> Sweep { get; } = new("--sweep") { Description = "Inner-step counts evaluated at test time.", DefaultValueFactory = _ => string.Join(",", D.Sweep) };
    public Option<string?> Experiment { get; } = new("--experiment") { Description = $"Run one of the paper's experiments instead: {string.Join(", ", MamlExperiments.Names)}." };
    public Option<long> Seed { get; } = new("--seed") { Description = "Seed of the class split, tasks, weights and stochastic rounding.", DefaultValueFactory = _ => 0 };
    public Option<string> Out { get; } = new("--out") { Description = "Output folder (figures, results.json, checkpoints).", DefaultValueFactory = _ => D.Out };
    public Option<bool> Fresh { get; } = new("--fresh") { Description = "Ignore existing checkpoints in the output folder and start over." };
    public Option<string> Device { get; } = new("--device") { Description = "cpu, or cuda[:N] with a CUDA build of TorchSharp.", DefaultValueFactory = _ => D.Device };
    public Option<bool> Fused { get; } = new("--fused") { Description = "Run the spiking neurons, synapses and readout with the fused CPU kernels (same results, faster meta-steps)." };
    public Option<int> Threads { get; } = new("--threads") { Description = "libtorch intra-op threads (0: libtorch's default).", DefaultValueFactory = _ => 2 };

    public void AddTo(Command command)
    {
        foreach (var property in GetType().GetProperties())
            if (property.GetValue(this) is Option option) command.Options.Add(option);
    }

    public MamlConfig Read(ParseResult p)
    {
        var qIn = p.GetValue(QIn);
        var qOut = p.GetValue(QOut);
        var inner = new InnerLoopSettings
        {
            Steps = p.GetValue(InnerSteps),
            LearningRate = p.GetValue(InnerLr) ?? MamlConfig.DefaultInnerLr(p.GetValue(Network)!),
            RateKind = p.GetValue(InnerRate) switch
            {
                "fixed" => InnerRateKind.Fixed,
                "per-tensor" => InnerRateKind.PerTensor,
                "per-element" => InnerRateKind.PerElement,
                var s => throw new ArgumentException($"--inner-rate must be fixed, per-tensor or per-element, got '{s}'."),
            },
            FrozenLayers = p.GetValue(Freeze),
            UpdateThreshold = p.GetValue(Threshold),
            Quantizer = qIn is null ? null : WeightQuantizer.Parse(qIn),
            Soel = p.GetValue(Soel) ? new SoelSettings(p.GetValue(SoelThreshold)) : null,
        };
        return new MamlConfig
        {
            Dataset = p.GetValue(Dataset)!,
            DataPath = p.GetValue(Data),
            GlyphClasses = p.GetValue(Classes),
            WriterVariation = p.GetValue(WriterVariation),
            TimeSteps = p.GetValue(TimeSteps),
            BinMs = p.GetValue(BinMs),
            Ways = p.GetValue(Ways),
            Shots = p.GetValue(Shots),
            Queries = p.GetValue(Queries),
            Network = p.GetValue(Network)!,
            Filters = ParseList(p.GetValue(Filters), "--filters"),
            Window = p.GetValue(Window),
            Gain = p.GetValue(Gain),
            InitRate = p.GetValue(InitRate),
            Hidden = p.GetValue(Hidden),
            PretrainSteps = p.GetValue(PretrainSteps),
            PretrainLr = p.GetValue(PretrainLr),
            Algorithm = p.GetValue(Algorithm) switch
            {
                "maml" => MetaAlgorithm.Maml,
                "fomaml" => MetaAlgorithm.FirstOrderMaml,
                "reptile" => MetaAlgorithm.Reptile,
                var s => throw new ArgumentException($"--algorithm must be maml, fomaml or reptile, got '{s}'."),
            },
            Inner = inner,
            InnerLrGiven = p.GetValue(InnerLr),
            TestInnerSteps = p.GetValue(TestInnerSteps),
            MetaBatch = p.GetValue(MetaBatch),
            OuterLr = p.GetValue(OuterLr),
            Iterations = p.GetValue(Iterations),
            OuterQuantizer = qOut is null ? null : WeightQuantizer.Parse(qOut),
            ValidateEvery = p.GetValue(ValidateEvery),
            ValidationTasks = p.GetValue(ValidationTasks),
            Trials = p.GetValue(Trials),
            TasksPerTrial = p.GetValue(TasksPerTrial),
            Sweep = ParseList(p.GetValue(Sweep), "--sweep") ?? [],
            Experiment = p.GetValue(Experiment),
            Seed = p.GetValue(Seed),
            Out = p.GetValue(Out)!,
            Fresh = p.GetValue(Fresh),
            Device = p.GetValue(Device)!,
            Fused = p.GetValue(Fused),
        };
    }

    private static IReadOnlyList<int>? ParseList(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return text.Split(',', StringSplitOptions.TrimEntries).Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new ArgumentException($"{option} takes comma-separated integers, got '{text}'.")).ToArray();
    }
}
