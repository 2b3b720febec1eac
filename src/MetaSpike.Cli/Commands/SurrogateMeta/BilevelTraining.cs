using System.CommandLine;
using MetaSpike.Layers;
using MetaSpike.Losses;
using MetaSpike.MetaLearning;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>
/// Trains a <see cref="Classifier"/>'s weights by SGD while alpha is fixed, learnt jointly, or learnt
/// bi-level. Every method makes the same number of weight updates: outer steps x K. Bi-level: each outer step
/// unrolls its K weight updates differentiably (they are the run's actual updates: w = w_K afterwards) and takes
/// one Adam step on alpha with the hypergradient of the validation loss at w_K. Joint: one Adam step on alpha
/// per weight update, with the training loss's gradient.
/// </summary>
internal static class BilevelTraining
{
    /// <summary>How the surrogate's alpha is chosen while the weights train.</summary>
    public enum Method
    {
        /// <summary>alpha stays at its initial value.</summary>
        Fixed,

        /// <summary>alpha is trained with the weights on the training loss (its braintools-style direct gradient).</summary>
        Joint,

        /// <summary>alpha minimises the validation loss after K unrolled training steps (hypergradient through the unroll).</summary>
        Bilevel,
    }

    /// <summary>
    /// A spiking classifier whose surrogate steepness is given per call: Linear, LIF (voltage-jump input, soft reset,
    /// Sigmoid surrogate), Linear, leaky readout; the logits are the readout's mean over time.
    /// </summary>
    public sealed class Classifier
    {
        // The surrogate holds this between calls, so it never keeps a tensor that a dispose scope has freed.
        private readonly Tensor _idleAlpha = tensor(4.0);

        public Classifier(int inputs, int hidden, int classes, HyperGradientMode hyperGradient, double tauMs = 10)
        {
            Spike = new Sigmoid(alpha: _idleAlpha, hyperGradient: hyperGradient);
            Net = new Sequential(
                new Linear(inputs, hidden),
                new Lif(hidden, tau: tauMs, input: InputKind.VoltageJump, reset: ResetMode.Subtract, surrogate: Spike),
                new Linear(hidden, classes),
                new LeakyReadout(classes, tau: tauMs));
            Net.SetDt(1.0);
        }

        public Sequential Net { get; }

        public Sigmoid Spike { get; }

        /// <summary>The trainable weights, in <see cref="FunctionalCall.Parameters"/> order.</summary>
        public IReadOnlyList<Tensor> Weights => FunctionalCall.Parameters(Net);

        /// <summary>Logits [B, classes] of spikes [T, B, inputs] with surrogate steepness <paramref name="alpha"/>, optionally with other weights.</summary>
        public Tensor Logits(Tensor spikes, Tensor alpha, IReadOnlyList<Tensor>? weights = null)
        {
            Spike.SetHyperparameter("alpha", alpha);
            try
            {
                using var _ = weights is null ? null : FunctionalCall.Use(Net, weights);
                return Simulator.Run(Net, spikes).mean([0]);
            }
            finally
            {
                Spike.SetHyperparameter("alpha", _idleAlpha);
            }
        }

        /// <summary>Cross-entropy of <see cref="Logits"/> against integer labels.</summary>
        public Tensor Loss(Tensor spikes, Tensor labels, Tensor alpha, IReadOnlyList<Tensor>? weights = null) =>
            MetaSpike.Losses.Loss.CrossEntropy(Logits(spikes, alpha, weights), labels);

