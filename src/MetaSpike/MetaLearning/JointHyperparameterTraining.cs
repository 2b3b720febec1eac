using System.Globalization;
using MetaSpike.Surrogates;
using MetaSpike.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>Settings of <see cref="JointHyperparameterTraining"/>.</summary>
public sealed record JointTrainingOptions
{
    /// <summary>Gradient steps (default 200).</summary>
    public int Steps { get; init; } = 200;

    /// <summary>
    /// The weights' optimiser (default plain gradient descent, learning rate 5e-4, as in the tutorial). With plain
    /// gradient descent the step size follows the surrogate's height, so the surrogate's shape matters; an adaptive
    /// optimiser such as Adam would normalise most of that away.
    /// </summary>
    public OptimizerSettings WeightOptimizer { get; init; } = new() { Kind = OptimizerKind.Sgd, LearningRate = 5e-4 };

    /// <summary>The learned hyperparameters' optimiser, on their unconstrained raw values (default Adam, learning rate 0.05).</summary>
    public OptimizerSettings HyperOptimizer { get; init; } = new() { Kind = OptimizerKind.Adam, LearningRate = 0.05 };

    /// <summary>Throws <see cref="ArgumentException"/> if a setting is out of range.</summary>
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"the number of training steps must be >= 1, got {Steps}.", nameof(Steps));
        ArgumentNullException.ThrowIfNull(WeightOptimizer);
        ArgumentNullException.ThrowIfNull(HyperOptimizer);
        WeightOptimizer.Validate();
        HyperOptimizer.Validate();
    }
}

/// <summary>One training step, measured before its update.</summary>
/// <param name="Step">The step (0 is the first).</param>
/// <param name="Loss">The loss with the weights and hyperparameters of this step.</param>
/// <param name="Hyperparameters">Every hyperparameter given to the training, by name, at this step.</param>
/// <param name="HyperGradients">dL/d(value) of each learned hyperparameter (the gradient that moved it), by name.</param>
/// <param name="WeightNorm">The Euclidean norm of the weights.</param>
public sealed record JointTrainingStep(int Step, double Loss, IReadOnlyDictionary<string, double> Hyperparameters,
    IReadOnlyDictionary<string, double> HyperGradients, double WeightNorm);

/// <summary>What <see cref="JointHyperparameterTraining.Run"/> records.</summary>
/// <param name="Surrogate">The surrogate at the end, e.g. <c>Sigmoid(alpha=3.1)</c>.</param>
/// <param name="Description">The hyperparameters' roles, e.g. <c>alpha learned</c>.</param>
/// <param name="History">One entry per step.</param>
/// <param name="FinalLoss">The loss after the last update.</param>
/// <param name="FinalHyperparameters">The hyperparameters after the last update.</param>
/// <param name="FinalCounts">Spike counts per pattern after the last update.</param>
/// <param name="Targets">The target counts.</param>
/// <param name="FinalWeights">The weights after the last update.</param>
public sealed record JointTrainingHistory(string Surrogate, string Description, IReadOnlyList<JointTrainingStep> History, double FinalLoss,
    IReadOnlyDictionary<string, double> FinalHyperparameters, IReadOnlyList<double> FinalCounts, IReadOnlyList<double> Targets,
    IReadOnlyList<double> FinalWeights)
{
    /// <summary>The loss at each step, then the final loss: Steps + 1 values.</summary>
    public double[] LossCurve() => [.. History.Select(h => h.Loss), FinalLoss];

    /// <summary>A hyperparameter at each step, then its final value: Steps + 1 values.</summary>
    public double[] HyperparameterCurve(string name) => [.. History.Select(h => h.Hyperparameters[name]), FinalHyperparameters[name]];

    /// <summary>The weight norm at each step.</summary>
    public double[] WeightNorms() => [.. History.Select(h => h.WeightNorm)];
}

