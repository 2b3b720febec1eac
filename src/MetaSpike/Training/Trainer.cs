using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MetaSpike.IO;
using MetaSpike.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Training;

/// <summary>What one training batch produced: the loss to minimise and, for classifiers, the correct predictions.</summary>
/// <param name="Loss">Scalar loss (with its graph).</param>
/// <param name="Correct">Correctly classified samples (0 when not a classifier).</param>
/// <param name="Count">Samples in the batch.</param>
public sealed record BatchResult(Tensor Loss, long Correct, long Count);

/// <summary>One epoch's figures, as logged.</summary>
/// <param name="Epoch">Epoch number, from 1.</param>
/// <param name="Loss">Mean loss over the epoch's samples.</param>
/// <param name="Accuracy">Fraction of correct samples.</param>
/// <param name="LearningRate">Learning rate used in the epoch.</param>
/// <param name="Seconds">Wall-clock seconds of the epoch (not part of the reproducible results).</param>
/// <param name="GradNorm">Largest gradient norm before clipping seen in the epoch (when clipping).</param>
public sealed record EpochMetrics(int Epoch, double Loss, double Accuracy, double LearningRate, double Seconds, double? GradNorm);

/// <summary>How a <see cref="Trainer.Fit"/> call ended.</summary>
/// <param name="Completed">All epochs ran (false: stopped by cancellation, after saving).</param>
/// <param name="ResumedFromEpoch">The number of epochs already done in the checkpoint the run continued from (null: fresh start).</param>
/// <param name="History">Metrics of every completed epoch, including those before a resume.</param>
public sealed record TrainingOutcome(bool Completed, int? ResumedFromEpoch, IReadOnlyList<EpochMetrics> History);

/// <summary>Settings of a <see cref="Trainer"/>.</summary>
public sealed record TrainerOptions
{
    /// <summary>Number of epochs (default 10).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>The optimiser (default Adam, lr 1e-3).</summary>
    public OptimizerSettings Optimizer { get; init; } = new();

    /// <summary>Learning rate per epoch (default: constant at the optimiser's rate).</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>Clip the global gradient norm to this value (default: no clipping).</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>Seed of every random draw: each batch reseeds torch from (seed, epoch, batch), so runs and resumed runs are identical.</summary>
    public long Seed { get; init; }

    /// <summary>Checkpoint file (written atomically); null: no checkpoints.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Save a checkpoint every this many epochs (default 1); always after the last epoch and on cancellation.</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>Continue from <see cref="CheckpointPath"/> when it exists (default true).</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Per-epoch metrics as CSV (rewritten atomically each epoch); null: none.</summary>
    public string? MetricsCsvPath { get; init; }

    /// <summary>Per-epoch metrics as JSON lines (rewritten atomically each epoch); null: none.</summary>
    public string? MetricsJsonlPath { get; init; }

    /// <summary>
    /// A description of the model's architecture, saved in every checkpoint's user data as "model" so tools
    /// (e.g. <c>metaspike nir export</c>) can rebuild the network from the file alone; null: none.
    /// </summary>
    public System.Text.Json.Nodes.JsonObject? ModelDescription { get; init; }

    /// <summary>Throws unless the settings are usable.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"epochs must be >= 1, got {Epochs}.");
        if (CheckpointEvery < 1) throw new ArgumentException($"checkpoint interval must be >= 1 epoch, got {CheckpointEvery}.");
        if (ClipGradNorm is { } c && !(c > 0 && double.IsFinite(c))) throw new ArgumentException($"gradient clipping norm must be finite and > 0, got {c}.");
        Optimizer.Validate();
    }
}

/// <summary>
/// The training loop: per batch zero-grad, loss, BPTT, optional clipping, optimiser step, each inside its own
/// dispose scope (native memory stays flat); per epoch a learning rate from the schedule, metrics logged to CSV
/// and JSON lines, and an atomic checkpoint. A run resumed from a checkpoint gives the same numbers as an
/// uninterrupted one; cancellation (Ctrl+C) finishes the current batch, saves, and returns.
/// </summary>
public sealed class Trainer
{
    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly nn.Module _model;
    private readonly TrainerOptions _options;
    private readonly LearningRateSchedule _schedule;
    private readonly List<EpochMetrics> _history = [];

    /// <summary>Creates the trainer and its optimiser over the model's parameters.</summary>
    public Trainer(nn.Module model, TrainerOptions options)
    {
        options.Validate();
        (_model, _options) = (model, options);
        Optimizer = Optimizers.Create(model.parameters(), options.Optimizer);
        _schedule = options.Schedule ?? new ConstantSchedule(options.Optimizer.LearningRate);
    }

    /// <summary>The optimiser.</summary>
    public OptimizerHelper Optimizer { get; }

    /// <summary>Called after each batch with (epoch from 1, batch index from 0, the batch's loss).</summary>
    public event Action<int, int, double>? BatchCompleted;

    /// <summary>Called after each epoch.</summary>
    public event Action<EpochMetrics>? EpochCompleted;

