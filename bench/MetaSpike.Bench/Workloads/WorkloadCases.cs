using System.Diagnostics;
using MetaSpike.Losses;
using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Bench.Workloads;

/// <summary>
/// The cases of spec/workloads.md with the issue's PyTorch figures and targets. Data are generated here, once per
/// workload from fixed seeds (not timed); both paths of a case start from the same seeded weights.
/// </summary>
internal static class WorkloadCases
{
    private const long Seed = 20240915;

    /// <summary>(a): the tutorial training step at H = 4 and 128.</summary>
    public static IEnumerable<BenchmarkCase> Tutorial()
    {
        var (inputs, labels) = TutorialWorkload.CreateBatches(Seeds.Mix(Seed, 'a'));
        (int Hidden, double PyTorch, double Target)[] sizes = [(4, 7.0, 0.7), (128, 18.3, 3.7)];
        return sizes.Select(s => new BenchmarkCase("a", $"training step H={s.Hidden}",
            $"zero grad + forward + CE + BPTT + Adam, Poisson [100, 128, 100], Linear(100, {s.Hidden}) -> Expon -> LIF -> Linear({s.Hidden}, 2) -> readout",
            null, s.PyTorch, s.Target, fused =>
            {
                var path = new TutorialWorkload.TrainingPath(s.Hidden, fused, Seeds.Mix(Seed, 'a', s.Hidden));
                return i => path.Step(inputs[i % TutorialWorkload.Batches], labels[i % TutorialWorkload.Batches]);
            }));
    }

    /// <summary>(b): MAML meta-steps over 4 tasks on the small dense SNN, second and first order.</summary>
    public static IEnumerable<BenchmarkCase> DenseMaml(StepCounts counts)
    {
        var workload = MamlWorkload.Dense(counts);
        var tasks = workload.CreateTasks(Seeds.Mix(Seed, 'b'));
        yield return MetaStepCase("b", "MAML 2nd order", workload, tasks, MetaAlgorithm.Maml, 109, 27);
        yield return MetaStepCase("b", "MAML 1st order", workload, tasks, MetaAlgorithm.FirstOrderMaml, 66, null);
    }

    /// <summary>(c): the conv SNN forward, forward + backward (B = 5 and 75) and MAML meta-steps (support 5, query 75; and query 5 as in the issue's figures).</summary>
    public static IEnumerable<BenchmarkCase> Conv(StepCounts counts)
    {
        var workload = MamlWorkload.ConvSpec(counts);
        var tasks = workload.CreateTasks(Seeds.Mix(Seed, 'c'));
        var smallQuery = tasks.Select(t => new TaskData(t.SupportFrames, t.SupportLabels,
            t.QueryFrames.narrow(1, 0, MamlWorkload.Support), t.QueryLabels.narrow(0, 0, MamlWorkload.Support))).ToArray();
        foreach (var (batch, pyForward, targetForward, pyTraining) in new (int, double?, double?, double?)[] { (5, 72, 36, 93), (75, null, null, null) })
        {
            var batches = tasks.Select(t => batch == MamlWorkload.Support ? (t.SupportFrames, t.SupportLabels) : (t.QueryFrames, t.QueryLabels)).ToArray();
            yield return new BenchmarkCase("c", $"forward B={batch}", $"logits (burn-in 70 without grad, window 30) + CE, B = {batch}",
                ConvWorkload.ForwardFlops(batch), pyForward, targetForward, fused => ConvPass(fused, backward: false, batches));
            yield return new BenchmarkCase("c", $"forward+backward B={batch}", $"zero grad + logits + CE + backward through the window, B = {batch}",
                ConvWorkload.TrainingFlops(batch), pyTraining, null, fused => ConvPass(fused, backward: true, batches));
        }
        yield return MetaStepCase("c", "MAML 2nd order S=5 Q=5", workload, smallQuery, MetaAlgorithm.Maml, 307, 100);
        yield return MetaStepCase("c", "MAML 1st order S=5 Q=5", workload, smallQuery, MetaAlgorithm.FirstOrderMaml, 193, null);
        yield return MetaStepCase("c", "MAML 2nd order S=5 Q=75", workload, tasks, MetaAlgorithm.Maml, 1606, null);
        yield return MetaStepCase("c", "MAML 1st order S=5 Q=75", workload, tasks, MetaAlgorithm.FirstOrderMaml, null, null);
    }

    /// <summary>Turns the fused kernels on or off everywhere; fused must reach every layer that has a kernel.</summary>
    private static void SetFused(nn.Module network, bool fused)
    {
        int fusable = network.Descendants().OfType<IFusable>().Count();
        if (network.SetFused(fused) != (fused ? fusable : 0))
            throw new InvalidOperationException($"only some of the {fusable} fusable layers fused; the workload would mix paths.");
    }

    private static Func<int, double> ConvPass(bool fused, bool backward, IReadOnlyList<(Tensor Frames, Tensor Labels)> batches)
    {
        manual_seed(Seeds.Mix(Seed, 'c', 1));
        var network = ConvWorkload.CreateNetwork();
        SetFused(network, fused);
        return i =>
        {
            using var scope = NewDisposeScope();
            var (frames, labels) = batches[i % batches.Count];
            long start = Stopwatch.GetTimestamp();
            if (backward) network.zero_grad();
            var loss = Loss.CrossEntropy(network.forward(frames), labels);
            if (backward) loss.backward();
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        };
    }

    private static BenchmarkCase MetaStepCase(string letter, string name, MamlWorkload workload, IReadOnlyList<TaskData> tasks,
        MetaAlgorithm algorithm, double? pyTorch, double? target) =>
        new(letter, name, $"{workload.MetaBatch} task(s) x (1 inner SGD step lr {MamlWorkload.InnerLearningRate} on the support set, query loss, " +
            $"{(algorithm == MetaAlgorithm.Maml ? "second" : "first")}-order meta-gradient) + Adam {MamlWorkload.OuterLearningRate}; support {tasks[0].SupportLabels.shape[0]}, query {tasks[0].QueryLabels.shape[0]}",
            null, pyTorch, target, fused =>
            {
                long seed = Seeds.Mix(Seed, letter[0], 2);
                manual_seed(seed);
                var network = workload.CreateNetwork();
                SetFused(network, fused);
                var learner = new MetaLearner(network, workload.Settings(algorithm) with { FusedOuterAdam = fused });
                return i =>
                {
                    var batch = workload.TasksOf(tasks, i);
                    long start = Stopwatch.GetTimestamp();
                    learner.Step(batch, seed);
                    return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                };
            });
}
