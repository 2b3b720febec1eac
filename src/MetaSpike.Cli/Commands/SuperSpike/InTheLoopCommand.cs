using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.InTheLoop;
using MetaSpike.IO;
using MetaSpike.Neuromorphic;
using MetaSpike.Runtime;
using Spectre.Console;

namespace MetaSpike.Cli.Commands.SuperSpike;

/// <summary>Results of <c>metaspike in-the-loop</c>, written as JSON.</summary>
internal sealed record InTheLoopResults(long Seed, long ChipSeed, double MismatchScale, int Classes, int Inputs, int Hidden, int TrainSamples, int TestSamples,
    int Steps, int BatchSize, double LearningRate, double InitialChipAccuracy, double InTheLoopChipAccuracy, double SoftwareModelAccuracy,
    double DeployedChipAccuracy, double DeployedIdealChipAccuracy, double InTheLoopSeconds, double SoftwareSeconds,
    IReadOnlyList<TrainingStep> InTheLoopCurve, IReadOnlyList<TrainingStep> SoftwareCurve);

/// <summary>
/// <c>metaspike in-the-loop</c>: BPTT with the forward pass on the emulated chip (Cramer et al. 2022) against training
/// the software model alone and deploying its weights to the same chip.
/// </summary>
internal static class InTheLoopCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var d = new InTheLoopSettings();
        var steps = new Option<int>("--steps") { Description = "Training steps (Adam updates) per method.", DefaultValueFactory = _ => d.Steps };
        var batch = new Option<int>("--batch") { Description = "Samples per step (chip trials per run).", DefaultValueFactory = _ => d.BatchSize };
        var hidden = new Option<int>("--hidden") { Description = "Hidden LIF neurons.", DefaultValueFactory = _ => d.Hidden };
        var classes = new Option<int>("--classes") { Description = "Classes of latency patterns.", DefaultValueFactory = _ => d.Task.Classes };
        var inputs = new Option<int>("--inputs") { Description = "Inputs (each fires once per sample).", DefaultValueFactory = _ => d.Task.Inputs };
        var trainSamples = new Option<int>("--train") { Description = "Training samples.", DefaultValueFactory = _ => d.TrainSamples };
        var testSamples = new Option<int>("--test") { Description = "Test samples.", DefaultValueFactory = _ => d.TestSamples };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate (weight units).", DefaultValueFactory = _ => d.LearningRate };
        var beta = new Option<double>("--beta") { Description = "Steepness of the SuperSpike surrogate.", DefaultValueFactory = _ => d.Model.SurrogateSteepness };
        var mismatch = new Option<double>("--mismatch") { Description = "Factor on the chip's typical fixed-pattern mismatch (0: none, 1: typical).", DefaultValueFactory = _ => 1 };
        var seed = new Option<long>("--seed") { Description = "Seed of the task, the initial weights, the batches and the chip's noise.", DefaultValueFactory = _ => 0 };
        var chipSeed = new Option<long?>("--chip-seed") { Description = "Seed of the chip's fixed-pattern mismatch (default: --seed)." };
        var out_ = new Option<string>("--out") { Description = "Folder for in_the_loop.png and results.json.", DefaultValueFactory = _ => "metaspike-in-the-loop" };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0: libtorch's default).", DefaultValueFactory = _ => 1 };
        var command = new Command("in-the-loop", "BPTT in the loop on the emulated chip (Cramer et al. 2022) vs training the software model and deploying it to the chip.")
        {
            steps, batch, hidden, classes, inputs, trainSamples, testSamples, lr, beta, mismatch, seed, chipSeed, out_, threads,
        };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            SurrogateMeta.BilevelTraining.ApplyThreads(parse.GetValue(threads));
            long s = parse.GetValue(seed);
            var settings = d with
            {
                Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch), Hidden = parse.GetValue(hidden), TrainSamples = parse.GetValue(trainSamples),
                TestSamples = parse.GetValue(testSamples), LearningRate = parse.GetValue(lr), Seed = s,
                Task = d.Task with { Classes = parse.GetValue(classes), Inputs = parse.GetValue(inputs) },
                Model = d.Model with { SurrogateSteepness = parse.GetValue(beta) },
            };
            settings.Validate();
            double scale = parse.GetValue(mismatch);
            if (!double.IsFinite(scale) || scale < 0) throw new ArgumentException($"--mismatch must be finite and >= 0, got {scale}.");
            long chip = parse.GetValue(chipSeed) ?? s;
            var folder = parse.GetValue(out_)!;
            Directory.CreateDirectory(folder);
            var options = EmulatorOptions.Realistic(chip, Seeds.Mix(s, 0x4E4F4953L)) with { Mismatch = Scaled(MismatchLevels.Typical, scale) };
            return Run(console, settings, options, scale, chip, folder);
        });
        return command;
    }

    private static int Run(IAnsiConsole console, InTheLoopSettings settings, EmulatorOptions options, double scale, long chipSeed, string folder)
    {
        var task = settings.Task;
        console.MarkupLineInterpolated($"task: {task.Classes} classes of {task.Inputs} latency-coded inputs in {task.DurationUs} µs; {settings.TrainSamples} training and {settings.TestSamples} test samples; {settings.Hidden} hidden LIF neurons, {task.Classes} leaky-integrator outputs");
        console.MarkupLineInterpolated($"chip: realistic, chip seed {chipSeed}, mismatch x{scale}; model grid {settings.Model.DtUs} µs; {settings.Steps} Adam steps (lr {settings.LearningRate}) of {settings.BatchSize} samples per method");
        InTheLoopComparison result = null!;
        console.MainThreadProgress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<TrainingMode, ProgressTask>
                {
                    [TrainingMode.InTheLoop] = ctx.AddTask("in the loop", maxValue: settings.Steps),
                    [TrainingMode.SoftwareOnly] = ctx.AddTask("software only", maxValue: settings.Steps),
                };
                result = InTheLoopExperiment.Run(settings, options, (mode, step) =>
                {
                    var t = tasks[mode];
                    t.Value = step.Step;
                    t.Description = I($"{(mode == TrainingMode.InTheLoop ? "in the loop  " : "software only")} step {step.Step,3} loss {step.Loss:F3} acc {step.BatchAccuracy:F2}");
                    ctx.Refresh();
                });
            });
        var table = new Table().Title("Test accuracy on the emulated chip (measured)").AddColumn("weights").AddColumn(new TableColumn("accuracy").RightAligned());
        table.AddRow("initial (untrained)", Percent(result.InitialChipAccuracy));
        table.AddRow(I($"trained in the loop ({result.InTheLoop.Seconds:F1} s)"), Percent(result.InTheLoopChipAccuracy));
        table.AddRow(I($"trained in software ({result.Software.Seconds:F1} s), on the software model"), Percent(result.SoftwareModelAccuracy));
        table.AddRow("trained in software, deployed to the chip", Percent(result.DeployedChipAccuracy));
        table.AddRow("trained in software, deployed to an ideal chip", Percent(result.DeployedIdealChipAccuracy));
        console.Write(table);
        console.MarkupLineInterpolated($"chance: {Percent(1.0 / task.Classes)}; in the loop vs deployed: [bold]{Percent(result.InTheLoopChipAccuracy)}[/] vs [bold]{Percent(result.DeployedChipAccuracy)}[/]");

        var png = Path.Combine(folder, "in_the_loop.png");
        AtomicFile.WriteAllBytes(png, SuperSpikePlots.Curves("Batch accuracy during training (in the loop: the chip's; software: the model's)", "batch accuracy",
            [("in the loop", result.InTheLoop.Curve.Select(c => c.BatchAccuracy).ToArray()), ("software only", result.Software.Curve.Select(c => c.BatchAccuracy).ToArray())],
            1.0 / task.Classes));
        var json = Path.Combine(folder, "results.json");
        var results = new InTheLoopResults(settings.Seed, chipSeed, scale, task.Classes, task.Inputs, settings.Hidden, settings.TrainSamples, settings.TestSamples,
            settings.Steps, settings.BatchSize, settings.LearningRate, result.InitialChipAccuracy, result.InTheLoopChipAccuracy, result.SoftwareModelAccuracy,
            result.DeployedChipAccuracy, result.DeployedIdealChipAccuracy, result.InTheLoop.Seconds, result.Software.Seconds, result.InTheLoop.Curve, result.Software.Curve);
        AtomicFile.WriteAllText(json, JsonSerializer.Serialize(results, JsonOptions.Indented));
        console.MarkupLine($"wrote [green]{Markup.Escape(png)}[/] and [green]{Markup.Escape(json)}[/]");
        result.InTheLoop.InputWeights.Dispose();
        result.InTheLoop.OutputWeights.Dispose();
        result.Software.InputWeights.Dispose();
        result.Software.OutputWeights.Dispose();
        return 0;
    }

    /// <summary>Every level of <paramref name="levels"/> times <paramref name="factor"/>.</summary>
    private static MismatchLevels Scaled(MismatchLevels levels, double factor) => levels with
    {
        TauMemRelative = levels.TauMemRelative * factor, TauSynRelative = levels.TauSynRelative * factor, LeakLsb = levels.LeakLsb * factor,
        ResetLsb = levels.ResetLsb * factor, ThresholdLsb = levels.ThresholdLsb * factor, SynapticGainRelative = levels.SynapticGainRelative * factor,
    };

    private static string Percent(double x) => (100 * x).ToString("F1", CultureInfo.InvariantCulture) + " %";

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
