using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.InTheLoop;
using MetaSpike.IO;
using MetaSpike.Neuromorphic;
using MetaSpike.OnlineLearning;
using MetaSpike.Runtime;
using Spectre.Console;

namespace MetaSpike.Cli.Commands.SuperSpike;

/// <summary>Results of <c>metaspike superspike</c>, written as JSON.</summary>
internal sealed record SuperSpikeResults(string Chip, long Seed, long ChipSeed, int Epochs, double Eta, double Beta, int Inputs, double DurationUs, double DtUs,
    double RestLsb, double RangeLsb, double LossStart, double LossEnd, double LossReduction, IReadOnlyList<double> TargetSpikesUs,
    IReadOnlyList<double> OutputSpikesUs, IReadOnlyList<SpikeMatch> Matches, double MaxAbsErrorUs, double MeanAbsErrorUs, int Missing, int Extra,
    double Seconds, IReadOnlyList<double> Losses);

/// <summary>
/// <c>metaspike superspike</c>: the BrainScaleS-2 SuperSpike tutorial in the loop on the substrate emulator (a
/// realistic chip by default): one neuron learns to reproduce the spike train it fired under the target weights.
/// </summary>
internal static class SuperSpikeCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var d = new SuperSpikeTutorialSetup();
        var r = new SuperSpikeSettings();
        var epochs = new Option<int>("--epochs") { Description = "Training epochs (one emulator run each).", DefaultValueFactory = _ => 100 };
        var eta = new Option<double>("--eta") { Description = "Learning rate.", DefaultValueFactory = _ => r.Eta };
        var beta = new Option<double>("--beta") { Description = "Steepness of the SuperSpike surrogate.", DefaultValueFactory = _ => r.Beta };
        var inputs = new Option<int>("--inputs") { Description = "Spike sources.", DefaultValueFactory = _ => d.Inputs };
        var duration = new Option<double>("--duration") { Description = "Run duration in µs.", DefaultValueFactory = _ => d.Duration };
        var dt = new Option<double>("--dt") { Description = "Time step in µs (emulator, ADC and learning rule).", DefaultValueFactory = _ => d.Dt };
        var rate = new Option<double>("--rate-khz") { Description = "Bernoulli input rate in kHz (hardware time).", DefaultValueFactory = _ => d.Rate * 1000 };
        var silent = new Option<double>("--silent") { Description = "Input-free time at the end of the run, µs.", DefaultValueFactory = _ => d.SilentEnd };
        var targetMean = new Option<double>("--target-mean") { Description = "Mean of the target weights.", DefaultValueFactory = _ => d.TargetMean };
        var targetStd = new Option<double>("--target-std") { Description = "Standard deviation of the target weights.", DefaultValueFactory = _ => d.TargetStd };
        var initMean = new Option<double>("--init-mean") { Description = "Mean of the initial weights.", DefaultValueFactory = _ => d.InitialMean };
        var initStd = new Option<double>("--init-std") { Description = "Standard deviation of the initial weights.", DefaultValueFactory = _ => d.InitialStd };
        var seed = new Option<long>("--seed") { Description = "Seed of the stimulus, the weights and the chip's temporal noise (seed 0's target makes no spike).", DefaultValueFactory = _ => 1 };
        var chipSeed = new Option<long?>("--chip-seed") { Description = "Seed of the chip's fixed-pattern mismatch (default: --seed)." };
        var ideal = new Option<bool>("--ideal") { Description = "An ideal chip: no mismatch, no noise." };
        var out_ = new Option<string>("--out") { Description = "Folder for the figures and results.json.", DefaultValueFactory = _ => "metaspike-superspike" };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0: libtorch's default).", DefaultValueFactory = _ => 1 };
        var command = new Command("superspike", "The BrainScaleS-2 SuperSpike tutorial in the loop on the substrate emulator: one neuron learns a target spike train.")
        {
            epochs, eta, beta, inputs, duration, dt, rate, silent, targetMean, targetStd, initMean, initStd, seed, chipSeed, ideal, out_, threads,
        };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            int epochCount = parse.GetValue(epochs);
            if (epochCount < 1) throw new ArgumentException($"--epochs must be >= 1, got {epochCount}.");
            SurrogateMeta.BilevelTraining.ApplyThreads(parse.GetValue(threads));
            var setup = new SuperSpikeTutorialSetup
            {
                Inputs = parse.GetValue(inputs), Duration = parse.GetValue(duration), Dt = parse.GetValue(dt), Rate = parse.GetValue(rate) / 1000,
                SilentEnd = parse.GetValue(silent), TargetMean = parse.GetValue(targetMean), TargetStd = parse.GetValue(targetStd),
                InitialMean = parse.GetValue(initMean), InitialStd = parse.GetValue(initStd),
            };
            setup.Validate();
            var settings = new SuperSpikeSettings { Eta = parse.GetValue(eta), Beta = parse.GetValue(beta), Dt = setup.Dt };
            long s = parse.GetValue(seed);
            long chip = parse.GetValue(chipSeed) ?? s;
            bool isIdeal = parse.GetValue(ideal);
            var folder = parse.GetValue(out_)!;
            Directory.CreateDirectory(folder);
            return Run(console, setup, settings, epochCount, s, chip, isIdeal, folder);
        });
        return command;
    }

    private static int Run(IAnsiConsole console, SuperSpikeTutorialSetup setup, SuperSpikeSettings settings, int epochs, long seed, long chipSeed, bool ideal, string folder)
    {
        var options = (ideal ? EmulatorOptions.Ideal : EmulatorOptions.Realistic(chipSeed, Seeds.Mix(seed, 0x4E4F4953L))) with { DtUs = setup.Dt };
        options = options with { Adc = options.Adc with { SamplePeriodUs = setup.Dt } };
        string chipName = ideal ? "ideal chip" : $"realistic chip (chip seed {chipSeed})";
        var clock = Stopwatch.StartNew();
        using var tutorial = new EmulatorSuperSpikeTutorial(new SubstrateEmulator(options), setup, seed);
        var calibration = tutorial.Calibration;
        console.MarkupLineInterpolated($"{chipName}: rest {calibration.ZeroLsb[0]:F1} LSB, dynamic range {calibration.RangeLsb[0]:F1} LSB (measured); {setup.Inputs} inputs, {setup.Duration} µs at dt {setup.Dt} µs");
        console.MarkupLineInterpolated($"target: {tutorial.TargetSpikesUs.Length} spikes at {Times(tutorial.TargetSpikesUs)} µs");
        if (tutorial.TargetSpikesUs.Length == 0)
            console.MarkupLine("[yellow]warning:[/] the target weights make no spike; raise --target-mean or pick another --seed.");

        EmulatorSuperSpikeResult result = null!;
        console.MainThreadProgress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: epochs);
                result = tutorial.Train(epochs, new OnlineLearning.SuperSpike(settings), (e, loss) =>
                {
                    task.Value = e + 1;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {e + 1,4} loss {loss,8:F2}");
                    ctx.Refresh();
                });
            });
        double seconds = clock.Elapsed.TotalSeconds;
        var losses = result.Training.Losses;
        var table = new Table().Title("Loss per epoch (measured, sum |error|)").AddColumn(new TableColumn("epoch").RightAligned())
            .AddColumn(new TableColumn("loss").RightAligned()).AddColumn(new TableColumn("output spikes").RightAligned());
        int every = Math.Max(1, epochs / 10);
        for (int e = 0; e < epochs; e++)
            if (e % every == 0 || e == epochs - 1)
                table.AddRow(I($"{e + 1}"), I($"{losses[e]:F2}"), I($"{result.Training.OutputSpikeCounts[e]}"));
        console.Write(table);

        double reduction = result.Training.LossReduction();
        console.MarkupLineInterpolated($"loss: start [bold]{losses[0]:F2}[/], end [bold]{losses[^1]:F2}[/], fell by [bold]{100 * reduction:F1} %[/] ({epochs} epochs, {seconds:F1} s)");
        var timing = result.Timing;
        var spikes = new Table().Title("Target vs output spike times, last epoch (µs)").AddColumn(new TableColumn("target").RightAligned())
            .AddColumn(new TableColumn("nearest output").RightAligned()).AddColumn(new TableColumn("output - target").RightAligned());
        foreach (var m in timing.Matches) spikes.AddRow(I($"{m.TargetUs:F1}"), I($"{m.OutputUs:F1}"), I($"{m.ErrorUs:+0.0;-0.0;0.0}"));
        console.Write(spikes);
        console.MarkupLineInterpolated($"output spikes: {Times(result.Last.OutputSpikesUs)} µs");
        console.MarkupLineInterpolated($"spike timing: max |dt| [bold]{timing.MaxAbsErrorUs:F1} µs[/], mean |dt| [bold]{timing.MeanAbsErrorUs:F1} µs[/], missing {timing.Missing}, extra {timing.Extra}");

        var files = new List<string>();
        void Write(string name, byte[] png)
        {
            var path = Path.Combine(folder, name);
            AtomicFile.WriteAllBytes(path, png);
            files.Add(path);
        }
        Write("epoch_first.png", SuperSpikePlots.EpochFigure(I($"epoch 1 of {epochs}, loss {result.First.Loss:F1} ({chipName})"), setup.Dt, result.First.Membrane, tutorial.TargetSpikesUs, result.First.Error));
        Write("epoch_last.png", SuperSpikePlots.EpochFigure(I($"epoch {epochs} of {epochs}, loss {result.Last.Loss:F1} ({chipName})"), setup.Dt, result.Last.Membrane, tutorial.TargetSpikesUs, result.Last.Error));
        Write("loss.png", TrainingPlots.LossCurve($"SuperSpike in the loop on the emulator ({chipName})", losses));
        var json = Path.Combine(folder, "results.json");
        var results = new SuperSpikeResults(ideal ? "ideal" : "realistic", seed, chipSeed, epochs, settings.Eta, settings.Beta, setup.Inputs, setup.Duration, setup.Dt,
            calibration.ZeroLsb[0], calibration.RangeLsb[0], losses[0], losses[^1], reduction, tutorial.TargetSpikesUs, result.Last.OutputSpikesUs,
            timing.Matches, timing.MaxAbsErrorUs, timing.MeanAbsErrorUs, timing.Missing, timing.Extra, seconds, losses);
        AtomicFile.WriteAllText(json, JsonSerializer.Serialize(results, JsonOptions.Indented));
        console.MarkupLine($"wrote {string.Join(", ", files.Select(f => $"[green]{Markup.Escape(f)}[/]"))} and [green]{Markup.Escape(json)}[/]");
        return 0;
    }

    private static string Times(IEnumerable<double> times) => string.Join(", ", times.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)));

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
