using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MetaSpike.IO;
using MetaSpike.MetaLearning;
using MetaSpike.Surrogates;
using MetaSpike.Training;
using Spectre.Console;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>The spike-count task as results.json records it.</summary>
internal sealed record SpikeCountTaskSummary(int Inputs, int Patterns, int TimeSteps, double DtMs, double TauMs, double ActiveRateHz, double BackgroundRateHz,
    double ActiveFraction, long Seed, IReadOnlyList<double> Targets, string Neuron, string Loss)
{
    public static SpikeCountTaskSummary Of(SpikingRegressionTask task)
    {
        var o = task.Options;
        return new SpikeCountTaskSummary(o.Inputs, o.Patterns, o.TimeSteps, o.DtMs, o.TauMs, o.ActiveRateHz, o.BackgroundRateHz, o.ActiveFraction, o.Seed,
            task.Targets.to_type(TorchSharp.torch.ScalarType.Float64).data<double>().ToArray(),
            "LIF, voltage-jump input, tau = 10 ms, threshold 1, hard reset (detached)",
            "mean over patterns of (spike count - target count)^2; targets are a teacher neuron's counts");
    }
}

/// <summary>Settings shared by the training scenarios, read from their common options.</summary>
internal sealed record JointTrainingSettings(string Folder, SpikingRegressionOptions Task, JointTrainingOptions Training, HyperGradientMode HyperGradient)
{
    public string ModeName => JointTrainingCli.ModeName(HyperGradient);
}

/// <summary>The options, progress display, tables and output files that the joint-training scenarios share.</summary>
internal sealed class JointTrainingCli
{
    private readonly Option<int> _steps;
    private readonly Option<long> _seed;
    private readonly Option<string> _out;
    private readonly Option<int> _patterns;
    private readonly Option<double> _lrWeights;
    private readonly Option<double> _lrHyper;
    private readonly Option<string> _hyperGradient;

