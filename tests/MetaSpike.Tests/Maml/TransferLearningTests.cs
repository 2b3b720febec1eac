using MetaSpike.Data.FewShot;
using MetaSpike.Data.Generators;
using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Training;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

/// <summary>Generated glyphs (38 meta-train, 12 meta-test classes) in 20 steps of 5 ms, and one dense SNN pre-trained on them.</summary>
public sealed class PretrainedGlyphs
{
    public static readonly TransferLearningSettings Settings = new()
    {
        PretrainSteps = 30, BatchSize = 16, LearningRate = 3e-3, MaxShots = 5, FineTuneSteps = 10, FineTuneLearningRate = 0.01,
    };

    public PretrainedGlyphs()
    {
        var data = MetaDatasets.Glyphs(classes: 60, samplesPerClass: 12, seed: 0);
        Loader = new FewShotTaskLoader(data with { Binning = data.Binning with { Steps = 20, BinWidthUs = 5000 } }, ways: 10, shots: 5, queries: 2, seed: 0);
        HeadUpdates = UpdateRecorder.ForParameter(Network(10));
        Result = TransferLearning.Pretrain(Network, Loader, Settings, seed: 0, headUpdates: HeadUpdates);
    }

    public FewShotTaskLoader Loader { get; }

    public UpdateRecorder HeadUpdates { get; }

    public Pretraining Result { get; }

    public FewShotNetwork Network(int ways) => Network(ways, hidden: 32);

    public FewShotNetwork Network(int ways, int hidden) =>
        FewShotNetworks.Dense(Loader.FrameShape.Channels * Loader.FrameShape.Height * Loader.FrameShape.Width, ways, hidden, gradientWindow: 20, inputGain: 1);
}

[Collection(GlobalRandomCollection.Name)]
public class TransferLearningTests(PretrainedGlyphs glyphs) : IClassFixture<PretrainedGlyphs>
{
    private static TransferLearningSettings Settings => PretrainedGlyphs.Settings;

    [Fact]
    public void Pretraining_lowers_the_training_loss_and_records_each_Adam_step_of_the_head()
    {
        var losses = glyphs.Result.Losses;
        Assert.Equal(Settings.PretrainSteps, losses.Count);
        Assert.Equal(38, glyphs.Result.Network.Ways);
        double first = losses.Take(10).Average(), last = losses.TakeLast(10).Average();
        Assert.True(last < first - 0.5, $"mean loss of the first 10 steps {first:F3}, of the last 10 {last:F3}");
        Assert.True(glyphs.Result.Accuracies.TakeLast(10).Average() > 0.3, "the batch accuracy stays near chance (1/38)");

        var updates = glyphs.HeadUpdates.Updates;
        Assert.Equal(Settings.PretrainSteps, updates.Count);
        Assert.All(updates, u => Assert.Equal(38 * 32, u.Elements));
        // Adam's first step moves every weight with a non-zero gradient by the learning rate: lr · g / |g|.
        TensorAssert.Close(Settings.LearningRate, updates[0].MaxMagnitude, 1e-3, 0, "first step's largest |dw|");
        Assert.True(updates[0].MeanMagnitude <= Settings.LearningRate * (1 + 1e-6));
        Assert.All(updates, u => Assert.True(u.MaxMagnitude < 3 * Settings.LearningRate, $"an Adam step of {u.MaxMagnitude}"));
        Assert.Equal(updates.Count * 38 * 32, glyphs.HeadUpdates.Histogram.Total);
    }

    [Fact]
    public void Pretraining_is_reproducible_from_its_seed()
    {
        var few = Settings with { PretrainSteps = 2, BatchSize = 4 };
        var a = TransferLearning.Pretrain(glyphs.Network, glyphs.Loader, few, seed: 5);
        var b = TransferLearning.Pretrain(glyphs.Network, glyphs.Loader, few, seed: 5);
        var c = TransferLearning.Pretrain(glyphs.Network, glyphs.Loader, few, seed: 6);
        Assert.Equal(a.Losses, b.Losses);
        Assert.NotEqual(a.Losses, c.Losses);
    }

