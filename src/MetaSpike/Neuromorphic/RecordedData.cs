using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// What a population recorded in one run: spike times per trial and neuron (µs), and the ADC's membrane samples
/// [trials, samples, neurons] in LSB at <see cref="SampleTimesUs"/>. Owns its membrane tensor: dispose it (or let the
/// dispose scope it was created in do so).
/// </summary>
public sealed class RecordedData : IDisposable
{
    private readonly SpikeTrains? _spikes;
    private readonly Tensor? _membrane;
    private readonly double[] _sampleTimes;

    /// <summary>Wraps recorded results (a backend creates these; the membrane tensor becomes owned by this object).</summary>
    /// <param name="trials">Trials in the run.</param>
    /// <param name="neurons">Neurons in the population.</param>
    /// <param name="durationUs">Run duration in µs.</param>
    /// <param name="dtUs">The substrate's time grid in µs (default grid of the binning helpers).</param>
    /// <param name="spikes">Spike times, or null if spikes were not recorded.</param>
    /// <param name="membrane">Membrane samples [trials, samples, neurons] in LSB, or null if not recorded.</param>
    /// <param name="sampleTimesUs">Sample times in µs (increasing), one per membrane sample.</param>
    /// <exception cref="ArgumentException">Shapes that disagree with each other.</exception>
    public RecordedData(int trials, int neurons, double durationUs, double dtUs, SpikeTrains? spikes, Tensor? membrane, double[] sampleTimesUs)
    {
        ArgumentNullException.ThrowIfNull(sampleTimesUs);
        if (spikes is not null && (spikes.Trials != trials || spikes.Neurons != neurons))
            throw new ArgumentException($"spike trains are {spikes.Trials} x {spikes.Neurons}, the data {trials} x {neurons}.", nameof(spikes));
        if (membrane is not null && (membrane.dim() != 3 || membrane.shape[0] != trials || membrane.shape[1] != sampleTimesUs.Length || membrane.shape[2] != neurons))
            throw new ArgumentException($"the membrane must be [{trials}, {sampleTimesUs.Length}, {neurons}], got [{string.Join(", ", membrane.shape)}].", nameof(membrane));
        (Trials, Neurons, DurationUs, DtUs, _spikes, _membrane, _sampleTimes) = (trials, neurons, durationUs, dtUs, spikes, membrane, sampleTimesUs);
    }

    /// <summary>Trials (batch size) of the run.</summary>
    public int Trials { get; }

    /// <summary>Neurons in the population.</summary>
    public int Neurons { get; }

    /// <summary>Run duration in µs.</summary>
    public double DurationUs { get; }

    /// <summary>The substrate's time grid in µs.</summary>
    public double DtUs { get; }

    /// <summary>Steps of the run on the <see cref="DtUs"/> grid.</summary>
    public int Steps => StepCount(DurationUs, DtUs);

    /// <summary>Whether spikes were recorded.</summary>
    public bool HasSpikes => _spikes is not null;

    /// <summary>Whether the membrane was recorded.</summary>
    public bool HasMembrane => _membrane is not null;

    /// <summary>Spike times (µs) per trial and neuron.</summary>
    /// <exception cref="InvalidOperationException">Spikes were not recorded.</exception>
    public SpikeTrains Spikes => _spikes ?? throw new InvalidOperationException("spikes were not recorded: call Record(Recordables.Spikes) before the run.");

    /// <summary>Membrane samples [trials, samples, neurons] in ADC LSB (float32 holding integers). Owned by this object.</summary>
    /// <exception cref="InvalidOperationException">The membrane was not recorded.</exception>
    public Tensor Membrane => _membrane ?? throw new InvalidOperationException("the membrane was not recorded: call Record(Recordables.Membrane) before the run.");

    /// <summary>The times (µs) of the membrane samples.</summary>
    public IReadOnlyList<double> SampleTimesUs => _sampleTimes;

    /// <summary>Spike counts on the grid t_k = k dt, k = 0 .. steps - 1: a new tensor [trials, steps, neurons] (dt defaults to <see cref="DtUs"/>).</summary>
    public Tensor BinnedSpikes(double? dtUs = null)
    {
        double dt = dtUs ?? DtUs;
        return Spikes.ToBinned(dt, StepCount(DurationUs, dt));
    }

    /// <summary>
    /// The membrane linearly interpolated onto t_k = k dt, k = 0 .. steps - 1 (numpy's <c>interp</c>: held constant
    /// before the first and after the last sample): a new tensor [trials, steps, neurons] in LSB.
    /// </summary>
    public Tensor MembraneOnGrid(double? dtUs = null)
    {
        double dt = dtUs ?? DtUs;
        var membrane = Membrane;
        int steps = StepCount(DurationUs, dt), last = _sampleTimes.Length - 1;
        var left = new long[steps]; var right = new long[steps]; var fraction = new float[steps];
        for (int k = 0, s = 0; k < steps; k++)
        {
            double t = k * dt;
            while (s < last && _sampleTimes[s + 1] <= t) s++;
            if (t <= _sampleTimes[0]) (left[k], right[k]) = (0, 0);
            else if (s == last) (left[k], right[k]) = (last, last);
            else (left[k], right[k], fraction[k]) = (s, s + 1, (float)((t - _sampleTimes[s]) / (_sampleTimes[s + 1] - _sampleTimes[s])));
        }
        using var scope = NewDisposeScope();
        var a = tensor(fraction).reshape(1, steps, 1);
        var low = membrane.index_select(1, tensor(left));
        var high = membrane.index_select(1, tensor(right));
        return (low + (high - low) * a).MoveToOuterDisposeScope();
    }

    /// <summary>The number of steps of <paramref name="dtUs"/> in <paramref name="durationUs"/>, rounding up (tolerant to rounding error).</summary>
    public static int StepCount(double durationUs, double dtUs) => (int)Math.Ceiling(durationUs / dtUs - 1e-6);

    /// <summary>A copy whose membrane tensor is new (registered in the caller's dispose scope, if any).</summary>
    internal RecordedData Copy() => new(Trials, Neurons, DurationUs, DtUs, _spikes, _membrane?.clone(), _sampleTimes);

    /// <summary>Disposes the membrane tensor.</summary>
    public void Dispose() => _membrane?.Dispose();
}
