using System.Buffers;
using System.Runtime.InteropServices;
using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// Parameters of <see cref="SoftwareLif"/>, a current-based LIF neuron standing in for BrainScaleS-2's analog
/// neuron. Times in µs; the membrane is in normalised units (leak 0, threshold 1), so it needs no further
/// normalisation before <see cref="SuperSpike"/>.
/// </summary>
public sealed record SoftwareLifParameters
{
    /// <summary>Synaptic time constant (default 5 µs, the tutorial's calibration target).</summary>
    public double TauSyn { get; init; } = 5;

    /// <summary>Membrane time constant (default 10 µs).</summary>
    public double TauMem { get; init; } = 10;

    /// <summary>Time step (default 0.1 µs).</summary>
    public double Dt { get; init; } = 0.1;

    /// <summary>Refractory time after a spike, during which the membrane stays at the reset (default 2 µs).</summary>
    public double RefractoryTime { get; init; } = 2;

    /// <summary>
    /// Synaptic current jump per unit of weight, in threshold units (default 0.025): the scale that turns the
    /// tutorial's hardware weights (integers in [-63, 63]) into a software current. With it, weights drawn from
    /// N(27, 1) on 25 inputs at 10 kHz make the neuron fire 1 to 7 times in 200 µs (seeds 0 to 7), near the tutorial's 3 to 4.
    /// </summary>
    public double WeightScale { get; init; } = 0.025;

    /// <summary>Throws unless the parameters are usable.</summary>
    /// <exception cref="ArgumentException">A parameter is not finite and positive (RefractoryTime may be 0).</exception>
    public void Validate()
    {
        const string fn = nameof(SoftwareLifParameters);
        OnlineChecks.Positive(fn, TauSyn, nameof(TauSyn));
        OnlineChecks.Positive(fn, TauMem, nameof(TauMem));
        OnlineChecks.Positive(fn, Dt, nameof(Dt));
        OnlineChecks.Positive(fn, WeightScale, nameof(WeightScale));
        if (!double.IsFinite(RefractoryTime) || RefractoryTime < 0)
            throw new ArgumentException($"{fn}: {nameof(RefractoryTime)} must be finite and >= 0, got {RefractoryTime}.", nameof(RefractoryTime));
    }
}

/// <summary>A recording of a population: the membrane (normalised, threshold 1) and the binned spikes.</summary>
/// <param name="Membrane">Membrane potential [T, N] or [B, T, N], recorded before the reset.</param>
/// <param name="Spikes">Spikes [T, N] or [B, T, N], 0 or 1 per step.</param>
public sealed record NeuronRecording(Tensor Membrane, Tensor Spikes);

/// <summary>
/// A population of current-based LIF neurons driven by binned input spikes, simulated without autograd:
/// I[t] = a I[t-1] + scale (x[t-1] W), v[t] = b v[t-1] + (1 - b) I[t], a spike when v[t] &gt;= 1, then v = 0 for the
/// refractory time (a = exp(-dt / tauSyn), b = exp(-dt / tauMem)). An input spike acts from the next step, as the
/// tutorial's kernels assume. The drive x W is one matrix product; the recursion runs on the CPU over the [B, N]
/// state, which is much faster than one small torch op per step.
/// </summary>
public static class SoftwareLif
{
    /// <summary>Runs the population.</summary>
    /// <param name="inputSpikes">Binned input spikes [T, I] or [B, T, I].</param>
    /// <param name="weights">Weights [I, N] in hardware units (row = input, as in the tutorial).</param>
    /// <param name="parameters">Neuron parameters (default <see cref="SoftwareLifParameters"/>).</param>
    /// <returns>Membrane and spikes, [T, N] or [B, T, N], float64.</returns>
    /// <exception cref="ArgumentException">Bad shapes, NaN or infinite values, or invalid parameters.</exception>
    public static NeuronRecording Run(Tensor inputSpikes, Tensor weights, SoftwareLifParameters? parameters = null)
    {
        const string fn = "SoftwareLif.Run";
        var p = parameters ?? new SoftwareLifParameters();
        p.Validate();
        var input = OnlineChecks.Series(fn, inputSpikes, nameof(inputSpikes));
        var w = OnlineChecks.Matrix(fn, weights, nameof(weights), OnlineChecks.Channels(input));
        bool batched = input.dim() == 3;
        var x = batched ? input : input.unsqueeze(0);
        var drive = (x.matmul(w) * p.WeightScale).contiguous();
        var membrane = zeros_like(drive);
        var spikes = zeros_like(drive);
        Integrate(drive, membrane, spikes, p);
        return batched ? new NeuronRecording(membrane, spikes) : new NeuronRecording(membrane.squeeze(0), spikes.squeeze(0));
    }

    private static void Integrate(Tensor drive, Tensor membrane, Tensor spikes, SoftwareLifParameters p)
    {
        int batch = (int)drive.shape[0], steps = (int)drive.shape[1], neurons = (int)drive.shape[2];
        double a = Math.Exp(-p.Dt / p.TauSyn), b = Math.Exp(-p.Dt / p.TauMem);
        int refractorySteps = (int)Math.Round(p.RefractoryTime / p.Dt);
        var input = MemoryMarshal.Cast<byte, double>(drive.bytes);
        var v = MemoryMarshal.Cast<byte, double>(membrane.bytes);
        var s = MemoryMarshal.Cast<byte, double>(spikes.bytes);
        int state = batch * neurons;
        var current = ArrayPool<double>.Shared.Rent(state);
        var potential = ArrayPool<double>.Shared.Rent(state);
        var refractory = ArrayPool<int>.Shared.Rent(state);
        try
        {
            Array.Clear(current, 0, state);
            Array.Clear(potential, 0, state);
            Array.Clear(refractory, 0, state);
            for (int bi = 0; bi < batch; bi++)
            {
                for (int t = 0; t < steps; t++)
                {
                    int row = (bi * steps + t) * neurons, previous = row - neurons;
                    for (int n = 0; n < neurons; n++)
                    {
                        int k = bi * neurons + n;
                        current[k] = a * current[k] + (t > 0 ? input[previous + n] : 0);
                        if (refractory[k] > 0)
                        {
                            refractory[k]--;
                            potential[k] = 0;
                        }
                        else
                        {
                            potential[k] = b * potential[k] + (1 - b) * current[k];
                        }
                        v[row + n] = potential[k];
                        if (potential[k] >= 1)
                        {
                            s[row + n] = 1;
                            potential[k] = 0;
                            refractory[k] = refractorySteps;
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(current);
            ArrayPool<double>.Shared.Return(potential);
            ArrayPool<int>.Shared.Return(refractory);
        }
    }
}
