using MetaSpike.OnlineLearning;
using MetaSpike.Surrogates;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.InTheLoop;

/// <summary>
/// Settings of <see cref="TwoLayerLifModel"/>. Times in µs; the membrane is in normalised units (rest 0, threshold 1),
/// the scale of a calibrated chip's recordings; weights are in hardware units (integers -63 .. 63 on the chip).
/// </summary>
public sealed record LifModelSettings
{
    /// <summary>Synaptic time constant (default 5 µs, the chip's nominal value).</summary>
    public double TauSynUs { get; init; } = 5;

    /// <summary>Membrane time constant (default 10 µs).</summary>
    public double TauMemUs { get; init; } = 10;

    /// <summary>Time step of the model and of the resampled recordings (default 0.5 µs).</summary>
    public double DtUs { get; init; } = 0.5;

    /// <summary>
    /// Synaptic current jump per weight unit in threshold units (default 0.025: the emulator's nominal gain of
    /// 7.5 LSB per weight unit over its nominal dynamic range of 300 LSB).
    /// </summary>
    public double WeightScale { get; init; } = 0.025;

    /// <summary>Steepness of the SuperSpike (fast sigmoid) surrogate of the hidden spikes (default 5, the tutorial's beta).</summary>
    public double SurrogateSteepness { get; init; } = 5;

    /// <summary>The largest weight magnitude; the forward pass uses the weights clipped and rounded as the chip does (default 63).</summary>
    public double MaxWeight { get; init; } = 63;

    /// <summary>Throws unless every value is finite and positive.</summary>
    /// <exception cref="ArgumentException">A value that is not finite and positive; the message names it.</exception>
    public void Validate()
    {
        const string fn = nameof(LifModelSettings);
        OnlineChecks.Positive(fn, TauSynUs, nameof(TauSynUs));
        OnlineChecks.Positive(fn, TauMemUs, nameof(TauMemUs));
        OnlineChecks.Positive(fn, DtUs, nameof(DtUs));
        OnlineChecks.Positive(fn, WeightScale, nameof(WeightScale));
        OnlineChecks.Positive(fn, SurrogateSteepness, nameof(SurrogateSteepness));
        OnlineChecks.Positive(fn, MaxWeight, nameof(MaxWeight));
    }
}

/// <summary>
/// Recordings of a two-layer network on the model's time grid, normalised (rest 0, threshold 1):
/// hidden membrane and spikes [B, T, H], output membrane [B, T, C].
/// </summary>
/// <param name="HiddenMembrane">Hidden membrane [B, T, H].</param>
/// <param name="HiddenSpikes">Hidden spikes [B, T, H], 0 or 1.</param>
/// <param name="OutputMembrane">Output (leaky-integrator) membrane [B, T, C].</param>
public sealed record LayerTraces(Tensor HiddenMembrane, Tensor HiddenSpikes, Tensor OutputMembrane);

/// <summary>
/// A differentiable feed-forward network of a hidden LIF layer and non-spiking leaky-integrator outputs, in discrete
/// time on the grid dt (a = exp(-dt / tau_syn), b = exp(-dt / tau_mem), k = weight scale):
/// I[t] = a I[t-1] + k x[t-1] W, v[t] = b v[t-1] (1 - z[t-1]) + (1 - b) I[t], z[t] = H(v[t] - 1) with the SuperSpike
/// surrogate (the reset's gradient is cut), and for the outputs the same without threshold or reset. The forward pass
/// uses the weights clipped and rounded as the chip does, with the gradient of the real-valued weights.
/// <para>
/// With hardware traces (in-the-loop training, Cramer et al. 2022) every step's hidden membrane, hidden spikes and
/// output membrane are replaced by the recorded ones through <see cref="StraightThrough.Substitute"/>: the forward
/// values are the hardware's, the backward pass is the model's, evaluated at the hardware's state (the surrogate at
/// the recorded membrane, the output current driven by the recorded spikes).
/// </para>
/// </summary>
public sealed class TwoLayerLifModel : IDisposable
{
    private readonly FastSigmoid _spike;

    /// <summary>A model with the given starting weights [inputs, hidden] and [hidden, classes] (copied).</summary>
    /// <exception cref="ArgumentException">Weights that are not matrices of matching sizes, or invalid settings.</exception>
    public TwoLayerLifModel(Tensor inputWeights, Tensor outputWeights, LifModelSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(inputWeights);
        ArgumentNullException.ThrowIfNull(outputWeights);
        Settings = settings ?? new LifModelSettings();
        Settings.Validate();
        if (inputWeights.dim() != 2 || outputWeights.dim() != 2 || inputWeights.shape[1] != outputWeights.shape[0] || inputWeights.numel() == 0 || outputWeights.numel() == 0)
            throw new ArgumentException($"TwoLayerLifModel: weights must be [inputs, hidden] and [hidden, classes], got [{string.Join(", ", inputWeights.shape)}] and [{string.Join(", ", outputWeights.shape)}].");
        InputWeights = new Parameter(inputWeights.detach().to_type(ScalarType.Float32).clone());
        OutputWeights = new Parameter(outputWeights.detach().to_type(ScalarType.Float32).clone());
        _spike = new FastSigmoid(Settings.SurrogateSteepness);
    }

    /// <summary>The settings.</summary>
    public LifModelSettings Settings { get; }

