using System.Diagnostics;
using System.Globalization;
using MetaSpike.Bench.Common;
using MetaSpike.Bench.Workloads;
using MetaSpike.Maml;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Bench.MamlMemory;

/// <summary>
/// The <c>maml-memory</c> mode: for workloads (b) and (c) of spec/workloads.md, runs second-order and first-order
/// MAML meta-steps through <see cref="MetaLearner.Step"/> and reports time and peak process memory per step, and RSS
/// and live tensors after steps 1, 10 and N (a leak shows as growth). Task generation is not timed. The two
/// learners live side by side and take their steps in turn, so RSS and live tensors are the process's.
/// </summary>
internal static class MamlMemoryBenchmark
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Mode = "maml-memory";

    private const long Seed = 20240601;
    private const double BytesPerMiB = 1 << 20;

    /// <summary>Runs the mode with the arguments after <see cref="Mode"/>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        if (ModeStart.Prepare(args, MamlMemoryOptions.Usage, MamlMemoryOptions.Parse, o => o.Threads, out var options) is { } exit) return exit;
        using var probe = new PeakMemoryProbe(options.Trim);
        Console.WriteLine($"maml-memory: {options.Threads} torch threads on {Environment.ProcessorCount} cores, float32, peak by {Describe(probe)}");
        var workloads = options.Workloads.Select(w => w switch
        {
            "conv" => MamlWorkload.Conv(options.Conv),
            "conv-spec" => MamlWorkload.ConvSpec(options.Conv),
            _ => MamlWorkload.Dense(options.Dense),
        });
        var results = workloads.Select((w, i) => RunWorkload(w, i, probe)).ToArray();
        var report = new MamlMemoryReport(DateTimeOffset.Now, $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            options.Threads, probe.Method.ToString(), probe.Trims, results);
        Print(report, Console.Out);
        Console.WriteLine($"figures written to {JsonReport.Write(report, options.Out)}");
        return 0;
    }

    private static string Describe(PeakMemoryProbe probe) =>
        (probe.Method == PeakMethod.HighWaterMark ? "VmHWM reset per step" : "RSS sampled every ~1 ms")
        + (probe.Trims ? ", glibc free memory trimmed before each baseline" : "");

    private static WorkloadResult RunWorkload(MamlWorkload workload, int index, PeakMemoryProbe probe)
    {
        var tasks = workload.CreateTasks(Seeds.Mix(Seed, index, 1));
        long seed = Seeds.Mix(Seed, index);
        var runs = new[] { new AlgorithmRun(workload, MetaAlgorithm.Maml, seed), new AlgorithmRun(workload, MetaAlgorithm.FirstOrderMaml, seed) };
        try
        {
            Console.WriteLine($"{workload.Name}: {workload.Description}");
            // Interleaved, so that both algorithms see the same load on a shared machine and their ratio stays fair.
            for (int iteration = 1; iteration <= workload.Counts.Iterations; iteration++)
            {
                var batch = workload.TasksOf(tasks, iteration - 1);
                foreach (var run in runs) run.Step(iteration, batch, probe);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  step {iteration}/{workload.Counts.Iterations}: {string.Join(", ", runs.Select(r => $"{r.Name} {r.LastSeconds:F2} s"))}"));
            }
            return new WorkloadResult(workload.Name, workload.Description, runs[0].Result(), runs[1].Result());
        }
        finally
        {
            foreach (var run in runs) run.Dispose();
            foreach (var task in tasks) task.Dispose();
        }
    }

    /// <summary>One algorithm's learner, started from the seeded initial network, and what its steps measured.</summary>
    private sealed class AlgorithmRun : IDisposable
    {
        private readonly MamlWorkload _workload;
        private readonly MetaLearner _learner;
        private readonly long _seed;
        private readonly HashSet<int> _checkpointAt;
        private readonly List<StepSample> _steps = [];
        private readonly List<LeakCheckpoint> _checkpoints = [];

        public AlgorithmRun(MamlWorkload workload, MetaAlgorithm algorithm, long seed)
        {
            manual_seed(seed);
            (_workload, _seed, Name) = (workload, seed, algorithm == MetaAlgorithm.Maml ? "second-order" : "first-order");
            _learner = new MetaLearner(workload.CreateNetwork(), workload.Settings(algorithm));
            int n = workload.Counts.Iterations;
            _checkpointAt = [1, Math.Min(10, n), n];
        }

        public string Name { get; }

        public double LastSeconds => _steps[^1].Seconds;

        /// <summary>One timed meta-step with its peak memory; RSS and live tensors after it at the checkpoints.</summary>
        public void Step(int iteration, IReadOnlyList<TaskData> batch, PeakMemoryProbe probe)
        {
            probe.Begin();
            long start = Stopwatch.GetTimestamp();
            _learner.Step(batch, _seed);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var reading = probe.End();
            _steps.Add(new StepSample(iteration, seconds, reading.BaselineBytes / BytesPerMiB, reading.PeakBytes / BytesPerMiB));
            if (_checkpointAt.Contains(iteration))
                _checkpoints.Add(new LeakCheckpoint(iteration, probe.SettledRss() / BytesPerMiB, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount));
        }

        public AlgorithmResult Result() => AlgorithmResult.From(Name, _workload.Counts.Warmup, _steps, _checkpoints);

        public void Dispose()
        {
            _learner.Optimizer.Dispose();
            _learner.Dispose();
        }
    }

    private static void Print(MamlMemoryReport report, TextWriter writer)
    {
        static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
        var table = new TextTable("workload / algorithm", "steps", "time median", "min", "max", "peak RSS", "extra peak med", "extra max",
            "RSS MiB after step", "live tensors after step");
        foreach (var w in report.Workloads)
            foreach (var a in new[] { w.SecondOrder, w.FirstOrder })
                table.Add($"{w.Name} {a.Algorithm}", $"{a.Warmup}+{a.Iterations - a.Warmup}", $"{F(a.StepSeconds.Median, "F3")} s",
                    F(a.StepSeconds.Min, "F3"), F(a.StepSeconds.Max, "F3"), $"{F(a.PeakMiB.Max, "F0")} MiB",
                    $"{F(a.ExtraPeakMiB.Median, "F1")} MiB", F(a.ExtraPeakMiB.Max, "F1"),
                    string.Join("  ", a.Checkpoints.Select(c => $"{c.Iteration}: {F(c.RssMiB, "F0")}")),
                    string.Join("  ", a.Checkpoints.Select(c => $"{c.Iteration}: {c.LiveTensors}")));
        writer.WriteLine();
        table.Write(writer);
        writer.WriteLine();
        foreach (var w in report.Workloads)
            writer.WriteLine($"{w.Name}: second/first order: time x{F(w.TimeRatio, "F2")}, extra peak memory x{F(w.ExtraPeakRatio, "F2")}; " +
                $"second order: RSS {F(w.SecondOrder.RssGrowthMiB, "+0.0;-0.0;0.0")} MiB from step {w.SecondOrder.GrowthReference.Iteration} to {w.SecondOrder.Iterations}, " +
                $"live tensors {w.SecondOrder.LiveTensorGrowth:+0;-0;0} from step 1");
    }
}
