namespace MetaSpike.OnlineLearning;

/// <summary>
/// The three kernels of the BrainScaleS-2 SuperSpike tutorial, built as it builds them: n = int(window / dt) taps,
/// made odd; the centre tap (index n / 2) and the first half are 0, and the last int(n / 2) taps hold
/// PSC[c + 1 + k] = exp(-k / (tauSyn / dt)) and PSP = PSC - exp(-k / (tauMem / dt)), k = 0, 1, ...; the van Rossum
/// kernel is the PSP kernel. Applied with numpy's "same" convolution (<see cref="SameConvolution"/>) they are causal
/// with a one-step delay: a spike at step s acts from step s + 1. For tauMem &gt; tauSyn the PSP kernel is &lt;= 0 (the
/// tutorial's sign; error and PSP filtering both carry it, so the update's sign is that of gradient descent).
/// </summary>
public sealed class SuperSpikeKernels
{
    private SuperSpikeKernels(double[] psc, double[] psp)
    {
        Psc = psc;
        Psp = psp;
    }

    /// <summary>The PSC kernel (eligibility filter).</summary>
    public IReadOnlyList<double> Psc { get; }

    /// <summary>The PSP kernel (filter of surrogate times eligibility).</summary>
    public IReadOnlyList<double> Psp { get; }

    /// <summary>The van Rossum kernel (error filter), the PSP kernel as in the tutorial.</summary>
    public IReadOnlyList<double> VanRossum => Psp;

    /// <summary>Number of taps, odd.</summary>
    public int Length => Psc.Count;

    /// <summary>The kernels of <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentException">Invalid settings.</exception>
    public static SuperSpikeKernels Create(SuperSpikeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        // int() truncation as in the tutorial; the guard keeps 100 / 0.1 = 999.99.. from losing a tap to rounding.
        int n = (int)Math.Floor(settings.KernelWindow / settings.Dt + 1e-9);
        n += 1 - n % 2;
        int half = n / 2;
        var psc = new double[n];
        var psp = new double[n];
        double synSteps = settings.TauSyn / settings.Dt, memSteps = settings.TauMem / settings.Dt;
        for (int k = 0; k < half; k++)
        {
            psc[n - half + k] = Math.Exp(-k / synSteps);
            psp[n - half + k] = psc[n - half + k] - Math.Exp(-k / memSteps);
        }
        return new SuperSpikeKernels(psc, psp);
    }
}
