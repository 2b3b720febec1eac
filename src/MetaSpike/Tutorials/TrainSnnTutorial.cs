using MetaSpike.Encoders;
using MetaSpike.Layers;
using MetaSpike.Losses;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using MetaSpike.Surrogates;
using MetaSpike.Training;
using MetaSpike.Units;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tutorials;

/// <summary>Settings of the brainstate "Training a Spiking Neural Network" tutorial; the defaults are the tutorial's.</summary>
public sealed record TrainSnnTutorialOptions
{
    /// <summary>Input channels (100).</summary>
    public int Inputs { get; init; } = 100;

    /// <summary>Hidden LIF neurons (4).</summary>
    public int Hidden { get; init; } = 4;

    /// <summary>Output classes (2).</summary>
    public int Outputs { get; init; } = 2;

    /// <summary>Time steps (100).</summary>
    public int Steps { get; init; } = 100;

    /// <summary>Samples in the one batch (128).</summary>
    public int Batch { get; init; } = 128;

    /// <summary>Poisson input rate (5 Hz).</summary>
    public Rate InputRate { get; init; } = 5.0;

    /// <summary>Time step (1 ms).</summary>
    public Time Dt { get; init; } = 1.0;

    /// <summary>Adam learning rate (3e-3).</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Epochs, one batch each (800).</summary>
    public int Epochs { get; init; } = 800;

    /// <summary>Seed of the data, the weights and training.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Add recurrent weights to the hidden layer (zero-initialised). Default false: the tutorial's code, whose "recurrent
    /// layer" is a LIF layer fed by the input projection, recurrent in time through its own state only.
    /// </summary>
    public bool Recurrent { get; init; }

    /// <summary>Multi-step (default) or step-by-step simulation.</summary>
    public StepMode Mode { get; init; } = StepMode.Multi;

    /// <summary>Checkpoint file (resumed when present); null: none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Save a checkpoint every this many epochs.</summary>
    public int CheckpointEvery { get; init; } = 50;

    /// <summary>Per-epoch metrics CSV; null: none.</summary>
    public string? MetricsCsvPath { get; init; }

    /// <summary>Per-epoch metrics JSON lines; null: none.</summary>
    public string? MetricsJsonlPath { get; init; }
}

