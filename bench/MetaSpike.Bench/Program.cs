using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MetaSpike.Bench.FusedNeuron;
using MetaSpike.Bench.MamlMemory;
using MetaSpike.Bench.Workloads;

// Plain modes run before BenchmarkDotNet's switcher: they measure memory, which its harness does not report per step.
if (args.Length > 0 && args[0] == MamlMemoryBenchmark.Mode) return MamlMemoryBenchmark.Run(args[1..]);
if (args.Length > 0 && args[0] == FusedNeuronBenchmark.Mode) return FusedNeuronBenchmark.Run(args[1..]);
if (args.Length > 0 && args[0] == WorkloadsBenchmark.Mode) return WorkloadsBenchmark.Run(args[1..]);

// In-process: the benchmarks run inside this build, whose libLibTorchSharp.so carries MetaSpike's load fix.
var config = DefaultConfig.Instance.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(MetaSpike.Bench.SurrogateBenchmarks).Assembly).Run(args, config);
return 0;