        /// <summary>Loss and accuracy without a graph.</summary>
        public (double Loss, double Accuracy) Evaluate(Tensor spikes, Tensor labels, double alpha)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var logits = Logits(spikes, tensor(alpha, spikes.dtype));
            return (MetaSpike.Losses.Loss.CrossEntropy(logits, labels).ToDouble(), Metrics.Accuracy(logits, labels));
        }
    }

    /// <summary>The <c>--threads</c> option of the scenarios that train.</summary>
    public static Option<int> ThreadsOption() => new("--threads")
    {
        Description = "libtorch intra-op threads (default 1: these small networks run fastest on one thread, above all on a shared machine; 0 keeps libtorch's default).",
        DefaultValueFactory = _ => 1,
    };

    /// <summary>Applies <c>--threads</c>; returns the thread count in use.</summary>
    public static int ApplyThreads(int threads)
    {
        if (threads < 0) throw new ArgumentException($"--threads must be >= 0 (0: libtorch's default), got {threads}.");
        if (threads > 0 && torch.get_num_threads() != threads) torch.set_num_threads(threads);
        return torch.get_num_threads();
    }

    /// <summary>Throws the CLI's usage error unless <paramref name="value"/> is positive and finite.</summary>
    public static void RequirePositive(string option, double value)
    {
        if (!(value > 0 && double.IsFinite(value))) throw new ArgumentException($"{option} must be positive and finite, got {value}.");
    }

    /// <summary>Throws the CLI's usage error unless <c>--alpha</c> is finite and above the learnt alpha's floor.</summary>
    public static void RequireInitialAlpha(double alpha)
    {
        if (!(alpha > DefaultAlphaMinimum && double.IsFinite(alpha)))
            throw new ArgumentException($"--alpha must be finite and above {DefaultAlphaMinimum} (the learnt alpha's floor), got {alpha}.");
    }

    /// <summary>The floor of a learnt alpha: alpha = floor + softplus(raw).</summary>
    public const double DefaultAlphaMinimum = 0.1;

    /// <summary>A number for a table cell, culture-invariant.</summary>
    public static string Format(double value, string format) => value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A point of a training curve: after <paramref name="Step"/> weight updates.</summary>
    public sealed record CurvePoint(int Step, double TrainingLoss, double ValidationLoss, double ValidationAccuracy, double Alpha);

    /// <summary>Settings of one training run (see <see cref="Train"/>).</summary>
    public sealed record Settings
    {
        public required Method Method { get; init; }

        /// <summary>Outer steps; each is <see cref="UnrollSteps"/> weight updates.</summary>
        public required int OuterSteps { get; init; }

        /// <summary>K: weight updates per outer step (the bi-level unroll length).</summary>
        public required int UnrollSteps { get; init; }

        /// <summary>SGD step size of the weights (the inner learning rate).</summary>
        public required double LearningRate { get; init; }

        /// <summary>Adam step size of alpha's unconstrained parameter.</summary>
        public required double AlphaLearningRate { get; init; }

        public double InitialAlpha { get; init; } = 4.0;

        /// <summary>alpha = minimum + softplus(raw) stays above this.</summary>
        public double AlphaMinimum { get; init; } = DefaultAlphaMinimum;

        /// <summary>Evaluate on the validation set every this many outer steps (and at the start and the end).</summary>
        public int EvaluateEvery { get; init; } = 1;
    }

    /// <summary>Trains <paramref name="model"/> with the chosen method; returns the validation curve (start, every few outer steps, end).</summary>
    /// <param name="model">The classifier; its weights are trained in place.</param>
    /// <param name="settings">Method and step sizes.</param>
    /// <param name="trainBatch">Spikes [T, B, in] and labels of weight update i (0-based, over the whole run).</param>
    /// <param name="validationBatch">The validation batch of outer step s, for the hypergradient.</param>
    /// <param name="evaluate">Validation loss and accuracy at the current weights for an alpha value.</param>
    /// <param name="progress">Called after each outer step with the number done.</param>
    public static IReadOnlyList<CurvePoint> Train(Classifier model, Settings settings,
        Func<int, (Tensor Spikes, Tensor Labels)> trainBatch, Func<int, (Tensor Spikes, Tensor Labels)> validationBatch,
        Func<double, (double Loss, double Accuracy)> evaluate, Action<int>? progress = null)
    {
        var alpha = new PositiveParameter(settings.InitialAlpha, settings.AlphaMinimum);
        var weights = model.Weights;
        var sgd = optim.SGD(model.Net.parameters(), settings.LearningRate);
        var adam = optim.Adam([(TorchSharp.Modules.Parameter)alpha.Raw], settings.AlphaLearningRate);
        int outer = 0;
        var bilevel = new BilevelHyperparameterOptimizer(
            (w, a, k) =>
            {
                var (x, y) = trainBatch(outer * settings.UnrollSteps + k);
                return model.Loss(x, y, a, w);
            },
            (w, a) =>
            {
                var (x, y) = validationBatch(outer);
                return model.Loss(x, y, a, w);
            },
            settings.UnrollSteps, settings.LearningRate);

        var curve = new List<CurvePoint>();
        void Record(double trainingLoss)
        {
            var (loss, accuracy) = evaluate(alpha.Current);
            curve.Add(new CurvePoint(outer * settings.UnrollSteps, trainingLoss, loss, accuracy, alpha.Current));
        }
        Record(double.NaN);
        for (outer = 0; outer < settings.OuterSteps;)
        {
            double trainingLoss;
            using (NewDisposeScope())
            {
                trainingLoss = settings.Method == Method.Bilevel
                    ? BilevelStep(bilevel, weights, alpha, adam)
                    : PlainSteps(model, settings, trainBatch, outer, alpha, sgd, adam);
            }
            outer++;
            if (outer % settings.EvaluateEvery == 0 || outer == settings.OuterSteps) Record(trainingLoss);
            progress?.Invoke(outer);
        }
        return curve;
    }

    private static double BilevelStep(BilevelHyperparameterOptimizer bilevel, IReadOnlyList<Tensor> weights, PositiveParameter alpha, optim.Optimizer adam)
    {
        var result = bilevel.Step(weights, alpha, adam);
        using (no_grad())
            for (int i = 0; i < weights.Count; i++) weights[i].copy_(result.AdaptedWeights[i]);
        return result.TrainingLosses.Average();
    }

    private static double PlainSteps(Classifier model, Settings settings, Func<int, (Tensor Spikes, Tensor Labels)> trainBatch,
        int outer, PositiveParameter alpha, optim.Optimizer sgd, optim.Optimizer adam)
    {
        bool joint = settings.Method == Method.Joint;
        double sum = 0;
        for (int k = 0; k < settings.UnrollSteps; k++)
        {
            var (x, y) = trainBatch(outer * settings.UnrollSteps + k);
            sgd.zero_grad();
            adam.zero_grad();
            var a = joint ? alpha.Value() : tensor(alpha.Current, x.dtype);
            var loss = model.Loss(x, y, a);
            double value = loss.ToDouble();
            if (!double.IsFinite(value))
                throw new InvalidOperationException($"the training loss became {value} at weight update {outer * settings.UnrollSteps + k}; lower --lr.");
            loss.backward();
            sgd.step();
            if (joint) adam.step();
            sum += value;
        }
        return sum / settings.UnrollSteps;
    }
}
