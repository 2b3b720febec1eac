using MetaSpike.Data.FewShot;
using MetaSpike.Data.Generators;
using MetaSpike.Losses;
using MetaSpike.Runtime;
using MetaSpike.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>The transfer-learning baseline's settings: pre-training, then fine-tuning the head shot by shot.</summary>
public sealed record TransferLearningSettings
{
    /// <summary>Adam steps of pre-training on the meta-train classes.</summary>
    public int PretrainSteps { get; init; } = 1000;

    /// <summary>Samples per pre-training mini-batch (drawn uniformly from the meta-train split, with replacement).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Pre-training Adam learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Fine-tuning stops after this many shots per class (1, 2, ..., MaxShots are measured).</summary>
    public int MaxShots { get; init; } = 10;

    /// <summary>Optimiser steps on the shots seen so far, after each new shot.</summary>
    public int FineTuneSteps { get; init; } = 10;

    /// <summary>The head's fine-tuning optimiser.</summary>
    public OptimizerKind FineTuneOptimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>The head's fine-tuning learning rate.</summary>
    public double FineTuneLearningRate { get; init; } = 0.01;

    /// <summary>Standard deviation of the fresh head's weights for each task (0: all zero, bias always 0).</summary>
    public double HeadInitStd { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (PretrainSteps < 0) throw new ArgumentException($"pre-training steps must be >= 0, got {PretrainSteps}.");
        if (BatchSize < 1) throw new ArgumentException($"the batch size must be at least 1, got {BatchSize}.");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0) throw new ArgumentException($"the pre-training learning rate must be finite and > 0, got {LearningRate}.");
        if (MaxShots < 1) throw new ArgumentException($"at least 1 shot is needed, got {MaxShots}.");
        if (FineTuneSteps < 1) throw new ArgumentException($"fine-tuning needs at least 1 step per shot, got {FineTuneSteps}.");
        if (!Enum.IsDefined(FineTuneOptimizer)) throw new ArgumentException($"unknown fine-tuning optimiser {FineTuneOptimizer}.");
        if (!double.IsFinite(FineTuneLearningRate) || FineTuneLearningRate <= 0)
            throw new ArgumentException($"the fine-tuning learning rate must be finite and > 0, got {FineTuneLearningRate}.");
        if (!double.IsFinite(HeadInitStd) || HeadInitStd < 0) throw new ArgumentException($"the head's initial std must be finite and >= 0, got {HeadInitStd}.");
    }
}

/// <summary>A pre-trained classifier over all meta-train classes.</summary>
/// <param name="Network">The network; its head has one output per meta-train class (labels are positions in the split).</param>
/// <param name="Losses">Each step's mini-batch loss.</param>
/// <param name="Accuracies">Each step's mini-batch accuracy (before the step).</param>
public sealed record Pretraining(FewShotNetwork Network, IReadOnlyList<double> Losses, IReadOnlyList<double> Accuracies);

/// <summary>Query accuracy after fine-tuning on <paramref name="Shots"/> shots per class.</summary>
/// <param name="Shots">Shots per class seen.</param>
/// <param name="Accuracy">Mean ± std over the tasks.</param>
public sealed record ShotAccuracy(int Shots, MeanStd Accuracy);

/// <summary>The transfer-learning curve (their Fig. 6).</summary>
/// <param name="PerShot">Accuracy for 1, 2, ..., MaxShots shots.</param>
/// <param name="TaskAccuracies">Per task, the accuracy after each shot count ([task][shots - 1]).</param>
public sealed record TransferResult(IReadOnlyList<ShotAccuracy> PerShot, IReadOnlyList<IReadOnlyList<double>> TaskAccuracies);

