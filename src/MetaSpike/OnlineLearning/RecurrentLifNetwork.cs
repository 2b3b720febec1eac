using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>Settings of a <see cref="RecurrentLifNetwork"/> (Bellec et al. 2020's LIF network with a leaky readout). Times in ms.</summary>
public sealed record RecurrentLifSettings
{
    /// <summary>Time step (default 1 ms).</summary>
    public double Dt { get; init; } = 1;

    /// <summary>Membrane time constant (default 20 ms).</summary>
    public double TauMem { get; init; } = 20;

    /// <summary>Time constant of the leaky readout (default 20 ms).</summary>
    public double TauOut { get; init; } = 20;

    /// <summary>Firing threshold (default 1); the reset subtracts it.</summary>
    public double Threshold { get; init; } = 1;

    /// <summary>
    /// The spike's surrogate derivative of x = (v - threshold) / threshold, the pseudo-derivative psi = G(x) / threshold
    /// of e-prop and the backward pass of BPTT (default: Bellec's triangle, <see cref="ReluGrad"/> with 0.3 and width 1).
    /// </summary>
    public SurrogateFunction? Surrogate { get; init; }

    /// <summary>The membrane decay alpha = exp(-dt / tauMem).</summary>
    public double Alpha => Math.Exp(-Dt / TauMem);

    /// <summary>The readout decay kappa = exp(-dt / tauOut).</summary>
    public double Kappa => Math.Exp(-Dt / TauOut);

    /// <summary>Throws unless the settings are usable.</summary>
    /// <exception cref="ArgumentException">A value is not finite and positive.</exception>
    public void Validate()
    {
        const string fn = nameof(RecurrentLifSettings);
        OnlineChecks.Positive(fn, Dt, nameof(Dt));
        OnlineChecks.Positive(fn, TauMem, nameof(TauMem));
        OnlineChecks.Positive(fn, TauOut, nameof(TauOut));
        OnlineChecks.Positive(fn, Threshold, nameof(Threshold));
    }
}

/// <summary>Gradients of the loss with respect to the three weight matrices (shapes as the weights).</summary>
/// <param name="Input">dE/dW_in, [H, I].</param>
/// <param name="Recurrent">dE/dW_rec, [H, H].</param>
/// <param name="Output">dE/dW_out, [K, H].</param>
/// <param name="Loss">The loss of the run that produced them.</param>
public sealed record NetworkGradients(Tensor Input, Tensor Recurrent, Tensor Output, double Loss);

/// <summary>
/// A recurrent LIF network with a leaky readout, as in e-prop (Bellec et al. 2020), written as plain tensor
/// operations so that e-prop and BPTT run exactly the same dynamics:
/// v[t] = alpha v[t-1] + W_in x[t] + W_rec z[t-1] - threshold z[t-1], z[t] = H((v[t] - threshold) / threshold),
/// y[t] = kappa y[t-1] + W_out z[t]; the loss is E = 0.5 sum_t sum_k mean_batch (y[t] - y*[t])^2. The reset's
/// gradient is cut (as e-prop assumes). Weights are parameters [H, I], [H, H] and [K, H] (row = target neuron).
/// </summary>
public sealed class RecurrentLifNetwork
{
    /// <summary>Creates the network with the given weights (copied into parameters).</summary>
    /// <param name="inputWeights">W_in [H, I].</param>
    /// <param name="recurrentWeights">W_rec [H, H].</param>
    /// <param name="outputWeights">W_out [K, H].</param>
    /// <param name="settings">Neuron and readout settings.</param>
    /// <exception cref="ArgumentException">Shapes that do not fit together, non-finite weights or invalid settings.</exception>
    public RecurrentLifNetwork(Tensor inputWeights, Tensor recurrentWeights, Tensor outputWeights, RecurrentLifSettings? settings = null)
    {
        const string fn = nameof(RecurrentLifNetwork);
        Settings = settings ?? new RecurrentLifSettings();
        Settings.Validate();
        Surrogate = Settings.Surrogate ?? new ReluGrad();
        ArgumentNullException.ThrowIfNull(inputWeights);
        long hidden = inputWeights.dim() == 2 ? inputWeights.shape[0] : -1;
        if (hidden < 1) throw new ArgumentException($"{fn}: inputWeights must be [hidden, inputs], got {inputWeights.ShapeText()}.", nameof(inputWeights));
        InputWeights = Copy(OnlineChecks.Matrix(fn, inputWeights, nameof(inputWeights), hidden));
        RecurrentWeights = Copy(OnlineChecks.Matrix(fn, recurrentWeights, nameof(recurrentWeights), hidden, hidden));
        ArgumentNullException.ThrowIfNull(outputWeights);
        if (outputWeights.dim() != 2 || outputWeights.shape[1] != hidden)
            throw new ArgumentException($"{fn}: outputWeights must be [outputs, {hidden}], got {outputWeights.ShapeText()}.", nameof(outputWeights));
        OutputWeights = Copy(OnlineChecks.Matrix(fn, outputWeights, nameof(outputWeights), outputWeights.shape[0], hidden));
    }

    /// <summary>A network with seeded Gaussian weights: N(0, (inputScale^2 / I)), N(0, recurrentScale^2 / H), N(0, 1 / H).</summary>
    /// <param name="inputs">I, &gt;= 1.</param>
    /// <param name="hidden">H, &gt;= 1.</param>
    /// <param name="outputs">K, &gt;= 1.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <param name="inputScale">Scale of the input weights.</param>
    /// <param name="recurrentScale">Scale of the recurrent weights; 0 gives a feed-forward network.</param>
    /// <param name="settings">Neuron and readout settings.</param>
    public static RecurrentLifNetwork Random(int inputs, int hidden, int outputs, long seed, double inputScale = 1, double recurrentScale = 1,
        RecurrentLifSettings? settings = null)
    {
        const string fn = "RecurrentLifNetwork.Random";
        if (inputs < 1 || hidden < 1 || outputs < 1)
            throw new ArgumentException($"{fn}: inputs, hidden and outputs must be >= 1, got {inputs}, {hidden}, {outputs}.", nameof(inputs));
        OnlineChecks.Finite(fn, inputScale, nameof(inputScale));
        OnlineChecks.Finite(fn, recurrentScale, nameof(recurrentScale));
        // Not a dispose scope: the surrogate's hyperparameter tensors are created by the constructor and must outlive it.
        using var input = RandomMatrix.Normal(hidden, inputs, 0, Math.Abs(inputScale) / Math.Sqrt(inputs), seed, 1);
        using var recurrent = RandomMatrix.Normal(hidden, hidden, 0, Math.Abs(recurrentScale) / Math.Sqrt(hidden), seed, 2);
        using var output = RandomMatrix.Normal(outputs, hidden, 0, 1 / Math.Sqrt(hidden), seed, 3);
        return new RecurrentLifNetwork(input, recurrent, output, settings);
    }

    /// <summary>The settings.</summary>
    public RecurrentLifSettings Settings { get; }

    /// <summary>The surrogate in use.</summary>
    public SurrogateFunction Surrogate { get; }

    /// <summary>W_in [H, I].</summary>
    public Parameter InputWeights { get; }

    /// <summary>W_rec [H, H].</summary>
    public Parameter RecurrentWeights { get; }

    /// <summary>W_out [K, H].</summary>
    public Parameter OutputWeights { get; }

    /// <summary>The three weight parameters, in the order input, recurrent, output.</summary>
    public IReadOnlyList<Parameter> Parameters => [InputWeights, RecurrentWeights, OutputWeights];

    /// <summary>Number of inputs I.</summary>
    public long Inputs => InputWeights.shape[1];

    /// <summary>Number of recurrent neurons H.</summary>
    public long Hidden => InputWeights.shape[0];

    /// <summary>Number of readout units K.</summary>
    public long Outputs => OutputWeights.shape[0];

    /// <summary>The readout y [B, T, K] of a run, recorded for autograd (BPTT through all steps).</summary>
    /// <param name="inputs">Inputs [B, T, I].</param>
    /// <exception cref="ArgumentException">Inputs that do not fit the network.</exception>
    public Tensor Forward(Tensor inputs)
    {
        var x = CheckInputs("RecurrentLifNetwork.Forward", inputs);
        double thr = Settings.Threshold, alpha = Settings.Alpha, kappa = Settings.Kappa;
        long batch = x.shape[0], steps = x.shape[1];
        var v = zeros(batch, Hidden, ScalarType.Float64);
        var z = zeros_like(v);
        var y = zeros(batch, Outputs, ScalarType.Float64);
        var drive = x.matmul(InputWeights.T);
        var outputs = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            v = alpha * v + drive[.., t] + z.matmul(RecurrentWeights.T) - thr * z.detach();
            z = Surrogate.forward((v - thr) / thr);
            y = kappa * y + z.matmul(OutputWeights.T);
            outputs[t] = y;
        }
        return stack(outputs, 1);
    }

    /// <summary>E = 0.5 sum_t sum_k mean_batch (y - y*)^2.</summary>
    /// <param name="output">Readout [B, T, K].</param>
    /// <param name="target">Target [B, T, K].</param>
    /// <exception cref="ArgumentException">Different shapes.</exception>
    public static Tensor Loss(Tensor output, Tensor target)
    {
        const string fn = "RecurrentLifNetwork.Loss";
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        OnlineChecks.SameShape(fn, output, nameof(output), target, nameof(target));
        return 0.5 * (output - target).square().sum() / output.shape[0];
    }

    /// <summary>The exact gradients by backpropagation through time (autograd), the baseline for e-prop.</summary>
    /// <param name="inputs">Inputs [B, T, I].</param>
    /// <param name="target">Target readout [B, T, K].</param>
    /// <exception cref="ArgumentException">Inputs or targets that do not fit the network.</exception>
    public NetworkGradients BpttGradients(Tensor inputs, Tensor target)
    {
        var y = CheckTarget("RecurrentLifNetwork.BpttGradients", inputs, target);
        var loss = Loss(Forward(inputs), y);
        var grads = Autograd.Grad([loss], [InputWeights, RecurrentWeights, OutputWeights]);
        return new NetworkGradients(grads[0], grads[1], grads[2], loss.ToDouble());
    }

    internal Tensor CheckInputs(string fn, Tensor inputs)
    {
        var x = OnlineChecks.Series(fn, inputs, nameof(inputs));
        if (x.dim() != 3 || x.shape[2] != Inputs)
            throw new ArgumentException($"{fn}: inputs must be [batch, steps, {Inputs}], got {inputs.ShapeText()}.", nameof(inputs));
        return x;
    }

    internal Tensor CheckTarget(string fn, Tensor inputs, Tensor target)
    {
        var x = CheckInputs(fn, inputs);
        var y = OnlineChecks.Series(fn, target, nameof(target));
        if (y.dim() != 3 || y.shape[0] != x.shape[0] || y.shape[1] != x.shape[1] || y.shape[2] != Outputs)
            throw new ArgumentException($"{fn}: target must be [{x.shape[0]}, {x.shape[1]}, {Outputs}], got {target.ShapeText()}.", nameof(target));
        return y;
    }

    private static Parameter Copy(Tensor weights)
    {
        using var _ = no_grad();
        var p = new Parameter(weights.detach().clone());
        p.DetachFromDisposeScope();
        return p;
    }
}
