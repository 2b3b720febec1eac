using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// Spike times in µs for a batch of trials and a group of neurons (or sources): for each trial and neuron a
/// strictly increasing list of non-negative finite times. Immutable; stored flat (one array of times and one of
/// offsets), so millions of spikes cost two arrays.
/// </summary>
public sealed class SpikeTrains
{
    private readonly double[] _times;
    private readonly int[] _offsets; // trial * Neurons + neuron -> first index in _times; length Trials * Neurons + 1

    private SpikeTrains(int trials, int neurons, double[] times, int[] offsets)
    {
        (Trials, Neurons, _times, _offsets) = (trials, neurons, times, offsets);
    }

    /// <summary>Trials (batch size).</summary>
    public int Trials { get; }

    /// <summary>Neurons (or sources) per trial.</summary>
    public int Neurons { get; }

    /// <summary>Spikes in all trials and neurons.</summary>
    public int TotalCount => _times.Length;

    /// <summary>The latest spike time in µs, or -infinity if there are no spikes.</summary>
    public double LatestTimeUs
    {
        get
        {
            double latest = double.NegativeInfinity;
            for (int i = 0; i < _offsets.Length - 1; i++)
                if (_offsets[i + 1] > _offsets[i]) latest = Math.Max(latest, _times[_offsets[i + 1] - 1]);
            return latest;
        }
    }

    /// <summary>The spike times (µs, increasing) of <paramref name="neuron"/> in <paramref name="trial"/>.</summary>
    public ReadOnlySpan<double> Times(int trial, int neuron)
    {
        int i = Slot(trial, neuron);
        return _times.AsSpan(_offsets[i], _offsets[i + 1] - _offsets[i]);
    }

    /// <summary>The number of spikes of <paramref name="neuron"/> in <paramref name="trial"/>.</summary>
    public int Count(int trial, int neuron)
    {
        int i = Slot(trial, neuron);
        return _offsets[i + 1] - _offsets[i];
    }

    /// <summary>The spikes of each trial, summed over neurons.</summary>
    public int[] CountsPerTrial()
    {
        var counts = new int[Trials];
        for (int t = 0; t < Trials; t++) counts[t] = _offsets[(t + 1) * Neurons] - _offsets[t * Neurons];
        return counts;
    }

    /// <summary>Copies the times out as [trial][neuron][spike].</summary>
    public double[][][] ToArray()
    {
        var result = new double[Trials][][];
        for (int t = 0; t < Trials; t++)
        {
            result[t] = new double[Neurons][];
            for (int n = 0; n < Neurons; n++) result[t][n] = Times(t, n).ToArray();
        }
        return result;
    }

    /// <summary>
    /// Spike counts on the time grid t_k = k dt, k = 0 .. steps - 1: a new float32 tensor [trials, steps, neurons] where
    /// a spike at time t falls in step floor(t / dt) (with a 1e-6 step tolerance for rounding, so k dt lands in step k).
    /// </summary>
    /// <exception cref="ArgumentException">dt not positive, steps negative, or a spike beyond the last step.</exception>
    public Tensor ToBinned(double dtUs, int steps)
    {
        if (!double.IsFinite(dtUs) || dtUs <= 0) throw new ArgumentException($"binning needs a finite dt > 0 µs, got {dtUs}.", nameof(dtUs));
        if (steps < 0) throw new ArgumentException($"binning needs steps >= 0, got {steps}.", nameof(steps));
        var flat = new long[_times.Length];
        for (int slot = 0, e = 0; slot < _offsets.Length - 1; slot++)
        {
            long trial = slot / Neurons, neuron = slot % Neurons;
            for (int i = _offsets[slot]; i < _offsets[slot + 1]; i++, e++)
            {
                long step = StepOf(_times[i], dtUs);
                if (step >= steps)
                    throw new ArgumentException($"spike at {_times[i]} µs (trial {trial}, neuron {neuron}) lies beyond {steps} steps of {dtUs} µs.");
                flat[e] = (trial * steps + step) * Neurons + neuron;
            }
        }
        using var scope = NewDisposeScope();
        var binned = zeros((long)Trials * steps * Neurons, ScalarType.Float32);
        if (flat.Length > 0) binned.index_add_(0, tensor(flat), ones(flat.Length, ScalarType.Float32), 1);
        return binned.reshape(Trials, steps, Neurons).MoveToOuterDisposeScope();
    }