/// <summary>
/// The transfer-learning baseline of Stewart and Neftci (2022, Sec. 3.5, Fig. 6): an ordinary classifier is
/// pre-trained on all meta-train classes (<see cref="Pretrain"/>); its body is copied into an N-way network and
/// frozen (<see cref="Transfer"/>); then on each meta-test task a fresh head learns the classes one shot per class at
/// a time and is tested on held-out queries after each shot (<see cref="FineTuneShotByShot"/>). The paper needs
/// about 9-10 shots to match one-shot MAML. Networks come from a factory (ways → network), so conv and dense
/// bodies both work.
/// </summary>
public static class TransferLearning
{
    /// <summary>
    /// Pre-trains a network over all meta-train classes of <paramref name="loader"/>'s dataset with Adam on random
    /// mini-batches. Seeds torch's global generator (for the network's initial weights) from <paramref name="seed"/>.
    /// </summary>
    /// <param name="createNetwork">Builds a network with the given number of classes.</param>
    /// <param name="loader">Gives the dataset and bins its samples.</param>
    /// <param name="settings">Steps, batch size and learning rate.</param>
    /// <param name="seed">Seeds the initial weights and the mini-batches.</param>
    /// <param name="headUpdates">If given, records each optimiser step's change of its parameter (the head weight: the non-meta row of Table 5).</param>
    /// <exception cref="ArgumentException">Bad settings, or the factory's network has the wrong number of classes.</exception>
    public static Pretraining Pretrain(Func<int, FewShotNetwork> createNetwork, FewShotTaskLoader loader, TransferLearningSettings settings,
        long seed = 0, UpdateRecorder? headUpdates = null)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var split = loader.Dataset.Splits.Train;
        var samples = Enumerable.Range(0, split.Classes.Count).SelectMany(c => split.SamplesOf(c).Select(index => (Index: index, Label: (long)c))).ToArray();
        manual_seed(Seeds.Mix(seed, 0));
        var network = Create(createNetwork, split.Classes.Count);
        var device = network.parameters().First().device;
        var optimizer = Optimizers.Create(network.parameters(), new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = settings.LearningRate });
        var rng = new Random(Seeds.Mix32(seed, 1));
        var batch = new (int Index, long Label)[settings.BatchSize];
        var (losses, accuracies) = (new List<double>(settings.PretrainSteps), new List<double>(settings.PretrainSteps));
        for (int step = 0; step < settings.PretrainSteps; step++)
        {
            using var scope = NewDisposeScope();
            rng.GetItems(samples, batch);
            var frames = loader.Frames(split.Source, batch.Select(b => b.Index).ToArray()).to(device);
            var labels = tensor(batch.Select(b => b.Label).ToArray(), ScalarType.Int64, device);
            optimizer.zero_grad();
            var logits = network.forward(frames);
            var loss = Loss.CrossEntropy(logits, labels);
            loss.backward();
            if (headUpdates is null) optimizer.step();
            else headUpdates.Record(network, () => optimizer.step());
            losses.Add(loss.ToDouble());
            accuracies.Add(Metrics.Accuracy(logits.detach(), labels));
        }
        return new Pretraining(network, losses, accuracies);
    }

    /// <summary>
    /// A <paramref name="ways"/>-way network with <paramref name="pretrained"/>'s body (copied, parameters frozen) and
    /// the factory's fresh head.
    /// </summary>
    /// <exception cref="ArgumentException">The factory's body has other parameters than the pre-trained one.</exception>
    public static FewShotNetwork Transfer(FewShotNetwork pretrained, Func<int, FewShotNetwork> createNetwork, int ways)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        var network = Create(createNetwork, ways);
        var source = pretrained.Body.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var target = network.Body.named_parameters().ToArray();
        if (target.Length != source.Count)
            throw new ArgumentException($"the factory's body has {target.Length} parameters, the pre-trained body {source.Count}.", nameof(createNetwork));
        using var _ = no_grad();
        foreach (var (name, parameter) in target)
        {
            if (!source.TryGetValue(name, out var from) || !from.shape.SequenceEqual(parameter.shape))
                throw new ArgumentException($"the factory's body parameter '{name}' {parameter.ShapeText()} has no pre-trained counterpart of that shape.", nameof(createNetwork));
            parameter.copy_(from);
            parameter.requires_grad_(false);
        }
        return network;
    }

    /// <summary>
    /// Fine-tunes <paramref name="network"/>'s head shot by shot on <paramref name="tasks"/> tasks of
    /// <paramref name="split"/>: per task the head starts fresh (see <see cref="TransferLearningSettings.HeadInitStd"/>)
    /// with a fresh optimiser; for k = 1, ..., MaxShots it takes <see cref="TransferLearningSettings.FineTuneSteps"/>
    /// steps on the first k shots of each class (continuing from k - 1) and is tested on the task's queries. The
    /// body is never changed: its features are computed once per task. The head keeps the last task's weights.
    /// </summary>
    /// <param name="network">A network from <see cref="Transfer"/>.</param>
    /// <param name="loader">N-way tasks with at least MaxShots shots per class (their order within a class is random, so the first k are a random k).</param>
    /// <param name="split">Where the tasks come from (the meta-test split for the baseline).</param>
    /// <param name="tasks">Tasks (trials), numbered 0, 1, ... in the loader.</param>
    /// <param name="settings">Shots, steps and the fine-tuning optimiser.</param>
    /// <param name="seed">Seeds the fresh heads when <see cref="TransferLearningSettings.HeadInitStd"/> &gt; 0.</param>
    /// <exception cref="ArgumentException">Bad settings, no tasks, no queries, too few shots in the loader, or ways that differ from the head's.</exception>
    public static TransferResult FineTuneShotByShot(FewShotNetwork network, FewShotTaskLoader loader, MetaSplit split, int tasks,
        TransferLearningSettings settings, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (tasks < 1) throw new ArgumentException($"at least 1 task is needed, got {tasks}.", nameof(tasks));
        if (loader.Ways != network.Ways) throw new ArgumentException($"the loader gives {loader.Ways}-way tasks; the head has {network.Ways} outputs.", nameof(loader));
        if (loader.Shots < settings.MaxShots) throw new ArgumentException($"fine-tuning up to {settings.MaxShots} shots needs a loader with that many; it has {loader.Shots}.", nameof(loader));
        if (loader.Queries < 1) throw new ArgumentException("the loader's tasks have no query samples to test on.", nameof(loader));
        var device = network.Head.parameters().First().device;
        var accuracies = new double[tasks][];
        for (int t = 0; t < tasks; t++)
        {
            using var scope = NewDisposeScope();
            var task = loader.Load(split, t).To(device);
            Tensor support, query;
            using (no_grad()) (support, query) = (network.Features(task.SupportFrames), network.Features(task.QueryFrames));
            ResetHead(network.Head, settings.HeadInitStd, Seeds.Mix(seed, t));
            var optimizer = Optimizers.Create(network.Head.parameters(), new OptimizerSettings { Kind = settings.FineTuneOptimizer, LearningRate = settings.FineTuneLearningRate });
            accuracies[t] = new double[settings.MaxShots];
            for (int k = 1; k <= settings.MaxShots; k++)
            {
                // The support is class by class (TaskSampler): shot j of class c is sample c * Shots + j.
                var seen = tensor(Enumerable.Range(0, loader.Ways).SelectMany(c => Enumerable.Range(c * loader.Shots, k)).Select(i => (long)i).ToArray(), ScalarType.Int64, device);
                var (features, labels) = (support.index_select(support.dim() - 2, seen), task.SupportLabels.index_select(0, seen));
                for (int step = 0; step < settings.FineTuneSteps; step++)
                {
                    optimizer.zero_grad();
                    Loss.CrossEntropy(HeadLogits(network, features), labels).backward();
                    optimizer.step();
                }
                using (no_grad()) accuracies[t][k - 1] = Metrics.Accuracy(HeadLogits(network, query), task.QueryLabels);
            }
        }
        var perShot = Enumerable.Range(1, settings.MaxShots).Select(k => new ShotAccuracy(k, MeanStd.Of(accuracies.Select(a => a[k - 1]).ToArray()))).ToArray();
        return new TransferResult(perShot, accuracies);
    }

    private static FewShotNetwork Create(Func<int, FewShotNetwork> createNetwork, int ways)
    {
        ArgumentNullException.ThrowIfNull(createNetwork);
        var network = createNetwork(ways) ?? throw new ArgumentException("the network factory returned null.", nameof(createNetwork));
        return network.Ways == ways ? network
            : throw new ArgumentException($"the network factory was asked for {ways} classes but built a head with {network.Ways}.", nameof(createNetwork));
    }

    private static Tensor HeadLogits(FewShotNetwork network, Tensor features) => network.LogitsOf(network.Head.forward(features));

    private static void ResetHead(Layers.Linear head, double std, long seed)
    {
        using var _ = no_grad();
        var weight = head.get_parameter("weight")!;
        if (std == 0)
        {
            weight.zero_();
        }
        else
        {
            using var generator = new Generator((ulong)seed);
            weight.copy_(randn(weight.shape, generator: generator) * std);
        }
        head.get_parameter("bias")?.zero_();
    }
}
