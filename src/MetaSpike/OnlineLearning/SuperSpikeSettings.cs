namespace MetaSpike.OnlineLearning;

/// <summary>
/// Hyperparameters of <see cref="SuperSpike"/>, with the BrainScaleS-2 tutorial's values as defaults. Times are in µs
/// (the tutorial's 5e-6 s is 5 here); only ratios of times enter the rule.
/// </summary>
public sealed record SuperSpikeSettings
{
    /// <summary>Synaptic time constant of the PSC kernel (default 5 µs).</summary>
    public double TauSyn { get; init; } = 5;

    /// <summary>Membrane time constant of the PSP kernel (default 10 µs).</summary>
    public double TauMem { get; init; } = 10;

    /// <summary>Time step of the recordings (default 0.1 µs).</summary>
    public double Dt { get; init; } = 0.1;

    /// <summary>Learning rate eta of dW = eta sum(integrand) / steps (default 20).</summary>
    public double Eta { get; init; } = 20;

    /// <summary>Steepness beta of the surrogate (1 + |beta (v - 1)|)^-2 (default 5).</summary>
    public double Beta { get; init; } = 5;

    /// <summary>Kernel window: the kernels have int(window / dt) taps, made odd (default 100 µs, 1001 taps).</summary>
    public double KernelWindow { get; init; } = 100;

    /// <summary>Throws unless every value is finite and positive.</summary>
    /// <exception cref="ArgumentException">A value is not finite and positive; the message names it.</exception>
    public void Validate()
    {
        const string fn = nameof(SuperSpikeSettings);
        OnlineChecks.Positive(fn, TauSyn, nameof(TauSyn));
        OnlineChecks.Positive(fn, TauMem, nameof(TauMem));
        OnlineChecks.Positive(fn, Dt, nameof(Dt));
        OnlineChecks.Positive(fn, Eta, nameof(Eta));
        OnlineChecks.Positive(fn, Beta, nameof(Beta));
        OnlineChecks.Positive(fn, KernelWindow, nameof(KernelWindow));
        if (KernelWindow / Dt < 1)
            throw new ArgumentException($"{fn}: KernelWindow ({KernelWindow}) must span at least one step of Dt ({Dt}).", nameof(KernelWindow));
    }
}
