using System.Globalization;
using MetaSpike.Bench.Common;
using MetaSpike.Diagnostics;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Bench.Workloads;

/// <summary>
/// The <c>workloads</c> mode: the three workloads of spec/workloads.md (issue 9's benchmark suite), each case with
/// the unfused and the fused path in turn (so both see the same load), ms per step (median, min, max over the timed
/// repetitions after a warm-up; 4 pre-generated batches or tasks cycled; data generation not timed), the ratio, peak
/// memory of one further step per path, FLOPs and GFLOP/s for (c) beside a measured GEMM peak, and a JSON record.
/// </summary>
internal static class WorkloadsBenchmark
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Mode = "workloads";

    private const double BytesPerMiB = 1 << 20;

    /// <summary>Runs the mode with the arguments after <see cref="Mode"/>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        if (ModeStart.Prepare(args, WorkloadsOptions.Usage, WorkloadsOptions.Parse, o => o.Threads, out var options) is { } exit) return exit;
        var machine = MachineInfo.Current();
        var versions = SoftwareVersions.Current();
        string loadBefore = LoadAverage();
        Console.WriteLine($"workloads: {machine}");
        Console.WriteLine($"  {versions}; {options.Threads} torch threads, float32, CPU; warm-up of at least {options.Warmup} steps and {options.WarmupSeconds} s, then {options.Reps} timed steps per case and path; load average {loadBefore}");
        if (!options.SpecConforming) Console.WriteLine($"  note: --reps {options.Reps} is below the spec's 10 repetitions (a quick check, not a reportable figure)");

        var gemm = GemmPeak.Measure();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  single-precision GEMM ({gemm.Size}^3, {options.Threads} threads): peak {gemm.BestGflops:F0} GFLOP/s, median {gemm.MedianGflops:F0}"));
        var convFlops = ConvWorkload.LayerFlops();
        Console.WriteLine($"  (c) FLOPs per sample and step (convolutions + linear, multiply-add = 2): {convFlops.Sum(l => l.Flops):N0}");

        using var probe = new PeakMemoryProbe(trim: true);
        var counts = new StepCounts(options.Warmup + options.Reps + 1, options.Warmup);
        var results = new List<CaseResult>();
        foreach (var letter in new[] { "a", "b", "c" }.Where(options.Only.Contains))
        {
            var cases = letter switch { "a" => WorkloadCases.Tutorial(), "b" => WorkloadCases.DenseMaml(counts), _ => WorkloadCases.Conv(counts) };
            foreach (var benchmarkCase in cases.Where(c => options.Selects(c.Name)))
            {
                var result = Measure(benchmarkCase, options, probe);
                Console.WriteLine($"  ({result.Workload}) {result.Name}: {string.Join(", ", result.Paths.Select(p => $"{p.Path} {F(p.Ms.Median, "F2")} ms"))}" +
                    (result.UnfusedOverFused is { } r ? $", unfused/fused x{F(r, "F2")}" : ""));
                results.Add(result);
            }
        }
        var report = new WorkloadsReport(DateTimeOffset.Now, machine, options.Threads, versions, options.Warmup, options.WarmupSeconds, options.Reps,
            options.SpecConforming, $"{loadBefore} before, {LoadAverage()} after", gemm, convFlops.Sum(l => l.Flops), convFlops, probe.Method.ToString(), results);
        Console.WriteLine();
        Print(report, Console.Out);
        Console.WriteLine($"figures written to {JsonReport.Write(report, options.Json)}");
        return 0;
    }

    /// <summary>Times the case's paths interleaved, then measures one more step of each for peak memory.</summary>
    private static CaseResult Measure(BenchmarkCase benchmarkCase, WorkloadsOptions options, PeakMemoryProbe probe)
    {
        var fusedSettings = options.FusedSettings;
        var steps = fusedSettings.Select(benchmarkCase.CreateStep).ToArray();
        var (spreads, warmupRounds) = InterleavedTimer.Run(steps, options.Warmup, options.Reps, options.WarmupSeconds);
        var paths = fusedSettings.Select((fused, p) =>
        {
            probe.Begin();
            steps[p](warmupRounds + options.Reps);
            var reading = probe.End();
            double? gflops = benchmarkCase.Flops / (spreads[p].Median / 1e3) / 1e9;
            return new PathResult(fused ? "fused" : "unfused", spreads[p], gflops, reading.PeakBytes / BytesPerMiB, reading.ExtraBytes / BytesPerMiB);
        }).ToArray();
        return new CaseResult(benchmarkCase.Workload, benchmarkCase.Name, benchmarkCase.Description, benchmarkCase.Flops,
            benchmarkCase.PyTorchMs, benchmarkCase.TargetMs, warmupRounds, paths);
    }

    private static void Print(WorkloadsReport report, TextWriter writer)
    {
        var table = new TextTable("workload", "unfused ms: median (min-max)", "fused ms: median (min-max)", "unfused/fused",
            "GFLOP/s (fused)", "extra peak MiB unf/fused", "PyTorch ms", "target ms", "fused vs target");
        foreach (var r in report.Results)
        {
            string Cell(string path) => r.Path(path) is { } p ? $"{F(p.Ms.Median, "F2")} ({F(p.Ms.Min, "F2")}-{F(p.Ms.Max, "F2")})" : "-";
            var best = r.Path("fused") ?? r.Path("unfused")!;
            table.Add($"({r.Workload}) {r.Name}", Cell("unfused"), Cell("fused"), r.UnfusedOverFused is { } x ? $"x{F(x, "F2")}" : "-",
                best.Gflops is { } g ? F(g, "F1") : "-", string.Join(" / ", r.Paths.Select(p => F(p.ExtraPeakMiB, "F0"))),
                r.PyTorchMs is { } py ? F(py, "F1") : "-", r.TargetMs is { } t ? F(t, "F1") : "-",
                r.TargetMs is { } target ? (best.Ms.Median <= target ? "met" : $"x{F(best.Ms.Median / target, "F1")} over") : "-");
        }
        table.Write(writer);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GEMM peak {report.Gemm.BestGflops:F0} GFLOP/s; (c) {report.ConvFlopsPerSampleStep:N0} FLOPs per sample and step; load average {report.LoadAverage}"));
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}

