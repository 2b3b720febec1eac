using System.Diagnostics;
using System.Globalization;
using MetaSpike.Bench.Common;
using MetaSpike.Bench.Workloads;
using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Bench.FusedNeuron;

/// <summary>
/// The <c>fused-neuron</c> mode: workload (a) of spec/workloads.md (Poisson input [100, 128, 100] → Linear(100, H) →
/// exponential synapse → LIF → Linear(H, 2) → exponential-synapse readout → mean over time → cross-entropy; one
/// step = zero grad, forward, loss, BPTT, Adam at 3e-3) for H = 4 and 128, with the unfused tensor-operation path
/// and with the fused kernels, timed step by step, the two paths interleaved so that both see the same machine load.
/// </summary>
internal static class FusedNeuronBenchmark
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Mode = "fused-neuron";

    private const int Steps = TutorialWorkload.Steps, Batch = TutorialWorkload.Batch, Batches = TutorialWorkload.Batches;
    private const long Seed = 20240901;

    private const string Usage = """
        fused-neuron: workload (a) of spec/workloads.md, unfused vs fused neuron kernels, ms per training step.

          --reps N       timed steps per path and size after the warm-up (default 15, at least 10)
          --warmup N     untimed steps per path and size first (default 3)
          --hidden LIST  hidden sizes (default 4,128)
          --threads N    torch threads (default 2)
          --out PATH     JSON record (default bench-results/fused-neuron.json)
        """;

    /// <summary>Runs the mode with the arguments after <see cref="Mode"/>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        int reps = 15, warmup = 3, threads = 2;
        int[] hidden = [4, 128];
        string output = Path.Combine("bench-results", "fused-neuron.json");
        try
        {
            for (int i = 0; i < args.Count; i++)
            {
                string name = args[i];
                string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"fused-neuron: {name} needs a value.");
                int Count() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 0
                    ? n : throw new ArgumentException($"fused-neuron: {name} needs a whole number, got '{args[i]}'.");
                switch (name)
                {
                    case "--reps": reps = Count(); break;
                    case "--warmup": warmup = Count(); break;
                    case "--threads": threads = Count(); break;
                    case "--hidden": hidden = Value().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                    case "--out": output = Value(); break;
                    case "--help" or "-h": Console.WriteLine(Usage); return 0;
                    default: throw new ArgumentException($"fused-neuron: unknown option '{name}'.\n{Usage}");
                }
            }
            if (reps < 10) throw new ArgumentException($"fused-neuron: --reps must be at least 10 (spec/workloads.md), got {reps}.");
            if (threads < 1 || hidden.Length == 0 || hidden.Any(h => h < 1)) throw new ArgumentException("fused-neuron: --threads and every hidden size must be positive.");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        TorchRuntime.EnsureLoaded();
        set_num_threads(threads);
        Console.WriteLine($"fused-neuron: workload (a), T={Steps}, batch {Batch}, {threads} torch threads on {Environment.ProcessorCount} cores, float32, " +
            $"{warmup} warm-up + {reps} timed steps per path, paths interleaved");
        var results = hidden.SelectMany(h => new[] { Measure(h, warmup, reps), MeasureNeuronOnly(h, warmup, reps) }).ToArray();
        var table = new TextTable("what", "unfused ms (median)", "min", "max", "fused ms (median)", "min", "max", "speed-up");
        foreach (var r in results)
            table.Add($"{r.Part} H={r.Hidden}", F(r.Unfused.Median), F(r.Unfused.Min), F(r.Unfused.Max), F(r.Fused.Median), F(r.Fused.Min), F(r.Fused.Max), $"x{r.SpeedUp:F2}");
        Console.WriteLine();
        table.Write(Console.Out);
        var record = new FusedNeuronReport(DateTimeOffset.Now, MachineInfo.Current().ToString(), threads, SoftwareVersions.Current().ToString(), Steps, Batch, warmup, reps, results);
        Console.WriteLine($"figures written to {JsonReport.Write(record, output)}");
        return 0;
    }

    private static string F(double ms) => ms.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Times both paths for one hidden size; each step's data comes from 4 pre-generated batches, cycled.</summary>
    private static SizeResult Measure(int hidden, int warmup, int reps)
    {
        var (inputs, labels) = TutorialWorkload.CreateBatches(Seeds.Mix(Seed, hidden));
        var paths = new[] { false, true }.Select(fused => new TutorialWorkload.TrainingPath(hidden, fused, Seeds.Mix(Seed, hidden, 1))).ToArray();
        var (unfused, fused) = TimeInterleaved(paths.Select(p => (Func<int, double>)(i => p.Step(inputs[i % Batches], labels[i % Batches]))).ToArray(), warmup, reps);
        var result = new SizeResult("training step", hidden, unfused, fused, paths[0].LastLoss, paths[1].LastLoss);
        Console.WriteLine($"  H={hidden}: unfused {F(result.Unfused.Median)} ms, fused {F(result.Fused.Median)} ms per step (x{result.SpeedUp:F2}); " +
            $"last loss {result.UnfusedLoss:F4} / {result.FusedLoss:F4}");
        return result;
    }

    /// <summary>The synapse + LIF pair alone, forward and backward over [100, 128, H] currents: what the fused kernel replaces.</summary>
    private static SizeResult MeasureNeuronOnly(int hidden, int warmup, int reps)
    {
        manual_seed(Seeds.Mix(Seed, hidden, 2));
        var currents = Enumerable.Range(0, Batches).Select(_ => (randn([Steps, Batch, hidden]) * 0.3 + 0.05).requires_grad_()).ToArray();
        var steps = new[] { false, true }.Select(fused =>
        {
            var pair = new Sequential(new Expon(hidden, 10.0), new Lif(hidden, tau: 20.0, input: InputKind.VoltageJump));
            pair.SetFused(fused);
            return (Func<int, double>)(i =>
            {
                using var scope = NewDisposeScope();
                var x = currents[i % Batches];
                long start = Stopwatch.GetTimestamp();
                pair.ResetState(Batch);
                pair.forward(x).sum().backward();
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                x.grad!.zero_();
                return ms;
            });
        }).ToArray();
        var (unfused, fusedTimes) = TimeInterleaved(steps, warmup, reps);
        return new SizeResult("Expon+LIF fwd+bwd", hidden, unfused, fusedTimes, null, null);
    }

    /// <summary>Runs the unfused and the fused step in turn, warm-up first; returns their spreads over the timed steps.</summary>
    private static (Spread Unfused, Spread Fused) TimeInterleaved(IReadOnlyList<Func<int, double>> steps, int warmup, int reps)
    {
        var (spreads, _) = InterleavedTimer.Run(steps, warmup, reps);
        return (spreads[0], spreads[1]);
    }
}

/// <summary>One measurement at one hidden size: milliseconds for both paths, and (training steps) their last losses, a sanity check that they train alike.</summary>
internal sealed record SizeResult(string Part, int Hidden, Spread Unfused, Spread Fused, double? UnfusedLoss, double? FusedLoss)
{
    /// <summary>Median unfused / median fused.</summary>
    public double SpeedUp => Unfused.Median / Fused.Median;
}

/// <summary>Everything the <c>fused-neuron</c> mode measured, as written to JSON.</summary>
internal sealed record FusedNeuronReport(DateTimeOffset Date, string Machine, int TorchThreads, string Versions, int Steps, int Batch,
    int Warmup, int Reps, IReadOnlyList<SizeResult> Results);