    /// <summary>The step of time <paramref name="timeUs"/> on a grid of <paramref name="dtUs"/>: floor(t / dt), tolerant to rounding.</summary>
    public static long StepOf(double timeUs, double dtUs) => (long)Math.Floor(timeUs / dtUs + 1e-6);

    /// <summary>No spikes.</summary>
    public static SpikeTrains Empty(int trials, int neurons)
    {
        CheckSizes(trials, neurons);
        return new SpikeTrains(trials, neurons, [], new int[trials * neurons + 1]);
    }

    /// <summary>One trial: <paramref name="perNeuron"/>[n] are the times (µs) of neuron n.</summary>
    /// <exception cref="ArgumentException">No neurons, or times that are not finite, negative or not strictly increasing.</exception>
    public static SpikeTrains FromTimes(IReadOnlyList<IReadOnlyList<double>> perNeuron)
    {
        ArgumentNullException.ThrowIfNull(perNeuron);
        return FromTrials([perNeuron]);
    }

    /// <summary>Several trials: <paramref name="perTrial"/>[t][n] are the times (µs) of neuron n in trial t; every trial has the same neurons.</summary>
    /// <exception cref="ArgumentException">No trials or neurons, ragged trials, or times that are not finite, negative or not strictly increasing.</exception>
    public static SpikeTrains FromTrials(IReadOnlyList<IReadOnlyList<IReadOnlyList<double>>> perTrial)
    {
        ArgumentNullException.ThrowIfNull(perTrial);
        if (perTrial.Count == 0) throw new ArgumentException("spike trains need at least one trial.", nameof(perTrial));
        int neurons = perTrial[0]?.Count ?? throw new ArgumentException("trial 0 is null.", nameof(perTrial));
        CheckSizes(perTrial.Count, neurons);
        int total = 0;
        for (int t = 0; t < perTrial.Count; t++)
        {
            var trial = perTrial[t] ?? throw new ArgumentException($"trial {t} is null.", nameof(perTrial));
            if (trial.Count != neurons) throw new ArgumentException($"trial {t} has {trial.Count} spike trains, trial 0 has {neurons}.", nameof(perTrial));
            for (int n = 0; n < neurons; n++) total += (trial[n] ?? throw new ArgumentException($"the spike times of neuron {n} in trial {t} are null.", nameof(perTrial))).Count;
        }
        var times = new double[total];
        var offsets = new int[perTrial.Count * neurons + 1];
        int e = 0;
        for (int t = 0; t < perTrial.Count; t++)
            for (int n = 0; n < neurons; n++)
            {
                offsets[t * neurons + n] = e;
                var train = perTrial[t][n];
                for (int i = 0; i < train.Count; i++, e++)
                {
                    double time = train[i];
                    if (!double.IsFinite(time) || time < 0)
                        throw new ArgumentException($"spike time {time} of neuron {n} in trial {t} must be finite and >= 0 µs.", nameof(perTrial));
                    if (i > 0 && time <= train[i - 1])
                        throw new ArgumentException($"spike times of neuron {n} in trial {t} must increase strictly: {time} µs follows {train[i - 1]} µs.", nameof(perTrial));
                    times[e] = time;
                }
            }
        offsets[^1] = e;
        return new SpikeTrains(perTrial.Count, neurons, times, offsets);
    }

