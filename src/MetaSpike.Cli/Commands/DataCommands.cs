using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.Data;
using MetaSpike.Data.Readers;
using MetaSpike.IO;
using MetaSpike.Runtime;
using Spectre.Console;

namespace MetaSpike.Cli.Commands;

/// <summary>Statistics of a dataset, as printed and as JSON.</summary>
internal sealed record DataInfo(string Name, string Path, int Width, int Height, int Samples, int Classes, int MinPerClass, int MaxPerClass,
    int Read, int Bad, double MeanEvents, long MinEvents, long MaxEvents, double MeanDurationMs, double MinDurationMs, double MaxDurationMs,
    double MeanEventRateHz, double OnFraction, IReadOnlyList<string> Skipped);

/// <summary><c>metaspike data ...</c>: look at event datasets and make generated ones.</summary>
internal static class DataCommands
{
    public static Command Create(IAnsiConsole console)
    {
        var data = new Command("data", "Inspect event datasets (N-MNIST, DVS Gesture, ASL-DVS, SHD, N-Omniglot, generated) and generate offline ones.");
        data.Subcommands.Add(Info(console));
        data.Subcommands.Add(Show(console));
        data.Subcommands.Add(Generate(console));
        return data;
    }

    private static Argument<string> PathArgument() =>
        new("path") { Description = "A dataset folder or SHD .h5 file, or a generator spec such as glyphs:classes=100,samples=20,seed=0,variation=1." };

    private static Option<string?> SplitOption() => new("--split") { Description = "Train/Test (N-MNIST), train/test (DVS Gesture, saccade), background/evaluation (N-Omniglot)." };

    private static Command Info(IAnsiConsole console)
    {
        var path = PathArgument();
        var split = SplitOption();
        var skipBad = new Option<bool>("--skip-bad") { Description = "Skip truncated or corrupt files and report how many." };
        var limit = new Option<int>("--limit") { Description = "Read at most this many samples (evenly spaced) for the event statistics.", DefaultValueFactory = _ => 1000 };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("info", "Counts, classes, duration and event-rate statistics of a dataset.") { path, split, skipBad, limit, json };
        command.SetAction(parse =>
        {
            var dataset = DatasetOpener.Open(parse.GetValue(path)!, parse.GetValue(split), parse.GetValue(skipBad));
            if (parse.GetValue(limit) < 1) throw new ArgumentException($"--limit must be >= 1, got {parse.GetValue(limit)}.");
            var info = Measure(dataset, parse.GetValue(path)!, parse.GetValue(limit), parse.GetValue(skipBad), parse.GetValue(json) ? null : console);
            if (parse.GetValue(json)) console.WriteLine(JsonSerializer.Serialize(info, JsonOptions.Indented));
            else console.Write(Table(info));
            return 0;
        });
        return command;
    }