    [Fact]
    public void The_transferred_body_stays_frozen_and_more_shots_give_higher_accuracy()
    {
        var network = TransferLearning.Transfer(glyphs.Result.Network, glyphs.Network, ways: 10);
        var pretrainedBody = glyphs.Result.Network.Body.parameters().Select(p => TensorAssert.Values(p)).ToArray();
        Assert.All(network.Body.parameters(), p => Assert.False(p.requires_grad));
        Assert.Equal(pretrainedBody, network.Body.parameters().Select(p => TensorAssert.Values(p)));

        var result = TransferLearning.FineTuneShotByShot(network, glyphs.Loader, MetaSplit.Test, tasks: 6, Settings);

        Assert.Equal(pretrainedBody, network.Body.parameters().Select(p => TensorAssert.Values(p)));
        Assert.Equal([1, 2, 3, 4, 5], result.PerShot.Select(s => s.Shots));
        Assert.Equal(6, result.TaskAccuracies.Count);
        Assert.All(result.TaskAccuracies, a => Assert.Equal(5, a.Count));
        var mean = result.PerShot.Select(s => s.Accuracy.Mean).ToArray();
        // Measured (seed 0): 0.82, 0.83, 0.86, 0.87, 0.92; 10-way chance is 0.1.
        Assert.True(mean[0] > 0.4, $"one-shot accuracy {mean[0]:F3}");
        Assert.True(mean[4] > mean[0], $"5 shots {mean[4]:F3} vs 1 shot {mean[0]:F3}");
        Assert.True(mean[1..].Average() >= mean[0], $"2-5 shots {mean[1..].Average():F3} on average vs 1 shot {mean[0]:F3}");
    }

    [Fact]
    public void Each_task_starts_from_a_fresh_seeded_head()
    {
        var network = TransferLearning.Transfer(glyphs.Result.Network, glyphs.Network, ways: 10);
        // A negligible SGD step leaves the head as it was drawn.
        var still = Settings with { HeadInitStd = 0.5, MaxShots = 1, FineTuneSteps = 1, FineTuneOptimizer = OptimizerKind.Sgd, FineTuneLearningRate = 1e-12 };
        double[] Head(long seed)
        {
            TransferLearning.FineTuneShotByShot(network, glyphs.Loader, MetaSplit.Test, tasks: 1, still, seed);
            return TensorAssert.Values(network.Head.get_parameter("weight")!);
        }
        var head = Head(seed: 3);
        TensorAssert.Close(0.5, Math.Sqrt(head.Select(w => w * w).Average()), 0.15, 0, "the fresh head's weight std");
        Assert.All(TensorAssert.Values(network.Head.get_parameter("bias")!), b => Assert.Equal(0, b, 1e-9));
        Assert.Equal(head, Head(seed: 3));
        Assert.NotEqual(head, Head(seed: 4));
        var zero = still with { HeadInitStd = 0 };
        TransferLearning.FineTuneShotByShot(network, glyphs.Loader, MetaSplit.Test, tasks: 1, zero);
        Assert.All(TensorAssert.Values(network.Head.get_parameter("weight")!), w => Assert.Equal(0, w, 1e-9));
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        foreach (var bad in new[]
        {
            Settings with { PretrainSteps = -1 }, Settings with { BatchSize = 0 }, Settings with { LearningRate = 0 },
            Settings with { MaxShots = 0 }, Settings with { FineTuneSteps = 0 }, Settings with { FineTuneLearningRate = double.NaN },
            Settings with { HeadInitStd = -1 }, Settings with { FineTuneOptimizer = (OptimizerKind)9 },
        })
            Assert.Throws<ArgumentException>(bad.Validate);
        var untrained = glyphs.Network(10);
        Assert.Contains("built a head with 10", Assert.Throws<ArgumentException>(() => TransferLearning.Pretrain(_ => untrained, glyphs.Loader, Settings)).Message);
        Assert.Throws<ArgumentException>(() => TransferLearning.Transfer(untrained, ways => glyphs.Network(ways, hidden: 16), 10));
        var network = TransferLearning.Transfer(untrained, glyphs.Network, 10);
        Assert.Throws<ArgumentException>(() => TransferLearning.FineTuneShotByShot(network, glyphs.Loader, MetaSplit.Test, tasks: 0, Settings));
        Assert.Contains("it has 5", Assert.Throws<ArgumentException>(() =>
            TransferLearning.FineTuneShotByShot(network, glyphs.Loader, MetaSplit.Test, 1, Settings with { MaxShots = 6 })).Message);
        Assert.Throws<ArgumentException>(() => TransferLearning.FineTuneShotByShot(TransferLearning.Transfer(untrained, glyphs.Network, 5), glyphs.Loader, MetaSplit.Test, 1, Settings));
    }
}