    /// <summary>
    /// Spikes from a binned tensor [trials, steps, neurons] of 0/1: a 1 in step k is a spike at k dt (the inverse of
    /// <see cref="ToBinned"/> for at most one spike per step).
    /// </summary>
    /// <exception cref="ArgumentException">Not three dimensions, empty, dt not positive, or values other than 0 and 1.</exception>
    public static SpikeTrains FromBinned(Tensor binned, double dtUs)
    {
        ArgumentNullException.ThrowIfNull(binned);
        if (binned.dim() != 3) throw new ArgumentException($"binned spikes must be [trials, steps, neurons], got [{string.Join(", ", binned.shape)}].", nameof(binned));
        if (!double.IsFinite(dtUs) || dtUs <= 0) throw new ArgumentException($"binning needs a finite dt > 0 µs, got {dtUs}.", nameof(dtUs));
        int trials = (int)binned.shape[0], neurons = (int)binned.shape[2];
        CheckSizes(trials, neurons);
        using var scope = NewDisposeScope();
        var values = binned.detach().cpu().to_type(ScalarType.Float64);
        if (!(values.eq(0) | values.eq(1)).all().item<bool>())
            throw new ArgumentException("binned spikes must be 0 or 1 (at most one spike per source and step).", nameof(binned));
        return FromSpikeSteps(values, dtUs);
    }

    /// <summary>Spikes from a [trials, steps, neurons] tensor that is non-zero where a neuron spiked: a spike in step k is at k dt.</summary>
    internal static SpikeTrains FromSpikeSteps(Tensor spikes, double dtUs)
    {
        using var scope = NewDisposeScope();
        int trials = (int)spikes.shape[0], neurons = (int)spikes.shape[2];
        var index = spikes.nonzero().contiguous(); // (trial, step, neuron) rows, steps increasing per trial and neuron
        var flat = index.numel() == 0 ? [] : index.data<long>().ToArray(); // (TorchSharp's ToArray fails on empty tensors)
        int count = flat.Length / 3;
        var trialOf = new int[count]; var neuronOf = new int[count]; var timeOf = new double[count];
        for (int i = 0; i < count; i++)
            (trialOf[i], timeOf[i], neuronOf[i]) = ((int)flat[3 * i], flat[3 * i + 1] * dtUs, (int)flat[3 * i + 2]);
        return FromEvents(trials, neurons, trialOf, neuronOf, timeOf);
    }

    /// <summary>Builds trains from events given in increasing time for each (trial, neuron) (a stable counting sort by slot).</summary>
    internal static SpikeTrains FromEvents(int trials, int neurons, int[] trialOf, int[] neuronOf, double[] timeOf)
    {
        var offsets = new int[trials * neurons + 1];
        for (int i = 0; i < trialOf.Length; i++) offsets[trialOf[i] * neurons + neuronOf[i] + 1]++;
        for (int s = 0; s < trials * neurons; s++) offsets[s + 1] += offsets[s];
        var next = offsets[..^1];
        var times = new double[trialOf.Length];
        for (int i = 0; i < trialOf.Length; i++) times[next[trialOf[i] * neurons + neuronOf[i]]++] = timeOf[i];
        return new SpikeTrains(trials, neurons, times, offsets);
    }

    private int Slot(int trial, int neuron)
    {
        if ((uint)trial >= (uint)Trials) throw new ArgumentOutOfRangeException(nameof(trial), $"trial {trial} is outside 0 .. {Trials - 1}.");
        if ((uint)neuron >= (uint)Neurons) throw new ArgumentOutOfRangeException(nameof(neuron), $"neuron {neuron} is outside 0 .. {Neurons - 1}.");
        return trial * Neurons + neuron;
    }

    private static void CheckSizes(int trials, int neurons)
    {
        if (trials < 1) throw new ArgumentException($"spike trains need at least one trial, got {trials}.");
        if (neurons < 1) throw new ArgumentException($"spike trains need at least one neuron, got {neurons}.");
    }
}
