using System.Globalization;

namespace MetaSpike.Losses;

/// <summary>
/// The causal kernel k(t) of the van Rossum distance, zero for t &lt; 0. Times are in the unit of the time step
/// dt (milliseconds by convention). Create one with <see cref="Exponential"/> or <see cref="DifferenceOfExponentials"/>.
/// </summary>
public sealed record VanRossumKernel
{
    private VanRossumKernel(double tau, double? tauSyn)
    {
        Tau = tau;
        TauSyn = tauSyn;
    }

    /// <summary>The time constant of <see cref="Exponential"/>, or the membrane time constant of <see cref="DifferenceOfExponentials"/>.</summary>
    public double Tau { get; }

    /// <summary>The synaptic time constant of <see cref="DifferenceOfExponentials"/>; null for <see cref="Exponential"/>.</summary>
    public double? TauSyn { get; }

    /// <summary>k(t) = exp(-t / tau) for t &gt;= 0, van Rossum's original kernel; k(0) = 1.</summary>
    /// <param name="tau">Time constant, finite and &gt; 0.</param>
    /// <exception cref="ArgumentException"><paramref name="tau"/> is not finite and positive.</exception>
    public static VanRossumKernel Exponential(double tau)
    {
        LossChecks.Positive("VanRossumKernel.Exponential", tau, nameof(tau));
        return new VanRossumKernel(tau, null);
    }

    /// <summary>
    /// k(t) = exp(-t / tauMem) - exp(-t / tauSyn) for t &gt;= 0: the post-synaptic potential kernel of SuperSpike
    /// (Zenke &amp; Ganguli 2018) and of the BrainScaleS-2 SuperSpike tutorial. It is 0 at t = 0, positive for
    /// tauMem &gt; tauSyn and negative (the same distance, as it is squared) for tauMem &lt; tauSyn.
    /// </summary>
    /// <param name="tauMem">Membrane time constant, finite and &gt; 0.</param>
    /// <param name="tauSyn">Synaptic time constant, finite, &gt; 0 and different from <paramref name="tauMem"/>.</param>
    /// <exception cref="ArgumentException">A time constant is not finite and positive, or they are equal (k would be 0).</exception>
    public static VanRossumKernel DifferenceOfExponentials(double tauMem, double tauSyn)
    {
        const string fn = "VanRossumKernel.DifferenceOfExponentials";
        LossChecks.Positive(fn, tauMem, nameof(tauMem));
        LossChecks.Positive(fn, tauSyn, nameof(tauSyn));
        if (tauMem == tauSyn)
            throw new ArgumentException($"{fn}: tauMem and tauSyn must differ (both are {tauMem}), or the kernel is 0.", nameof(tauSyn));
        return new VanRossumKernel(tauMem, tauSyn);
    }

    /// <summary>The kernel at time <paramref name="t"/> (0 for t &lt; 0).</summary>
    public double Evaluate(double t)
    {
        if (t < 0) return 0;
        double k = Math.Exp(-t / Tau);
        return TauSyn is { } tauSyn ? k - Math.Exp(-t / tauSyn) : k;
    }

    /// <summary>For example "Exponential(tau=10)" or "DifferenceOfExponentials(tauMem=10, tauSyn=5)".</summary>
    public override string ToString() => TauSyn is { } tauSyn
        ? string.Create(CultureInfo.InvariantCulture, $"DifferenceOfExponentials(tauMem={Tau}, tauSyn={tauSyn})")
        : string.Create(CultureInfo.InvariantCulture, $"Exponential(tau={Tau})");
}
