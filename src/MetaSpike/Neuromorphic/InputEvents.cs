using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// The source spikes of one run as events sorted by time step, turned into synaptic current jumps [trials, steps, columns]
/// one chunk at a time (so a long run with many sources never holds the whole input).
/// </summary>
internal sealed class InputEvents
{
    private readonly int[] _firstEventOfStep; // steps + 1 entries
    private readonly Tensor? _step, _trial, _source;

    /// <summary>Sorts the spikes of all source groups (side by side: group 0's sources first) onto the step grid.</summary>
    public InputEvents(Experiment experiment, double dtUs, int steps)
    {
        Sources = experiment.Sources.Sum(s => s.Size);
        Trials = experiment.Trials;
        var counts = new int[steps + 1];
        var events = new List<(int Step, int Trial, int Source)>();
        int first = 0;
        foreach (var group in experiment.Sources)
        {
            var spikes = group.Spikes;
            for (int t = 0; t < Trials; t++)
                for (int n = 0; n < spikes.Neurons; n++)
                    foreach (double time in spikes.Times(spikes.Trials == 1 ? 0 : t, n))
                    {
                        int step = (int)SpikeTrains.StepOf(time, dtUs);
                        events.Add((step, t, first + n));
                        counts[step + 1]++;
                    }
            first += spikes.Neurons;
        }
        for (int k = 0; k < steps; k++) counts[k + 1] += counts[k];
        _firstEventOfStep = counts;
        if (events.Count == 0) return;
        var stepOf = new long[events.Count]; var trialOf = new long[events.Count]; var sourceOf = new long[events.Count];
        var next = counts[..^1];
        foreach (var (step, trial, source) in events)
        {
            int at = next[step]++;
            (stepOf[at], trialOf[at], sourceOf[at]) = (step, trial, source);
        }
        _step = tensor(stepOf); _trial = tensor(trialOf); _source = tensor(sourceOf);
    }

    /// <summary>Sources in all groups.</summary>
    public int Sources { get; }

    /// <summary>Trials of the run.</summary>
    public int Trials { get; }

    /// <summary>
    /// The synaptic current jumps [trials, length, columns] of steps start .. start + length - 1: each spike adds its
    /// source's row of <paramref name="jumps"/> [sources, columns]. Built by scattering rows (no dense input and no
    /// BLAS call, whose thread pool costs more than the work at these sizes).
    /// </summary>
    public Tensor Currents(int start, int length, Tensor jumps)
    {
        long columns = jumps.shape[1];
        var currents = zeros([(long)Trials * length, columns], jumps.dtype);
        int lo = _firstEventOfStep[start], hi = _firstEventOfStep[start + length];
        if (hi > lo)
        {
            var row = _trial!.narrow(0, lo, hi - lo) * length + _step!.narrow(0, lo, hi - lo) - start;
            currents.index_add_(0, row, jumps.index_select(0, _source!.narrow(0, lo, hi - lo)), 1);
        }
        return currents.view(Trials, length, columns);
    }
}