    public JointTrainingCli(string defaultFolder, int defaultSteps = 200)
    {
        _steps = new Option<int>("--steps") { Description = "Training steps (one full batch of every pattern each).", DefaultValueFactory = _ => defaultSteps };
        _seed = new Option<long>("--seed") { Description = "Seed of the input spikes, the teacher and the initial weights.", DefaultValueFactory = _ => 0 };
        _out = new Option<string>("--out") { Description = "Folder for the PNG figures and results.json.", DefaultValueFactory = _ => defaultFolder };
        _patterns = new Option<int>("--patterns") { Description = "Input patterns, each with its own target spike count.", DefaultValueFactory = _ => 16 };
        _lrWeights = new Option<double>("--lr-weights") { Description = "Learning rate of the weights (plain gradient descent).", DefaultValueFactory = _ => 5e-4 };
        _lrHyper = new Option<double>("--lr-hyper") { Description = "Learning rate of the learned hyperparameters (Adam on their softplus-inverse).", DefaultValueFactory = _ => 0.05 };
        _hyperGradient = new Option<string>("--hyper-gradient")
        {
            Description = "The gradient a learned hyperparameter receives through a spike: 'braintools' (dG/dtheta, braintools' rule) or 'straight-through' (dF/dtheta).",
            DefaultValueFactory = _ => "braintools",
        };
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _steps, _seed, _out, _patterns, _lrWeights, _lrHyper, _hyperGradient }) command.Options.Add(option);
    }

    public JointTrainingSettings Read(ParseResult parse)
    {
        int steps = parse.GetValue(_steps);
        if (steps < 1) throw new ArgumentException($"--steps must be >= 1, got {steps}.");
        int patterns = parse.GetValue(_patterns);
        if (patterns < 1) throw new ArgumentException($"--patterns must be >= 1, got {patterns}.");
        double lrWeights = parse.GetValue(_lrWeights), lrHyper = parse.GetValue(_lrHyper);
        if (!(lrWeights > 0) || !double.IsFinite(lrWeights)) throw new ArgumentException($"--lr-weights must be finite and > 0, got {Text(lrWeights)}.");
        if (!(lrHyper > 0) || !double.IsFinite(lrHyper)) throw new ArgumentException($"--lr-hyper must be finite and > 0, got {Text(lrHyper)}.");
        var mode = parse.GetValue(_hyperGradient)!.Trim().ToLowerInvariant() switch
        {
            "braintools" or "braintools-compatible" => HyperGradientMode.BraintoolsCompatible,
            "straight-through" or "straightthrough" or "ste" => HyperGradientMode.StraightThrough,
            var other => throw new ArgumentException($"--hyper-gradient must be 'braintools' or 'straight-through', got '{other}'."),
        };
        var folder = parse.GetValue(_out)!;
        Directory.CreateDirectory(folder);
        var training = new JointTrainingOptions
        {
            Steps = steps,
            WeightOptimizer = new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = lrWeights },
            HyperOptimizer = new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = lrHyper },
        };
        return new JointTrainingSettings(folder, new SpikingRegressionOptions { Patterns = patterns, Seed = parse.GetValue(_seed) }, training, mode);
    }

    public static string ModeName(HyperGradientMode mode) => mode == HyperGradientMode.StraightThrough ? "straight-through" : "braintools";

    /// <summary>Runs one training with a progress bar per run.</summary>
    public static JointTrainingHistory Train(IAnsiConsole console, string label, SpikingRegressionTask task, SurrogateFunction surrogate,
        IReadOnlyList<SurrogateHyperparameter> hyperparameters, JointTrainingOptions options)
    {
        JointTrainingHistory history = null!;
        console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask(Markup.Escape(label), maxValue: options.Steps);
                history = JointHyperparameterTraining.Run(task, surrogate, hyperparameters, options, step =>
                {
                    bar.Value = step.Step + 1;
                    bar.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{label}: step {step.Step + 1,4} loss {step.Loss,9:F3}"));
                });
            });
        return history;
    }

    /// <summary>The tutorial's step table: loss, each hyperparameter and |w| every few steps, then the final row.</summary>
    public static Table StepTable(string title, JointTrainingHistory run, int rows = 10)
    {
        var names = run.FinalHyperparameters.Keys.ToArray();
        var table = new Table().Title(Markup.Escape(title)).AddColumn(new TableColumn("step").RightAligned()).AddColumn(new TableColumn("loss").RightAligned());
        foreach (var name in names) table.AddColumn(new TableColumn(name).RightAligned());
        table.AddColumn(new TableColumn("|w|").RightAligned());
        int every = Math.Max(1, run.History.Count / rows);
        foreach (var h in run.History.Where(h => h.Step % every == 0))
            table.AddRow([h.Step.ToString(CultureInfo.InvariantCulture), F(h.Loss, "F3"), .. names.Select(n => F(h.Hyperparameters[n], "F4")), F(h.WeightNorm, "F4")]);
        table.AddRow(["final", F(run.FinalLoss, "F3"), .. names.Select(n => F(run.FinalHyperparameters[n], "F4")), "-"]);
        return table;
    }

    /// <summary>Writes results.json and says which files were written.</summary>
    public static void WriteResults(IAnsiConsole console, string folder, object results, params string[] figures)
    {
        var json = Path.Combine(folder, "results.json");
        AtomicFile.WriteAllText(json, JsonSerializer.Serialize(results, JsonOptions.Indented));
        console.MarkupLineInterpolated($"wrote {string.Join(", ", figures.Select(f => Path.Combine(folder, f)))} and {json}");
    }

    /// <summary>Writes a PNG into the folder.</summary>
    public static void WritePng(string folder, string name, byte[] png) => AtomicFile.WriteAllBytes(Path.Combine(folder, name), png);

    /// <summary>Parses a comma-separated list of numbers.</summary>
    public static double[] ParseList(string text, string option)
    {
        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v : throw new ArgumentException($"{option}: '{s}' is not a finite number.")).ToArray();
        return values.Length > 0 ? values : throw new ArgumentException($"{option}: give at least one number.");
    }

    public static string F(double value, string format = "G4") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
