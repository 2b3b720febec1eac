using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// The SuperSpike rule (Zenke &amp; Ganguli 2018) as the BrainScaleS-2 tutorial computes it, vectorised over trials,
/// synapses and output neurons. A pure function of recorded tensors (binned input spikes, the normalised membrane,
/// binned output and target spikes), so the recordings may come from hardware, an emulator or a software model:
/// <list type="bullet">
/// <item>error = conv(target - output, kernel_vrd), loss = sum |error|;</item>
/// <item>eligibility = conv(input, kernel_psc);</item>
/// <item>dW[i, o] = eta sum_t error[t, o] conv(superspike(v[:, o]) eligibility[:, i], kernel_psp)[t] / steps,</item>
/// </list>
/// with numpy's "same" convolution and superspike(v) = (1 + |beta (v - 1)|)^-2. The last sum is computed for all
/// (i, o) as one matrix product, eligibility^T (superspike(v) conv*(error, kernel_psp)), where conv* is the adjoint of
/// the "same" convolution (the same convolution with the reversed kernel): the same number up to rounding, without
/// the [steps, inputs, outputs] integrand.
/// </summary>
public sealed class SuperSpike
{
    private readonly double[] _pspAdjoint;

    /// <summary>Creates the rule.</summary>
    /// <param name="settings">Hyperparameters (default: the tutorial's).</param>
    /// <exception cref="ArgumentException">Invalid settings.</exception>
    public SuperSpike(SuperSpikeSettings? settings = null)
    {
        Settings = settings ?? new SuperSpikeSettings();
        Kernels = SuperSpikeKernels.Create(Settings);
        _pspAdjoint = SameConvolution.Reversed(Kernels.Psp);
    }

    /// <summary>The hyperparameters.</summary>
    public SuperSpikeSettings Settings { get; }

    /// <summary>The PSC, PSP and van Rossum kernels.</summary>
    public SuperSpikeKernels Kernels { get; }

    /// <summary>The tutorial's surrogate (1 + |beta (v - 1)|)^-2 of the normalised membrane (1 at v = 1).</summary>
    /// <param name="membrane">Normalised membrane potential, any shape, floating point.</param>
    /// <param name="beta">Steepness, finite and &gt; 0.</param>
    /// <exception cref="ArgumentException">A non-floating membrane or a bad beta.</exception>
    public static Tensor Surrogate(Tensor membrane, double beta)
    {
        const string fn = "SuperSpike.Surrogate";
        ArgumentNullException.ThrowIfNull(membrane);
        if (!membrane.is_floating_point())
            throw new ArgumentException($"{fn}: membrane must be floating point, got {membrane.dtype}.", nameof(membrane));
        OnlineChecks.Positive(fn, beta, nameof(beta));
        // The fast-sigmoid curve 1 / (alpha |x| + 1)^2 at x = v - 1.
        return InvSquareGrad.Curve(membrane - 1.0, tensor(beta, membrane.dtype));
    }

    /// <summary>The van Rossum error conv(target - output, kernel_vrd), [T, O] or [B, T, O].</summary>
    /// <param name="outputSpikes">Binned output spikes [T, O] or [B, T, O].</param>
    /// <param name="targetSpikes">Binned target spikes of the same shape.</param>
    /// <exception cref="ArgumentException">Shapes differ or are not series, or values are NaN or infinite.</exception>
    public Tensor Error(Tensor outputSpikes, Tensor targetSpikes)
    {
        const string fn = "SuperSpike.Error";
        var output = OnlineChecks.Series(fn, outputSpikes, nameof(outputSpikes));
        var target = OnlineChecks.Series(fn, targetSpikes, nameof(targetSpikes));
        OnlineChecks.SameShape(fn, output, nameof(outputSpikes), target, nameof(targetSpikes));
        return SameConvolution.ApplyUnchecked(target - output, Kernels.VanRossum);
    }

    /// <summary>The loss sum_t |error| per output neuron (and trial): [O] or [B, O].</summary>
    /// <param name="error">An error from <see cref="Error"/>.</param>
    /// <exception cref="ArgumentException">Not a finite series.</exception>
    public static Tensor Loss(Tensor error)
    {
        var e = OnlineChecks.Series("SuperSpike.Loss", error, nameof(error));
        return e.abs().sum([e.dim() - 2]);
    }

