using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Tests.Losses;
using TorchSharp;
using static MetaSpike.Tests.Maml.MamlFixtures;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

/// <summary>Checkpoints, memory and argument checks of the meta-learner. Stochastic rounding draws from torch's global generator.</summary>
[Collection(GlobalRandomCollection.Name)]
public sealed class MetaLearnerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-maml-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Second-order MAML with learnt per-tensor rates, stochastic inner quantisation and the outer Adam with cosine annealing.</summary>
    private static readonly MetaTrainingSettings Annealed = new()
    {
        Inner = new InnerLoopSettings { LearningRate = 0.5, RateKind = InnerRateKind.PerTensor, Quantizer = new WeightQuantizer(8, stochastic: true) },
        OuterLearningRate = 0.01,
        Iterations = 4,
    };

    [Fact]
    public void A_run_resumed_from_a_checkpoint_continues_bit_identically()
    {
        var tasks = new[] { 20, 21, 22 }.Select(DenseTask).ToArray();
        var uninterrupted = new MetaLearner(TinyDense(20), Annealed);
        foreach (var task in tasks) uninterrupted.Step([task], seed: 9);

        var first = new MetaLearner(TinyDense(20), Annealed);
        first.Step([tasks[0]], seed: 9);
        first.Step([tasks[1]], seed: 9);
        var path = Path.Combine(_folder, "maml.msck");
        first.SaveCheckpoint(path);

        var resumed = new MetaLearner(TinyDense(99), Annealed);
        resumed.LoadCheckpoint(path);
        Assert.Equal(2, resumed.Iteration);
        var result = resumed.Step([tasks[2]], seed: 9);
        Assert.Equal(3, result.Iteration);

        var expected = uninterrupted.parameters().ToArray();
        var actual = resumed.parameters().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Identical(expected[i], actual[i]), $"meta-parameter {i} differs after resuming");
        // The fresh learner's own start was different, so equality is the checkpoint's doing.
        Assert.False(Identical(FunctionalCall.Parameters(TinyDense(99))[0], FunctionalCall.Parameters(uninterrupted.Network)[0]));
    }

    [Fact]
    public void Second_order_meta_steps_leave_no_tensor_alive()
    {
        var task = DenseTask(23);
        var learner = new MetaLearner(TinyDense(23), Annealed with { Iterations = 20 });
        long afterSecond = 0;
        for (int step = 1; step <= 20; step++)
        {
            learner.Step([task], seed: 1);
            if (step == 2) afterSecond = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        }
        Assert.Equal(afterSecond, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void A_sweep_scores_one_trajectory_as_separate_evaluations_would()
    {
        var learner = new MetaLearner(TinyDense(25), new MetaTrainingSettings { Inner = new InnerLoopSettings { LearningRate = 0.5, UpdateThreshold = 0.05 } });
        var task = DenseTask(25);
        int[] counts = [3, 0, 1, 3];
        var swept = learner.EvaluateAtSteps(task, counts);
        Assert.Equal(counts.Length, swept.Count);
        for (int j = 0; j < counts.Length; j++)
        {
            var alone = learner.Evaluate(task, counts[j]);
            Assert.Equal(alone.Accuracy, swept[j].Accuracy);
            Assert.Equal(alone.Loss, swept[j].Loss, 12);
            Assert.Equal(alone.AccuracyBefore, swept[j].AccuracyBefore);
        }
        // Adaptation changes the query loss, so the trajectory really advanced between the scored counts.
        Assert.NotEqual(swept[1].Loss, swept[2].Loss);
        Assert.NotEqual(swept[2].Loss, swept[0].Loss);
        ArgumentAssert.Throws(() => learner.EvaluateAtSteps(task, []), "at least one inner step count");
        ArgumentAssert.Throws(() => learner.EvaluateAtSteps(task, [1, -1]), ">= 0");
    }

    [Fact]
    public void Bad_settings_and_inputs_are_rejected_with_clear_messages()
    {
        var network = TinyDense(24);
        var task = DenseTask(24);
        var rates = new InnerLearningRates(network, InnerRateKind.Fixed, 0.5);

        ArgumentAssert.Throws(() => new MetaLearner(network, new MetaTrainingSettings { Inner = new InnerLoopSettings { Steps = -1 } }), "inner steps", "-1");
        ArgumentAssert.Throws(() => new InnerLoop(network, new InnerLoopSettings(), rates).Adapt(Leaves(network), task.SupportFrames, task.SupportLabels, -2, false), "inner steps", "-2");
        ArgumentAssert.Throws(() => new InnerLoop(network, new InnerLoopSettings { FrozenLayers = 2 }, rates), "at most 1 can be frozen", "got 2");
        ArgumentAssert.Throws(() => new MetaLearner(network, new MetaTrainingSettings { Inner = new InnerLoopSettings { FrozenLayers = 5 } }), "at most 1 can be frozen");
        ArgumentAssert.Throws(() => new MetaLearner(network, new MetaTrainingSettings { Inner = new InnerLoopSettings { Soel = new SoelSettings(0) } }), "SOEL threshold", "> 0");
        ArgumentAssert.Throws(() => new MetaLearner(network, new MetaTrainingSettings { Inner = new InnerLoopSettings { Soel = new SoelSettings(-0.1) } }), "SOEL threshold");
        ArgumentAssert.Throws(() => new ErrorTriggeredPlasticity(0), "SOEL threshold");
        ArgumentAssert.Throws(() => new InnerLoop(network, new InnerLoopSettings { Soel = new SoelSettings() }, rates), "ErrorTriggeredPlasticity");
        ArgumentAssert.Throws(() => new WeightQuantizer(0, stochastic: true), "1 to 16 bits", "0");
        ArgumentAssert.Throws(() => new MetaLearner(network, new MetaTrainingSettings { MetaBatch = 0 }), "meta-batch", "0");
        ArgumentAssert.Throws(() => new MetaLearner(network, new MetaTrainingSettings { OuterOptimizer = OuterOptimizer.Sgd, FusedOuterAdam = true }), "FusedOuterAdam", "Sgd");
        Assert.IsType<MetaSpike.Training.FusedAdam>(new MetaLearner(network, new MetaTrainingSettings { FusedOuterAdam = true }).Optimizer);
        ArgumentAssert.Throws(() => new MetaLearner(network, new MetaTrainingSettings { Algorithm = MetaAlgorithm.Reptile, Inner = new InnerLoopSettings { Steps = 0 } }), "Reptile");
        ArgumentAssert.Throws(() => new MetaLearner(network, new MetaTrainingSettings { Inner = new InnerLoopSettings { UpdateThreshold = 1 } }), "update threshold");

        var learner = new MetaLearner(network, new MetaTrainingSettings());
        ArgumentAssert.Throws(() => learner.Step([]), "at least one task");
        var shortTask = task with { SupportFrames = task.SupportFrames.narrow(0, 0, Steps - 1) };
        ArgumentAssert.Throws(() => learner.Step([shortTask]), "5 steps", "gradient window of 6");
        ArgumentAssert.Throws(() => learner.Evaluate(task with { QueryFrames = task.QueryFrames.narrow(0, 0, 2) }), "2 steps", "gradient window of 6");
        ArgumentAssert.Throws(() => network.forward(task.QueryFrames[0]), "[T, batch, ...]");
        ArgumentAssert.Throws(() => learner.CreateInnerLoop(new InnerLoopSettings { RateKind = InnerRateKind.PerElement }), "step-size kind");
        ArgumentAssert.Throws(() => learner.CreateInnerLoop(new InnerLoopSettings { Soel = new SoelSettings() }), "SOEL");
    }
}
