using System.Globalization;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>Settings of <see cref="SpikingRegressionTask"/>.</summary>
public sealed record SpikingRegressionOptions
{
    /// <summary>Poisson input channels (default 20).</summary>
    public int Inputs { get; init; } = 20;

    /// <summary>Input patterns, each with its own target spike count (default 16).</summary>
    public int Patterns { get; init; } = 16;

    /// <summary>Simulation steps per pattern (default 100).</summary>
    public int TimeSteps { get; init; } = 100;

    /// <summary>Step length in ms (default 1).</summary>
    public double DtMs { get; init; } = 1.0;

    /// <summary>Membrane time constant in ms (default 10).</summary>
    public double TauMs { get; init; } = 10.0;

    /// <summary>Rate of a pattern's active channels in Hz (default 80).</summary>
    public double ActiveRateHz { get; init; } = 80.0;

    /// <summary>Rate of the other channels in Hz (default 5).</summary>
    public double BackgroundRateHz { get; init; } = 5.0;

    /// <summary>Probability that a channel is active in a pattern (default 0.35).</summary>
    public double ActiveFraction { get; init; } = 0.35;

    /// <summary>Mean of the teacher's weights, in units of the threshold (default 0.3).</summary>
    public double TeacherWeightMean { get; init; } = 0.3;

    /// <summary>Standard deviation of the teacher's weights (default 0.5: some are inhibitory).</summary>
    public double TeacherWeightStd { get; init; } = 0.5;

    /// <summary>Standard deviation of the trained neuron's initial weights, mean 0 (default 0.05: it starts silent).</summary>
    public double InitialWeightStd { get; init; } = 0.05;

    /// <summary>Seed of the rates, the input spikes, the teacher and the initial weights (default 0).</summary>
    public long Seed { get; init; }

    /// <summary>Floating-point type of the inputs, weights and membrane (default float32; float64 for gradient checks).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Require(Inputs >= 1, nameof(Inputs), Inputs, ">= 1");
        Require(Patterns >= 1, nameof(Patterns), Patterns, ">= 1");
        Require(TimeSteps >= 1, nameof(TimeSteps), TimeSteps, ">= 1");
        Require(double.IsFinite(DtMs) && DtMs > 0, nameof(DtMs), DtMs, "finite and > 0");
        Require(double.IsFinite(TauMs) && TauMs > 0, nameof(TauMs), TauMs, "finite and > 0");
        Require(ActiveRateHz >= 0 && ActiveRateHz * DtMs <= 1000, nameof(ActiveRateHz), ActiveRateHz, "in [0, 1000/dt] (a probability per step)");
        Require(BackgroundRateHz >= 0 && BackgroundRateHz * DtMs <= 1000, nameof(BackgroundRateHz), BackgroundRateHz, "in [0, 1000/dt] (a probability per step)");
        Require(ActiveFraction is >= 0 and <= 1, nameof(ActiveFraction), ActiveFraction, "in [0, 1]");
        Require(double.IsFinite(TeacherWeightMean), nameof(TeacherWeightMean), TeacherWeightMean, "finite");
        Require(double.IsFinite(TeacherWeightStd) && TeacherWeightStd >= 0, nameof(TeacherWeightStd), TeacherWeightStd, "finite and >= 0");
        Require(double.IsFinite(InitialWeightStd) && InitialWeightStd >= 0, nameof(InitialWeightStd), InitialWeightStd, "finite and >= 0");
        Require(DType is ScalarType.Float32 or ScalarType.Float64, nameof(DType), DType, "float32 or float64");
    }

    private static void Require(bool ok, string name, object value, string rule)
    {
        if (!ok) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"SpikingRegressionOptions.{name} must be {rule}, got {value}."), name);
    }
}

/// <summary>One simulation of the neuron on every pattern.</summary>
/// <param name="Spikes">Spikes [T, patterns] (exactly 0 or 1, carrying the surrogate gradient).</param>
/// <param name="Membrane">x = (V - V_th) / (V_th - V_reset) [T, patterns], the surrogate's input at each step.</param>
public sealed record SpikingRun(Tensor Spikes, Tensor Membrane)
{
    /// <summary>Spike counts per pattern [patterns].</summary>
    public Tensor Counts => Spikes.sum(dim: 0);
}

/// <summary>
/// Spike-count regression with one LIF neuron: several patterns of Poisson input (a random subset of the channels
/// fires at a high rate, the rest at a background rate), and for each pattern a target spike count. The targets
/// are the spike counts of a teacher neuron of the same kind (fixed random weights, some inhibitory) on the same
/// input spikes, so they can be reached exactly. The trained neuron starts from small random weights and is silent,
/// so the surrogate's width decides how fast it learns to fire at all. Every random draw is a function of
/// <see cref="SpikingRegressionOptions.Seed"/> (not of torch's global generator).
/// </summary>
/// <remarks>
/// Neuron: <see cref="Lif"/> with voltage-jump input (each step V ← exp(-dt/tau) V + Σ w_i s_i(t)), threshold 1,
/// hard reset to 0 on the step after a spike (the reset detached from the graph), the spike through the given
/// surrogate. Loss: mean over patterns of (count - target)².
/// </remarks>
public sealed class SpikingRegressionTask
{
    private readonly double[] _initialWeights;

