using System.Text.Json;
using MetaSpike.Layers;
using MetaSpike.Losses;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using MetaSpike.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Training;

[Collection(GlobalRandomCollection.Name)]
public sealed class TrainerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-trainer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Sequential Network()
    {
        manual_seed(21);
        return new Sequential(new Linear(6, 10, weightInit: Init.Normal(1.0)), new Lif(10, input: InputKind.VoltageJump), new Dropout(0.2),
            new Linear(10, 3), new LeakyReadout(3, input: InputKind.VoltageJump));
    }

    /// <summary>Fresh random batches each epoch (drawn from torch's generator, which the trainer seeds).</summary>
    private static IEnumerable<(Tensor, Tensor)> Batches(int epoch)
    {
        for (int b = 0; b < 3; b++)
            yield return (rand(new long[] { 15, 8, 6 }).lt(0.3).to_type(float32), randint(0, 3, new long[] { 8 }));
    }

    private static BatchResult Step(nn.Module<Tensor, Tensor> net, Tensor x, Tensor y)
    {
        var output = Simulator.Run(net, x).mean([0]);
        long correct;
        using (no_grad()) correct = output.argmax(1).eq(y).sum().ToInt64();
        return new BatchResult(Loss.CrossEntropy(output, y), correct, y.shape[0]);
    }

    private (TrainingOutcome Outcome, double[] Weights) Train(int epochs, string? checkpoint, CancellationTokenSource? cancelAfter = null, int cancelAtBatch = -1)
    {
        var net = Network();
        var trainer = new Trainer(net, new TrainerOptions
        {
            Epochs = epochs, Seed = 5, CheckpointPath = checkpoint, ClipGradNorm = 5.0,
            Optimizer = new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = 0.01 },
            Schedule = new CosineSchedule(0.01, 6, 1e-3),
            MetricsCsvPath = Path.Combine(_folder, "metrics.csv"), MetricsJsonlPath = Path.Combine(_folder, "metrics.jsonl"),
        });
        int seen = 0;
        trainer.BatchCompleted += (_, _, _) => { if (++seen == cancelAtBatch) cancelAfter!.Cancel(); };
        var outcome = trainer.Fit(Batches, (x, y) => Step(net, x, y), cancelAfter?.Token ?? default);
        return (outcome, net.parameters().SelectMany(p => TensorAssert.Values(p)).ToArray());
    }

    [Fact]
    public void A_resumed_run_gives_the_same_numbers_as_an_uninterrupted_one()
    {
        var (straight, weights) = Train(6, checkpoint: null);
        Assert.True(straight.Completed);
        Assert.Equal(6, straight.History.Count);

        var checkpoint = Path.Combine(_folder, "run.msck");
        var (first, _) = Train(3, checkpoint);
        Assert.Equal(3, first.History.Count);
        var (resumed, resumedWeights) = Train(6, checkpoint);
        Assert.Equal(3, resumed.ResumedFromEpoch);
        Assert.Equal(straight.History.Select(m => m.Loss), resumed.History.Select(m => m.Loss));
        Assert.Equal(straight.History.Select(m => m.Accuracy), resumed.History.Select(m => m.Accuracy));
        Assert.Equal(weights, resumedWeights);
    }

    [Fact]
    public void Cancellation_saves_mid_epoch_and_the_run_continues_exactly()
    {
        var (straight, weights) = Train(4, checkpoint: null);
        var checkpoint = Path.Combine(_folder, "cancel.msck");
        using var cts = new CancellationTokenSource();
        var (stopped, _) = Train(4, checkpoint, cts, cancelAtBatch: 5); // epoch 2, after its second batch
        Assert.False(stopped.Completed);
        Assert.Single(stopped.History);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
        var (resumed, resumedWeights) = Train(4, checkpoint);
        Assert.True(resumed.Completed);
        Assert.Equal(straight.History.Select(m => m.Loss), resumed.History.Select(m => m.Loss));
        Assert.Equal(weights, resumedWeights);
    }

    [Fact]
    public void Metrics_are_logged_per_epoch_as_csv_and_json_lines()
    {
        var (outcome, _) = Train(2, checkpoint: null);
        var csv = File.ReadAllLines(Path.Combine(_folder, "metrics.csv"));
        Assert.Equal("epoch,loss,accuracy,learning_rate,seconds,grad_norm", csv[0]);
        Assert.Equal(3, csv.Length);
        var lines = File.ReadAllLines(Path.Combine(_folder, "metrics.jsonl"));
        Assert.Equal(2, lines.Length);
        using var doc = JsonDocument.Parse(lines[1]);
        Assert.Equal(2, doc.RootElement.GetProperty("epoch").GetInt32());
        Assert.Equal(outcome.History[1].Loss, doc.RootElement.GetProperty("loss").GetDouble());
        Assert.Equal(new CosineSchedule(0.01, 6, 1e-3).LearningRate(1), doc.RootElement.GetProperty("learning_rate").GetDouble(), 15);
        Assert.True(doc.RootElement.GetProperty("grad_norm").GetDouble() > 0);
    }

    [Fact]
    public void Live_tensor_count_after_50_training_steps_equals_the_count_after_1()
    {
        var net = Network();
        var trainer = new Trainer(net, new TrainerOptions { Epochs = 50, Optimizer = new OptimizerSettings { LearningRate = 1e-3 }, ClipGradNorm = 1.0 });
        var counts = new List<long>();
        trainer.EpochCompleted += _ => counts.Add(DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
        // One batch per epoch, made inside the epoch (so each training step also allocates its data).
        trainer.Fit(_ => Batches(0).Take(1), (x, y) => Step(net, x, y));
        Assert.Equal(50, counts.Count);
        Assert.Equal(counts[0], counts[^1]);
    }

    [Fact]
    public void A_loss_that_becomes_nan_stops_training_with_the_epoch_and_batch()
    {
        var net = Network();
        var trainer = new Trainer(net, new TrainerOptions { Epochs = 3 });
        var ex = Assert.Throws<InvalidOperationException>(() => trainer.Fit(Batches, (x, y) =>
        {
            var r = Step(net, x, y);
            return r with { Loss = r.Loss * double.NaN };
        }));
        Assert.Contains("epoch 1, batch 1", ex.Message);
        Assert.Contains("NaN", ex.Message);
    }
}