    /// <summary>Input-to-hidden weights [inputs, hidden], real-valued (trainable).</summary>
    public Parameter InputWeights { get; }

    /// <summary>Hidden-to-output weights [hidden, classes], real-valued (trainable).</summary>
    public Parameter OutputWeights { get; }

    /// <summary>Both weight matrices.</summary>
    public IEnumerable<Parameter> Parameters() => [InputWeights, OutputWeights];

    /// <summary>Inputs.</summary>
    public long Inputs => InputWeights.shape[0];

    /// <summary>Hidden neurons.</summary>
    public long Hidden => InputWeights.shape[1];

    /// <summary>Output neurons (classes).</summary>
    public long Classes => OutputWeights.shape[1];

    /// <summary>
    /// Runs the network on binned inputs [B, T, I]. Without <paramref name="hardware"/> it is a plain software
    /// simulation; with it, the values of every step are the hardware's (see the class remarks).
    /// </summary>
    /// <returns>Hidden membrane and spikes [B, T, H] and output membrane [B, T, C], float32, differentiable in the weights.</returns>
    /// <exception cref="ArgumentException">Inputs that are not [B, T, inputs], or hardware traces of other shapes.</exception>
    public LayerTraces Forward(Tensor input, LayerTraces? hardware = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 3 || input.shape[2] != Inputs || input.shape[0] == 0 || input.shape[1] == 0)
            throw new ArgumentException($"TwoLayerLifModel: inputs must be [batch, steps, {Inputs}], got [{string.Join(", ", input.shape)}].", nameof(input));
        long batch = input.shape[0], steps = input.shape[1];
        if (hardware is not null) CheckHardware(hardware, batch, steps);
        double a = Math.Exp(-Settings.DtUs / Settings.TauSynUs), b = Math.Exp(-Settings.DtUs / Settings.TauMemUs), k = Settings.WeightScale;
        var drive = input.to_type(ScalarType.Float32).matmul(ChipWeights(InputWeights)) * k; // [B, T, H]
        var outputWeights = ChipWeights(OutputWeights) * k;
        var hiddenCurrent = zeros(batch, Hidden);
        var hiddenV = zeros(batch, Hidden);
        var spikes = zeros(batch, Hidden);
        var outputCurrent = zeros(batch, Classes);
        var outputV = zeros(batch, Classes);
        var vs = new Tensor[steps];
        var zs = new Tensor[steps];
        var outs = new Tensor[steps];
        for (long t = 0; t < steps; t++)
        {
            if (t > 0) hiddenCurrent = hiddenCurrent * a + drive.select(1, t - 1);
            var v = hiddenV * b * (1 - spikes.detach()) + hiddenCurrent * (1 - b);
            if (hardware is not null) v = StraightThrough.Substitute(v, hardware.HiddenMembrane.select(1, t));
            var z = _spike.forward(v - 1);
            if (hardware is not null) z = StraightThrough.Substitute(z, hardware.HiddenSpikes.select(1, t));
            if (t > 0) outputCurrent = outputCurrent * a + spikes.matmul(outputWeights);
            var o = outputV * b + outputCurrent * (1 - b);
            if (hardware is not null) o = StraightThrough.Substitute(o, hardware.OutputMembrane.select(1, t));
            (hiddenV, spikes, outputV) = (v, z, o);
            (vs[t], zs[t], outs[t]) = (v, z, o);
        }
        return new LayerTraces(stack(vs, 1), stack(zs, 1), stack(outs, 1));
    }

    /// <summary>The logits of a classification: the maximum over time of each output membrane, times <paramref name="scale"/>.</summary>
    /// <param name="outputMembrane">[B, T, C].</param>
    /// <param name="scale">Factor on the normalised membrane (a temperature for the cross-entropy).</param>
    public static Tensor Logits(Tensor outputMembrane, double scale)
    {
        ArgumentNullException.ThrowIfNull(outputMembrane);
        if (outputMembrane.dim() != 3) throw new ArgumentException($"TwoLayerLifModel.Logits: the output membrane must be [batch, steps, classes], got [{string.Join(", ", outputMembrane.shape)}].", nameof(outputMembrane));
        return outputMembrane.amax([1]) * scale;
    }

    /// <summary>The weights as the chip receives them (clipped to ±MaxWeight and rounded), with the real weights' gradient.</summary>
    private Tensor ChipWeights(Tensor weights) => StraightThrough.Substitute(weights, weights.detach().clamp(-Settings.MaxWeight, Settings.MaxWeight).round());

    private void CheckHardware(LayerTraces hardware, long batch, long steps)
    {
        void Check(Tensor t, long width, string name)
        {
            if (t is null || t.dim() != 3 || t.shape[0] != batch || t.shape[1] != steps || t.shape[2] != width)
                throw new ArgumentException($"TwoLayerLifModel: the hardware's {name} must be [{batch}, {steps}, {width}], got {(t is null ? "null" : $"[{string.Join(", ", t.shape)}]")}.", nameof(hardware));
        }
        Check(hardware.HiddenMembrane, Hidden, "hidden membrane");
        Check(hardware.HiddenSpikes, Hidden, "hidden spikes");
        Check(hardware.OutputMembrane, Classes, "output membrane");
    }

    /// <summary>Frees the weights and the surrogate.</summary>
    public void Dispose()
    {
        InputWeights.Dispose();
        OutputWeights.Dispose();
        _spike.Dispose();
    }
}