    /// <summary>
    /// Trains. <paramref name="batches"/> gives an epoch's batches (input, labels) and must be a pure function of
    /// the epoch and torch's generator, which is seeded before it is called; <paramref name="step"/> computes a
    /// batch's loss.
    /// </summary>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite (the last checkpoint is kept).</exception>
    public TrainingOutcome Fit(Func<int, IEnumerable<(Tensor Input, Tensor Labels)>> batches, Func<Tensor, Tensor, BatchResult> step,
        CancellationToken cancellation = default)
    {
        int startEpoch = 0, startBatch = 0;
        var partial = new Accumulator();
        int? resumed = null;
        _history.Clear();
        if (_options.Resume && _options.CheckpointPath is { } path && File.Exists(path))
        {
            var meta = Checkpoint.Load(path, _model, Optimizer);
            (startEpoch, startBatch, partial) = ReadProgress(meta);
            resumed = startEpoch;
        }

        for (int epoch = startEpoch; epoch < _options.Epochs; epoch++)
        {
            var lr = Schedules.Apply(Optimizer, _schedule, epoch);
            var acc = epoch == startEpoch ? partial : new Accumulator();
            var clock = Stopwatch.StartNew();
            int index = 0;
            using (NewDisposeScope())
            {
                // Every draw is seeded from (seed, epoch, batch): the data of batch i before it is made, the step
                // after; so skipping batches on resume reproduces the same data and random numbers.
                manual_seed(Mix(_options.Seed, epoch, -1, 0));
                using var source = batches(epoch).GetEnumerator();
                while (true)
                {
                    manual_seed(Mix(_options.Seed, epoch, index, 1));
                    if (!source.MoveNext()) break;
                    if (epoch == startEpoch && index < startBatch) { index++; continue; }
                    manual_seed(Mix(_options.Seed, epoch, index, 2));
                    var (input, labels) = source.Current;
                    RunBatch(input, labels, step, acc, epoch, index);
                    index++;
                    if (cancellation.IsCancellationRequested)
                    {
                        acc.Seconds += clock.Elapsed.TotalSeconds;
                        SaveCheckpoint(epoch, index, acc);
                        return new TrainingOutcome(false, resumed, _history.ToArray());
                    }
                }
            }
            if (acc.Count == 0) throw new InvalidOperationException($"epoch {epoch + 1} had no batches.");
            var metrics = new EpochMetrics(epoch + 1, acc.LossSum / acc.Count, (double)acc.Correct / acc.Count, lr,
                acc.Seconds + clock.Elapsed.TotalSeconds, _options.ClipGradNorm is null ? null : acc.MaxGradNorm);
            _history.Add(metrics);
            WriteLogs();
            EpochCompleted?.Invoke(metrics);
            bool last = epoch + 1 == _options.Epochs;
            if (last || (epoch + 1) % _options.CheckpointEvery == 0 || cancellation.IsCancellationRequested)
                SaveCheckpoint(epoch + 1, 0, new Accumulator());
            if (!last && cancellation.IsCancellationRequested) return new TrainingOutcome(false, resumed, _history.ToArray());
        }
        return new TrainingOutcome(true, resumed, _history.ToArray());
    }

    private void RunBatch(Tensor input, Tensor labels, Func<Tensor, Tensor, BatchResult> step, Accumulator acc, int epoch, int index)
    {
        using var scope = NewDisposeScope();
        Optimizer.zero_grad();
        var result = step(input, labels);
        var loss = result.Loss.ToDouble();
        if (!double.IsFinite(loss))
            throw new InvalidOperationException(
                $"the loss became {loss} at epoch {epoch + 1}, batch {index + 1}; training stopped (the last checkpoint is kept). Lower the learning rate or enable gradient clipping.");
        result.Loss.backward();
        if (_options.ClipGradNorm is { } clip)
            acc.MaxGradNorm = Math.Max(acc.MaxGradNorm, GradientClipping.ClipNorm(_model.parameters(), clip));
        Optimizer.step();
        acc.LossSum += loss * result.Count;
        acc.Correct += result.Correct;
        acc.Count += result.Count;
        BatchCompleted?.Invoke(epoch + 1, index, loss);
    }

    private void SaveCheckpoint(int epoch, int batch, Accumulator partial)
    {
        if (_options.CheckpointPath is not { } path) return;
        var user = new JsonObject
        {
            ["batch"] = batch,
            ["partial"] = JsonSerializer.SerializeToNode(partial),
            ["history"] = JsonSerializer.SerializeToNode(_history),
        };
        if (_options.ModelDescription is { } model) user["model"] = model.DeepClone();
        Checkpoint.Save(path, _model, Optimizer, new CheckpointMetadata { Epoch = epoch, UserData = user });
    }

    private (int Epoch, int Batch, Accumulator Partial) ReadProgress(CheckpointMetadata meta)
    {
        var user = meta.UserData;
        _history.AddRange(user["history"]?.Deserialize<List<EpochMetrics>>() ?? []);
        var partial = user["partial"]?.Deserialize<Accumulator>() ?? new Accumulator();
        return (meta.Epoch, user["batch"]?.GetValue<int>() ?? 0, partial);
    }

    private void WriteLogs()
    {
        if (_options.MetricsCsvPath is { } csv)
        {
            var text = new StringBuilder("epoch,loss,accuracy,learning_rate,seconds,grad_norm\n");
            foreach (var m in _history)
                text.Append(CultureInfo.InvariantCulture, $"{m.Epoch},{m.Loss:R},{m.Accuracy:R},{m.LearningRate:R},{m.Seconds:F3},{m.GradNorm?.ToString("R", CultureInfo.InvariantCulture)}\n");
            AtomicFile.WriteAllText(csv, text.ToString());
        }
        if (_options.MetricsJsonlPath is { } jsonl)
            AtomicFile.WriteAllText(jsonl, string.Concat(_history.Select(m => JsonSerializer.Serialize(m, SnakeCase) + "\n")));
    }

    private static long Mix(long seed, int epoch, int batch, int purpose) => Seeds.Mix(seed, epoch, batch, purpose);

    private sealed class Accumulator
    {
        public double LossSum { get; set; }
        public long Correct { get; set; }
        public long Count { get; set; }
        public double Seconds { get; set; }
        public double MaxGradNorm { get; set; }
    }
}