/// <summary>
/// brainstate's SNN training tutorial end to end: Poisson inputs (5 Hz) → Linear (KaimingNormal, scale 7·(1 - e^-1))
/// → exponential synapse (10 ms) → LIF layer of 4 (20 ms, threshold 1, soft reset, ReluGrad surrogate; optionally
/// with recurrent weights) → Linear → exponential-synapse output (10 ms); loss = cross-entropy of the time-averaged output,
/// accuracy = argmax of the maximum over time; random binary labels; Adam 3e-3 for 800 one-batch epochs.
/// </summary>
public sealed class TrainSnnTutorial
{
    /// <summary>Builds the network and the data set (seeded).</summary>
    public TrainSnnTutorial(TrainSnnTutorialOptions options)
    {
        Options = options;
        manual_seed(options.Seed);
        Network = BuildNetwork(options);
        Inputs = PoissonEncoder.Constant(options.Steps, [options.Batch, options.Inputs], options.InputRate, options.Dt);
        Labels = rand(options.Batch).lt(0.5).to_type(int64);
        Trainer = new Trainer(Network, new TrainerOptions
        {
            Epochs = options.Epochs,
            Optimizer = new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = options.LearningRate },
            Seed = options.Seed,
            CheckpointPath = options.CheckpointPath,
            CheckpointEvery = options.CheckpointEvery,
            MetricsCsvPath = options.MetricsCsvPath,
            MetricsJsonlPath = options.MetricsJsonlPath,
            ModelDescription = Describe(options),
        });
    }

    /// <summary>The recipe name in <see cref="Describe"/>'s description.</summary>
    public const string Recipe = "tutorial-train-snn";

    /// <summary>
    /// The tutorial's network for <paramref name="options"/> (sizes, recurrence, dt), freshly initialised from torch's
    /// global generator: Linear → Expon → (Recurrent)Lif → Linear → Expon.
    /// </summary>
    public static Sequential BuildNetwork(TrainSnnTutorialOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var decay = 1 - Math.Exp(-options.Dt.Milliseconds / 1.0);
        Lif hidden = options.Recurrent
            ? new RecurrentLif(options.Hidden, recurrentInit: Init.Zeros, tau: 20, surrogate: new ReluGrad(), reset: ResetMode.Subtract)
            : new Lif(options.Hidden, tau: 20, surrogate: new ReluGrad(), reset: ResetMode.Subtract);
        var network = new Sequential(
            new Linear(options.Inputs, options.Hidden, weightInit: Init.KaimingNormal(7 * decay), biasInit: Init.Zeros),
            new Expon(options.Hidden, tau: 10),
            hidden,
            new Linear(options.Hidden, options.Outputs, weightInit: Init.KaimingNormal(), biasInit: Init.Zeros),
            new Expon(options.Outputs, tau: 10));
        network.SetDt(options.Dt);
        return network;
    }

    /// <summary>The description saved in the checkpoint ("model"), from which <see cref="FromDescription"/> rebuilds the options.</summary>
    public static System.Text.Json.Nodes.JsonObject Describe(TrainSnnTutorialOptions options) => new()
    {
        ["recipe"] = Recipe,
        ["inputs"] = options.Inputs,
        ["hidden"] = options.Hidden,
        ["outputs"] = options.Outputs,
        ["recurrent"] = options.Recurrent,
        ["dt_ms"] = options.Dt.Milliseconds,
    };

    /// <summary>The architecture options that <see cref="Describe"/> recorded.</summary>
    /// <exception cref="ArgumentException">The description is not this tutorial's or lacks a field.</exception>
    public static TrainSnnTutorialOptions FromDescription(System.Text.Json.Nodes.JsonObject description)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (description["recipe"]?.GetValue<string>() != Recipe) throw new ArgumentException($"the model description is not a '{Recipe}' network.", nameof(description));
        T Field<T>(string name) => description[name] is { } node ? node.GetValue<T>() : throw new ArgumentException($"the '{Recipe}' model description lacks '{name}'.", nameof(description));
        return new TrainSnnTutorialOptions
        {
            Inputs = Field<int>("inputs"), Hidden = Field<int>("hidden"), Outputs = Field<int>("outputs"),
            Recurrent = Field<bool>("recurrent"), Dt = Field<double>("dt_ms"),
        };
    }

    /// <summary>The settings.</summary>
    public TrainSnnTutorialOptions Options { get; }

    /// <summary>The network (a <see cref="Sequential"/> of five layers; layer 2 is the hidden LIF).</summary>
    public Sequential Network { get; }

    /// <summary>Input spikes [steps, batch, inputs].</summary>
    public Tensor Inputs { get; }

    /// <summary>Labels [batch] (0 or 1).</summary>
    public Tensor Labels { get; }

    /// <summary>The trainer (subscribe to its events for progress).</summary>
    public Trainer Trainer { get; }

    /// <summary>
    /// Accuracy of the current network on the data set: argmax over classes of the maximum over time (the tutorial's
    /// measure), or with <paramref name="meanOverTime"/> of the time average (what the loss trains).
    /// </summary>
    public double Accuracy(bool meanOverTime = false)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var output = Simulator.Run(Network, Inputs, new SimulationOptions { Mode = Options.Mode });
        return Metrics.Accuracy(meanOverTime ? output.mean([0]) : output.amax([0]), Labels);
    }

    /// <summary>Trains (or resumes) for the configured epochs.</summary>
    public TrainingOutcome Fit(CancellationToken cancellation = default) =>
        Trainer.Fit(_ => [(Inputs, Labels)], Step, cancellation);

    /// <summary>The hidden layer's spikes [steps, samples, hidden] for the first <paramref name="samples"/> samples.</summary>
    public float[,,] HiddenSpikes(int samples)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = Inputs.narrow(1, 0, Math.Min(samples, Options.Batch));
        Network.SetStepMode(StepMode.Multi);
        Network.ResetState(x.shape[1]);
        for (int i = 0; i <= 2; i++) x = ((SpikingModule)Network.Layers[i]).Sequence(x);
        var values = x.contiguous().data<float>().ToArray();
        var result = new float[x.shape[0], x.shape[1], x.shape[2]];
        Buffer.BlockCopy(values, 0, result, 0, values.Length * sizeof(float));
        return result;
    }

    private BatchResult Step(Tensor input, Tensor labels)
    {
        var output = Simulator.Run(Network, input, new SimulationOptions { Mode = Options.Mode });
        var loss = Loss.CrossEntropy(output.mean([0]), labels);
        long correct;
        using (no_grad()) correct = output.amax([0]).argmax(1).eq(labels).sum().ToInt64();
        return new BatchResult(loss, correct, labels.shape[0]);
    }
}