/// <summary>One path of a case: ms per step, GFLOP/s at the median (where FLOPs are counted), and the peak memory of one more step.</summary>
internal sealed record PathResult(string Path, Spread Ms, double? Gflops, double PeakMiB, double ExtraPeakMiB);

/// <summary>One case with its paths and the issue's figures.</summary>
internal sealed record CaseResult(string Workload, string Name, string Description, double? Flops, double? PyTorchMs, double? TargetMs,
    int WarmupRounds, IReadOnlyList<PathResult> Paths)
{
    /// <summary>The path named <paramref name="name"/> (fused, unfused), if it ran.</summary>
    public PathResult? Path(string name) => Paths.FirstOrDefault(p => p.Path == name);

    /// <summary>Median unfused / median fused, where both ran.</summary>
    public double? UnfusedOverFused => Path("unfused") is { } u && Path("fused") is { } f ? u.Ms.Median / f.Ms.Median : null;
}

/// <summary>Everything the <c>workloads</c> mode measured, as written to JSON.</summary>
internal sealed record WorkloadsReport(DateTimeOffset Date, MachineInfo Machine, int TorchThreads, SoftwareVersions Versions,
    int Warmup, double WarmupSeconds, int Reps, bool SpecConforming, string LoadAverage, GemmPeak Gemm, long ConvFlopsPerSampleStep,
    IReadOnlyList<LayerFlops> ConvLayerFlops, string PeakMemoryMethod, IReadOnlyList<CaseResult> Results);
