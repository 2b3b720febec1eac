namespace MetaSpike.Tests.OnlineLearning;

/// <summary>
/// The tutorial's per-synapse loop written out with plain arrays, independent of the library: numpy's "same"
/// convolution from its definition (the full convolution, cut to the centre) and one loop over sources.
/// </summary>
internal static class SuperSpikeReference
{
    /// <summary>np.convolve(a, v, mode="same") for len(a) &gt;= len(v).</summary>
    public static double[] ConvolveSame(double[] a, double[] v)
    {
        var full = new double[a.Length + v.Length - 1];
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; j < v.Length; j++)
                full[i + j] += a[i] * v[j];
        return full.AsSpan((v.Length - 1) / 2, a.Length).ToArray();
    }

    public static double Superspike(double v, double beta) => Math.Pow(1 + Math.Abs(beta * (v - 1)), -2);

    /// <summary>dw[source] for one output neuron, exactly the tutorial's loop.</summary>
    public static double[] WeightUpdate(double[][] stimuli, double[] membrane, double[] error, double[] psc, double[] psp, double eta, double beta)
    {
        int steps = membrane.Length;
        var dw = new double[stimuli.Length];
        for (int source = 0; source < stimuli.Length; source++)
        {
            var eligibility = ConvolveSame(stimuli[source], psc);
            var filtered = ConvolveSame(membrane.Select((v, t) => Superspike(v, beta) * eligibility[t]).ToArray(), psp);
            double sum = 0;
            for (int t = 0; t < steps; t++) sum += error[t] * filtered[t];
            dw[source] = eta * sum / steps;
        }
        return dw;
    }

    /// <summary>The tutorial's kernels, written out: n = int(window / dt) made odd, exponentials on the last n / 2 taps.</summary>
    public static (double[] Psc, double[] Psp) Kernels(double tauSyn, double tauMem, double dt, double window)
    {
        int n = (int)Math.Round(window / dt);
        n += 1 - n % 2;
        var psc = new double[n];
        var psp = new double[n];
        for (int k = 0; k < n / 2; k++)
        {
            psc[n - n / 2 + k] = Math.Exp(-k / (tauSyn / dt));
            psp[n - n / 2 + k] = psc[n - n / 2 + k] - Math.Exp(-k / (tauMem / dt));
        }
        return (psc, psp);
    }
}
