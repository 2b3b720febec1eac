using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// Each neuron's dynamic range in ADC LSB: <see cref="ZeroLsb"/> (its resting level) and <see cref="RangeLsb"/>
/// (threshold minus resting level). <see cref="Normalize"/> maps a membrane trace so that rest is 0 and the
/// threshold 1, the scale SuperSpike's surrogate expects (the tutorial's v_zero and dynamic_range).
/// </summary>
/// <param name="ZeroLsb">Resting level per neuron, LSB.</param>
/// <param name="RangeLsb">Threshold minus resting level per neuron, LSB.</param>
public sealed record NeuronCalibration(double[] ZeroLsb, double[] RangeLsb)
{
    /// <summary>Neurons calibrated.</summary>
    public int Neurons => ZeroLsb.Length;

    /// <summary>(membrane - zero) / range, per neuron along the last dimension: a new tensor in the membrane's dtype.</summary>
    /// <exception cref="ArgumentException">The last dimension is not the number of calibrated neurons.</exception>
    public Tensor Normalize(Tensor membraneLsb)
    {
        ArgumentNullException.ThrowIfNull(membraneLsb);
        if (membraneLsb.dim() < 1 || membraneLsb.shape[^1] != Neurons)
            throw new ArgumentException($"the membrane's last dimension must be the {Neurons} calibrated neurons, got [{string.Join(", ", membraneLsb.shape)}].", nameof(membraneLsb));
        using var scope = NewDisposeScope();
        var zero = tensor(ZeroLsb, membraneLsb.dtype);
        var range = tensor(RangeLsb, membraneLsb.dtype);
        return ((membraneLsb - zero) / range).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Measures a population's per-neuron dynamic range on its substrate with two experiments of its own (the
/// network's data and configuration are untouched): without input, the mean membrane is the resting level; driven
/// by a constant current to 1.5 times the nominal range above rest, the neuron fires regularly and the samples just
/// before its spikes, corrected by half of the last rise, give the threshold level.
/// </summary>
public static class Calibration
{
    /// <summary>Calibrates <paramref name="population"/>.</summary>
    /// <param name="population">The neurons (their current parameters and hardware placement are used).</param>
    /// <param name="durationUs">Duration of each calibration run in µs.</param>
    /// <param name="trials">Trials per run (noise averages out over trials and spikes).</param>
    /// <exception cref="ArgumentException">Duration or trials not positive.</exception>
    /// <exception cref="InvalidOperationException">A neuron did not fire under the drive (its threshold lies beyond reach).</exception>
    public static NeuronCalibration Measure(Population population, double durationUs = 100, int trials = 4)
    {
        ArgumentNullException.ThrowIfNull(population);
        if (!double.IsFinite(durationUs) || durationUs <= 0) throw new ArgumentException($"the calibration duration must be finite and > 0 µs, got {durationUs}.", nameof(durationUs));
        if (trials < 1) throw new ArgumentException($"calibration needs at least one trial, got {trials}.", nameof(trials));
        var backend = population.Network.Backend;
        var nominal = population.Parameters;
        var drive = nominal with { OffsetCurrentLsb = 1.5 * (nominal.ThresholdLsb - nominal.LeakLsb) };
        using var scope = NewDisposeScope();
        using var rest = Run(backend, population, nominal, durationUs, trials);
        using var driven = Run(backend, population, drive, durationUs, trials);
        var zero = TensorValues(rest.Membrane.mean([0L, 1L]));
        var top = ThresholdLevels(driven, population.Label);
        return new NeuronCalibration(zero, [.. top.Select((t, i) => t - zero[i])]);
    }

    private static RecordedData Run(INeuromorphicBackend backend, Population population, NeuronParameters parameters, double durationUs, int trials)
    {
        var group = new NeuronGroup(population.FirstHardwareNeuron, population.Size, parameters, Recordables.All);
        var experiment = new Experiment(durationUs, trials, [group], [], []);
        return backend.Execute(experiment)[0];
    }

    /// <summary>Per neuron, the mean over spikes of the last sample before the spike plus half the rise into it.</summary>
    private static double[] ThresholdLevels(RecordedData data, string label)
    {
        var membrane = TensorValues(data.Membrane.contiguous()); // [trials, samples, neurons] flat
        var times = data.SampleTimesUs;
        int samples = times.Count, neurons = data.Neurons;
        var sum = new double[neurons];
        var count = new int[neurons];
        for (int t = 0; t < data.Trials; t++)
            for (int n = 0; n < neurons; n++)
                foreach (double spike in data.Spikes.Times(t, n))
                {
                    int before = LastSampleBefore(times, spike);
                    if (before < 1) continue;
                    double last = membrane[((long)t * samples + before) * neurons + n];
                    double previous = membrane[((long)t * samples + before - 1) * neurons + n];
                    sum[n] += last + 0.5 * (last - previous);
                    count[n]++;
                }
        for (int n = 0; n < neurons; n++)
            if (count[n] == 0) throw new InvalidOperationException($"calibration: neuron {n} of '{label}' did not fire under a drive of 1.5 times its nominal range.");
        return [.. sum.Select((s, n) => s / count[n])];
    }

    private static int LastSampleBefore(IReadOnlyList<double> times, double spikeUs)
    {
        int lo = 0, hi = times.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (times[mid] < spikeUs - 1e-9) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }

    private static double[] TensorValues(Tensor t) => t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
}