    /// <summary>Draws the rates, input spikes and teacher and computes the targets.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public SpikingRegressionTask(SpikingRegressionOptions? options = null)
    {
        Options = options ?? new SpikingRegressionOptions();
        Options.Validate();
        TorchRuntime.EnsureLoaded();
        int n = Options.Inputs, p = Options.Patterns, t = Options.TimeSteps;

        var patternRandom = new Random(Seeds.Mix32(Options.Seed, 1));
        var rates = new double[p * n];
        for (int i = 0; i < rates.Length; i++)
            rates[i] = patternRandom.NextDouble() < Options.ActiveFraction ? Options.ActiveRateHz : Options.BackgroundRateHz;
        Rates = tensor(rates, [p, n], ScalarType.Float64);

        var spikeRandom = new Random(Seeds.Mix32(Options.Seed, 2));
        var spikes = new double[t * p * n];
        double perMs = Options.DtMs / 1000.0;
        for (int step = 0, k = 0; step < t; step++)
            for (int i = 0; i < p * n; i++, k++)
                spikes[k] = spikeRandom.NextDouble() < rates[i] * perMs ? 1.0 : 0.0;
        Inputs = tensor(spikes, [t, p, n], Options.DType);

        TeacherWeights = tensor(Normal(Seeds.Mix32(Options.Seed, 3), n, Options.TeacherWeightMean, Options.TeacherWeightStd), [n], Options.DType);
        _initialWeights = Normal(Seeds.Mix32(Options.Seed, 4), n, 0.0, Options.InitialWeightStd);
        using (no_grad())
        {
            var teacher = CreateNeuron(new Sigmoid());
            Targets = Simulate(TeacherWeights, teacher).Counts.detach();
        }
    }

    /// <summary>The settings.</summary>
    public SpikingRegressionOptions Options { get; }

    /// <summary>Input spikes [T, patterns, inputs] (0 or 1).</summary>
    public Tensor Inputs { get; }

    /// <summary>The channels' rates [patterns, inputs] in Hz (float64).</summary>
    public Tensor Rates { get; }

    /// <summary>The teacher's weights [inputs].</summary>
    public Tensor TeacherWeights { get; }

    /// <summary>Target spike counts per pattern [patterns]: the teacher's counts.</summary>
    public Tensor Targets { get; }

    /// <summary>The trained neuron's initial weights [inputs]: a new leaf tensor (no grad) with the same values on every call.</summary>
    public Tensor InitialWeights() => tensor(_initialWeights, [Options.Inputs], Options.DType);

    /// <summary>A LIF neuron with the task's constants, spiking through <paramref name="surrogate"/>.</summary>
    public Lif CreateNeuron(SurrogateFunction surrogate)
    {
        ArgumentNullException.ThrowIfNull(surrogate);
        return new Lif(1, tau: Options.TauMs, vThreshold: 1.0, surrogate: surrogate, input: InputKind.VoltageJump) { Dt = Options.DtMs };
    }

    /// <summary>Runs <paramref name="neuron"/> with <paramref name="weights"/> [inputs] on every pattern (a fresh state per call).</summary>
    /// <exception cref="ArgumentException">The weights are not [inputs].</exception>
    public SpikingRun Simulate(Tensor weights, Lif neuron)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(neuron);
        if (weights.dim() != 1 || weights.shape[0] != Options.Inputs)
            throw new ArgumentException($"SpikingRegressionTask: the weights must be [{Options.Inputs}], got {weights.ShapeText()}.", nameof(weights));
        var currents = matmul(Inputs.to_type(weights.dtype), weights).unsqueeze(-1); // [T, P, 1]
        neuron.ResetState(Options.Patterns);
        var spikes = new Tensor[Options.TimeSteps];
        var membrane = new Tensor[Options.TimeSteps];
        double threshold = neuron.VThreshold, scale = threshold - neuron.VReset;
        for (int step = 0; step < Options.TimeSteps; step++)
        {
            spikes[step] = neuron.Step(currents[step]).squeeze(-1);
            membrane[step] = (neuron.State("V")!.squeeze(-1) - threshold) / scale;
        }
        return new SpikingRun(stack(spikes), stack(membrane));
    }

    /// <summary>Mean over patterns of (count - target)².</summary>
    public Tensor Loss(Tensor counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return (counts - Targets.to_type(counts.dtype)).square().mean();
    }

    private static double[] Normal(int seed, int count, double mean, double std)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            // Box-Muller; 1 - U is in (0, 1], so the logarithm is finite.
            double u = 1.0 - random.NextDouble(), v = random.NextDouble();
            values[i] = mean + std * Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
        }
        return values;
    }
}