    internal static DataInfo Measure(IEventDataset dataset, string path, int limit, bool skipBad, IAnsiConsole? progress)
    {
        var perClass = new int[dataset.ClassNames.Count];
        for (int i = 0; i < dataset.Count; i++) perClass[dataset.LabelOf(i)]++;
        int n = Math.Min(limit, dataset.Count), bad = 0;
        var skipped = DatasetOpener.SkippedOf(dataset).ToList();
        long total = 0, minEvents = long.MaxValue, maxEvents = 0, on = 0;
        double durationSum = 0, minDuration = double.MaxValue, maxDuration = 0, rateSum = 0;
        int read = 0;
        void ReadAll(Action? tick)
        {
            for (int k = 0; k < n; k++)
            {
                int index = (int)((long)k * dataset.Count / n);
                EventStream events;
                try
                {
                    events = dataset.Read(index).Events;
                }
                catch (EventFormatException e) when (skipBad)
                {
                    bad++;
                    skipped.Add(e.Message);
                    tick?.Invoke();
                    continue;
                }
                read++;
                total += events.Count;
                minEvents = Math.Min(minEvents, events.Count);
                maxEvents = Math.Max(maxEvents, events.Count);
                var ms = events.DurationUs / 1000.0;
                durationSum += ms;
                minDuration = Math.Min(minDuration, ms);
                maxDuration = Math.Max(maxDuration, ms);
                if (events.DurationUs > 0) rateSum += events.Count / (events.DurationUs / 1e6);
                foreach (var p in events.Polarity) on += p;
                tick?.Invoke();
            }
        }
        if (progress is null) ReadAll(null);
        else progress.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"reading {n} samples", maxValue: n);
            ReadAll(() => task.Increment(1));
        });
        double Mean(double sum) => read == 0 ? double.NaN : sum / read;
        return new DataInfo(dataset.Name, path, dataset.Width, dataset.Height, dataset.Count, dataset.ClassNames.Count,
            perClass.Length == 0 ? 0 : perClass.Min(), perClass.Length == 0 ? 0 : perClass.Max(), read, bad, Mean(total),
            read == 0 ? 0 : minEvents, maxEvents, Mean(durationSum), read == 0 ? 0 : minDuration, maxDuration, Mean(rateSum),
            total == 0 ? double.NaN : (double)on / total, skipped);
    }

    private static Table Table(DataInfo i)
    {
        string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        var table = new Table().Title($"{Markup.Escape(i.Name)} (measured on {i.Read} samples)").AddColumn("property").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("sensor", $"{i.Width} x {i.Height}");
        table.AddRow("samples", i.Samples.ToString(CultureInfo.InvariantCulture));
        table.AddRow("classes", i.Classes.ToString(CultureInfo.InvariantCulture));
        table.AddRow("samples per class", $"{i.MinPerClass} .. {i.MaxPerClass}");
        table.AddRow("events per sample (mean, min, max)", $"{F(i.MeanEvents)}, {i.MinEvents}, {i.MaxEvents}");
        table.AddRow("duration ms (mean, min, max)", $"{F(i.MeanDurationMs)}, {F(i.MinDurationMs)}, {F(i.MaxDurationMs)}");
        table.AddRow("event rate (mean, events/s)", F(i.MeanEventRateHz));
        table.AddRow("ON fraction", F(i.OnFraction));
        table.AddRow("bad or skipped files", i.Skipped.Count.ToString(CultureInfo.InvariantCulture));
        return table;
    }

    private static Command Show(IAnsiConsole console)
    {
        var path = PathArgument();
        var split = SplitOption();
        var sample = new Option<int>("--sample") { Description = "Sample index.", DefaultValueFactory = _ => 0 };
        var out_ = new Option<string>("--out") { Description = "x.png (frames at up to 12 times) or x.gif (an animation).", Required = true };
        var binMs = new Option<double>("--bin-ms") { Description = "Frame bin width in ms.", DefaultValueFactory = _ => 1.0 };
        var downsample = new Option<int>("--downsample") { Description = "Spatial down-sampling factor.", DefaultValueFactory = _ => 1 };
        var command = new Command("show", "Draw one sample as frames (PNG) or as an animation of its events (GIF).") { path, split, sample, out_, binMs, downsample };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var dataset = DatasetOpener.Open(parse.GetValue(path)!, parse.GetValue(split));
            int index = parse.GetValue(sample);
            if (index < 0 || index >= dataset.Count) throw new ArgumentException($"--sample must be in [0, {dataset.Count}), got {index}.");
            var target = parse.GetValue(out_)!;
            bool gif = target.EndsWith(".gif", StringComparison.OrdinalIgnoreCase);
            if (!gif && !target.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"--out must end with .png or .gif, got '{target}'.");
            if (!(parse.GetValue(binMs) > 0)) throw new ArgumentException($"--bin-ms must be > 0, got {parse.GetValue(binMs)}.");
            var s = dataset.Read(index);
            var options = new BinningOptions { BinWidthUs = Math.Max(1, (long)Math.Round(parse.GetValue(binMs) * 1000)), Downsample = parse.GetValue(downsample) };
            var shape = EventBinning.Shape(s.Events, options);
            if (shape.Steps == 0) throw new ArgumentException($"sample {index} has no events to draw.");
            var frames = new float[shape.Length];
            EventBinning.ToFrames(s.Events, options, frames);
            var title = $"{dataset.Name} #{index}: {dataset.ClassNames[s.Label]} ({s.Events.Count} events)";
            AtomicFile.WriteAllBytes(target, gif
                ? EventFramePlots.Animation(frames, shape.Steps, shape.Channels, shape.Height, shape.Width, parse.GetValue(binMs))
                : EventFramePlots.Grid(frames, shape.Steps, shape.Channels, shape.Height, shape.Width, parse.GetValue(binMs), title));
            console.MarkupLineInterpolated($"{title}: wrote [green]{target}[/]");
            return 0;
        });
        return command;
    }

    private static Command Generate(IAnsiConsole console)
    {
        var kind = new Argument<string>("kind") { Description = "glyphs, saccade or poisson." };
        kind.AcceptOnlyFromAmong("glyphs", "saccade", "poisson");
        var out_ = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var classes = new Option<int>("--classes") { Description = "Classes (glyphs, poisson).", DefaultValueFactory = _ => 100 };
        var samples = new Option<int>("--samples") { Description = "Samples per class (glyphs, poisson).", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var variation = new Option<double>("--variation") { Description = "glyphs: writer variation, a factor on every default (0: identical instances).", DefaultValueFactory = _ => 1 };
        var images = new Option<string?>("--images") { Description = "saccade: an MNIST-layout IDX folder, e.g. /usr/share/datasets/fashion-mnist from Debian's dataset-fashion-mnist." };
        var channels = new Option<int>("--channels") { Description = "poisson: input channels.", DefaultValueFactory = _ => 100 };
        var rate = new Option<double>("--rate") { Description = "poisson: rate of a pattern's active channels (Hz).", DefaultValueFactory = _ => 50 };
        var duration = new Option<int>("--duration") { Description = "poisson: sample length (ms).", DefaultValueFactory = _ => 100 };
        var command = new Command("generate", "Make an offline dataset (deterministic from the seed): a folder that `data info/show` and the training commands open, with the events as N-MNIST-format .bin files where the sensor fits 34 x 34.")
        {
            kind, out_, classes, samples, seed, variation, images, channels, rate, duration,
        };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(out_)!;
            var spec = parse.GetValue(kind) switch
            {
                "glyphs" => FormattableString.Invariant($"glyphs:classes={parse.GetValue(classes)},samples={parse.GetValue(samples)},seed={parse.GetValue(seed)},variation={parse.GetValue(variation)}"),
                "poisson" => FormattableString.Invariant(
                    $"poisson:classes={parse.GetValue(classes)},samples={parse.GetValue(samples)},channels={parse.GetValue(channels)},rate={parse.GetValue(rate)},duration={parse.GetValue(duration)},seed={parse.GetValue(seed)}"),
                _ => FormattableString.Invariant($"saccade:{Path.GetFullPath(parse.GetValue(images) ?? throw new ArgumentException("saccade needs --images FOLDER (an MNIST-layout IDX folder); install Debian's dataset-fashion-mnist for /usr/share/datasets/fashion-mnist."))},seed={parse.GetValue(seed)}"),
            };
            var dataset = DatasetOpener.Open(spec);
            Directory.CreateDirectory(folder);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long events = 0;
            bool files = dataset.Width <= 34 && dataset.Height <= 34;
            console.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask($"generating {dataset.Count} samples", maxValue: dataset.Count);
                var done = 0;
                Parallel.For(0, dataset.Count, i =>
                {
                    var s = dataset.Read(i);
                    Interlocked.Add(ref events, s.Events.Count);
                    if (files)
                    {
                        var dir = Path.Combine(folder, "events", s.Label.ToString("D4", CultureInfo.InvariantCulture));
                        Directory.CreateDirectory(dir);
                        File.WriteAllBytes(Path.Combine(dir, $"{i:D7}.bin"), NMnistFile.Encode(s.Events));
                    }
                    if (Interlocked.Increment(ref done) % 100 == 0) task.Value = done;
                });
                task.Value = dataset.Count;
            });
            DatasetOpener.WriteManifest(folder, spec);
            console.MarkupLineInterpolated(
                $"{dataset.Name}: {dataset.Count} samples, {dataset.ClassNames.Count} classes, {events} events in {clock.Elapsed.TotalSeconds:F1} s; wrote [green]{Path.Combine(folder, DatasetOpener.ManifestName)}[/]{(files ? " and events/<class>/<index>.bin" : " (no .bin files: the sensor is larger than N-MNIST's 34 x 34)")}");
            return 0;
        });
        return command;
    }
}