/// <summary>
/// Trains the weights of a <see cref="SpikingRegressionTask"/> neuron jointly with surrogate hyperparameters: each
/// step one forward pass and one backward pass give the gradient of the loss in the weights and in every learned
/// hyperparameter's raw value, and both optimisers step (the tutorial's "meta-learning loop").
/// </summary>
/// <remarks>
/// The spike is the Heaviside step, so the loss's value does not depend on a surrogate hyperparameter at all; the
/// gradient a hyperparameter receives is the surrogate's direct hyperparameter gradient, chosen by the surrogate's
/// <see cref="SurrogateFunction.HyperGradient"/>: with <see cref="HyperGradientMode.StraightThrough"/> each spike
/// passes dF/dθ of the smooth function F it stands for (dL/dθ = Σ_t dL/dN · dF(x_t; θ)/dθ, the derivative of the
/// counts' smooth part Σ_t F(x_t; θ)); with <see cref="HyperGradientMode.BraintoolsCompatible"/> it passes dG/dθ,
/// braintools' rule. The reset is detached, so no other path reaches θ. Learned hyperparameters are kept in their
/// domain by <see cref="PositiveParameter"/>, never clipped.
/// </remarks>
public static class JointHyperparameterTraining
{
    /// <summary>
    /// Trains from the task's initial weights and returns the history. A learned hyperparameter's
    /// <see cref="PositiveParameter"/> keeps its trained value afterwards (pass a new one to start over), and the
    /// surrogate is left holding the final values.
    /// </summary>
    /// <param name="task">The task (its initial weights are the same for every run).</param>
    /// <param name="surrogate">The spike function; its hyperparameters named in <paramref name="hyperparameters"/> are replaced every step.</param>
    /// <param name="hyperparameters">The hyperparameters to learn or schedule, each named as in the surrogate.</param>
    /// <param name="options">Steps and optimisers.</param>
    /// <param name="onStep">Called after each step (for progress).</param>
    /// <param name="cancellation">Stops after the current step; the history holds the steps done.</param>
    /// <exception cref="ArgumentException">An unknown or repeated hyperparameter name, or an option out of range.</exception>
    /// <exception cref="InvalidOperationException">The loss or a gradient became NaN or infinite.</exception>
    public static JointTrainingHistory Run(SpikingRegressionTask task, SurrogateFunction surrogate, IReadOnlyList<SurrogateHyperparameter> hyperparameters,
        JointTrainingOptions? options = null, Action<JointTrainingStep>? onStep = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(surrogate);
        ArgumentNullException.ThrowIfNull(hyperparameters);
        options ??= new JointTrainingOptions();
        options.Validate();
        var known = surrogate.HyperparameterInfos.Select(i => i.Name).ToHashSet();
        foreach (var h in hyperparameters)
        {
            if (!known.Contains(h.Name))
                throw new ArgumentException($"{surrogate.Family} has no hyperparameter '{h.Name}' (it has {string.Join(", ", known)}).", nameof(hyperparameters));
        }
        var repeated = hyperparameters.GroupBy(h => h.Name).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) throw new ArgumentException($"hyperparameter '{repeated.Key}' is given twice.", nameof(hyperparameters));

        var weights = new Parameter(task.InitialWeights(), requires_grad: true);
        using var weightOptimizer = Optimizers.Create([weights], options.WeightOptimizer);
        var learned = hyperparameters.Where(h => h.IsLearned).ToArray();
        using var hyperOptimizer = learned.Length > 0 ? Optimizers.Create(learned.Select(h => h.Parameter!.Raw), options.HyperOptimizer) : null;
        var neuron = task.CreateNeuron(surrogate);
        var history = new List<JointTrainingStep>(options.Steps);
        int total = options.Steps;

        for (int step = 0; step < total && !cancellation.IsCancellationRequested; step++)
        {
            using var scope = NewDisposeScope();
            var values = Apply(surrogate, hyperparameters, step, total);
            var loss = task.Loss(task.Simulate(weights, neuron).Counts);
            double lossValue = loss.ToDouble();
            if (!double.IsFinite(lossValue))
                throw new InvalidOperationException($"the loss became {lossValue} at step {step} ({Describe(values)}).");
            weightOptimizer.zero_grad();
            hyperOptimizer?.zero_grad();
            loss.backward();
            var gradients = new Dictionary<string, double>();
            foreach (var h in learned)
            {
                var raw = h.Parameter!.Raw;
                double rawGradient = raw.grad is { } g ? g.ToDouble() : 0.0;
                // dL/dvalue = dL/draw / (dvalue/draw), and dvalue/draw = sigmoid(raw) > 0.
                double slope = 1.0 / (1.0 + Math.Exp(-raw.ToDouble()));
                gradients[h.Name] = rawGradient / slope;
                if (!double.IsFinite(rawGradient))
                    throw new InvalidOperationException($"the gradient of '{h.Name}' became {rawGradient} at step {step} ({Describe(values)}).");
            }
            double norm;
            using (no_grad()) norm = weights.norm().ToDouble();
            weightOptimizer.step();
            hyperOptimizer?.step();
            var record = new JointTrainingStep(step, lossValue, values, gradients, norm);
            history.Add(record);
            onStep?.Invoke(record);
        }

        // Final evaluation, then leave the surrogate holding plain numbers (the step tensors were disposed).
        int last = Math.Max(0, history.Count - 1);
        var final = hyperparameters.ToDictionary(h => h.Name, h => h.CurrentAt(last, total));
        foreach (var (name, value) in final) surrogate.SetHyperparameter(name, value);
        double finalLoss;
        double[] counts;
        using (no_grad())
        using (NewDisposeScope())
        {
            var run = task.Simulate(weights, neuron);
            counts = run.Counts.to_type(ScalarType.Float64).data<double>().ToArray();
            finalLoss = task.Loss(run.Counts).ToDouble();
        }
        return new JointTrainingHistory(surrogate.ToString(), string.Join(", ", hyperparameters.Select(h => h.ToString())), history, finalLoss, final, counts,
            task.Targets.to_type(ScalarType.Float64).data<double>().ToArray(), weights.detach().to_type(ScalarType.Float64).data<double>().ToArray());
    }

    private static Dictionary<string, double> Apply(SurrogateFunction surrogate, IReadOnlyList<SurrogateHyperparameter> hyperparameters, int step, int total)
    {
        var values = new Dictionary<string, double>();
        foreach (var h in hyperparameters)
        {
            var value = h.ValueAt(step, total);
            surrogate.SetHyperparameter(h.Name, value);
            values[h.Name] = value.ToDouble();
        }
        return values;
    }

    private static string Describe(IReadOnlyDictionary<string, double> values) =>
        string.Join(", ", values.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:G6}")));
}