    /// <summary>The eligibility traces conv(input, kernel_psc), [T, I] or [B, T, I].</summary>
    /// <param name="inputSpikes">Binned input spikes [T, I] or [B, T, I] (bool, integer or floating).</param>
    /// <exception cref="ArgumentException">Not a finite series.</exception>
    public Tensor Eligibility(Tensor inputSpikes) =>
        SameConvolution.ApplyUnchecked(OnlineChecks.Series("SuperSpike.Eligibility", inputSpikes, nameof(inputSpikes)), Kernels.Psc);

    /// <summary>
    /// The weight update dW[i, o] = eta sum_t error[t, o] conv(superspike(v[:, o]) eligibility[:, i], kernel_psp)[t] / T
    /// for a given error signal: the van Rossum error for output neurons, or the error fed back to a hidden layer.
    /// </summary>
    /// <param name="inputSpikes">Binned presynaptic spikes [T, I] or [B, T, I].</param>
    /// <param name="membrane">Normalised postsynaptic membrane [T, O] or [B, T, O] (threshold at 1).</param>
    /// <param name="error">Error signal [T, O] or [B, T, O].</param>
    /// <returns>[I, O], or [B, I, O] per trial for batched inputs (add or average them as the experiment needs).</returns>
    /// <exception cref="ArgumentException">Shapes that do not agree, or NaN or infinite values.</exception>
    public Tensor WeightUpdate(Tensor inputSpikes, Tensor membrane, Tensor error)
    {
        const string fn = "SuperSpike.WeightUpdate";
        var input = OnlineChecks.Series(fn, inputSpikes, nameof(inputSpikes));
        var v = OnlineChecks.Series(fn, membrane, nameof(membrane));
        var e = OnlineChecks.Series(fn, error, nameof(error));
        OnlineChecks.SameLayout(fn, input, nameof(inputSpikes), v, nameof(membrane));
        OnlineChecks.SameShape(fn, v, nameof(membrane), e, nameof(error));
        return WeightUpdateUnchecked(SameConvolution.ApplyUnchecked(input, Kernels.Psc), v, e);
    }

    /// <summary>Error, loss and weight update of one recording of the output layer.</summary>
    /// <param name="inputSpikes">Binned input spikes [T, I] or [B, T, I].</param>
    /// <param name="membrane">Normalised membrane [T, O] or [B, T, O].</param>
    /// <param name="outputSpikes">Binned output spikes, membrane's shape.</param>
    /// <param name="targetSpikes">Binned target spikes, membrane's shape.</param>
    /// <exception cref="ArgumentException">Shapes that do not agree, or NaN or infinite values; the message names the argument.</exception>
    public SuperSpikeResult Compute(Tensor inputSpikes, Tensor membrane, Tensor outputSpikes, Tensor targetSpikes)
    {
        const string fn = "SuperSpike.Compute";
        var input = OnlineChecks.Series(fn, inputSpikes, nameof(inputSpikes));
        var v = OnlineChecks.Series(fn, membrane, nameof(membrane));
        OnlineChecks.SameLayout(fn, input, nameof(inputSpikes), v, nameof(membrane));
        var error = Error(outputSpikes, targetSpikes);
        OnlineChecks.SameShape(fn, v, nameof(membrane), error, nameof(outputSpikes));
        var update = WeightUpdateUnchecked(SameConvolution.ApplyUnchecked(input, Kernels.Psc), v, error);
        var loss = error.abs().sum([error.dim() - 2]);
        return new SuperSpikeResult(error, update, loss);
    }

    private Tensor WeightUpdateUnchecked(Tensor eligibility, Tensor membrane, Tensor error)
    {
        long steps = membrane.shape[membrane.dim() - 2];
        var postFactor = Surrogate(membrane, Settings.Beta) * SameConvolution.ApplyUnchecked(error, _pspAdjoint);
        return eligibility.transpose(-1, -2).matmul(postFactor) * (Settings.Eta / steps);
    }
}

/// <summary>What <see cref="SuperSpike.Compute"/> returns.</summary>
/// <param name="Error">The van Rossum error, [T, O] or [B, T, O].</param>
/// <param name="WeightUpdate">dW, [I, O] or [B, I, O]; add it to the weights.</param>
/// <param name="LossPerOutput">sum_t |error| per output neuron, [O] or [B, O].</param>
public sealed record SuperSpikeResult(Tensor Error, Tensor WeightUpdate, Tensor LossPerOutput)
{
    /// <summary>The total loss, the sum of <see cref="LossPerOutput"/>.</summary>
    public double Loss => LossPerOutput.sum().ToDouble();
}
