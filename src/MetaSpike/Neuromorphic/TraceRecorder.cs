using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// Keeps, chunk by chunk, the membrane (every ADC sample) and spikes of the neuron groups that record them, and
/// turns them into one <see cref="RecordedData"/> per group at the end (ADC noise, rounding and clipping; spike times).
/// </summary>
internal sealed class TraceRecorder
{
    private readonly int _stride;
    private readonly Tensor? _membraneColumns, _spikeColumns;
    private readonly List<Tensor> _membrane = [], _spikes = [];

    public TraceRecorder(Experiment experiment, int strideSteps)
    {
        _stride = strideSteps;
        _membraneColumns = Columns(experiment, Recordables.Membrane);
        _spikeColumns = Columns(experiment, Recordables.Spikes);
    }

    /// <summary>Adds the membrane [trials, length, neurons] and spikes (bool, same shape) of the chunk that starts at step <paramref name="start"/>.</summary>
    public void Append(int start, Tensor membrane, Tensor spikes)
    {
        long length = membrane.shape[1], firstSample = (_stride - start % _stride) % _stride; // ADC samples on steps 0, stride, 2 stride, ...
        if (_membraneColumns is not null && firstSample < length)
            _membrane.Add(membrane.slice(1, firstSample, length, _stride).index_select(2, _membraneColumns).MoveToOuterDisposeScope());
        if (_spikeColumns is not null) _spikes.Add(spikes.index_select(2, _spikeColumns).MoveToOuterDisposeScope());
    }

    /// <summary>One result per neuron group; the membrane tensors move to the caller's dispose scope.</summary>
    public IReadOnlyList<RecordedData> Results(Experiment experiment, double dtUs, AdcSettings adc, Generator generator)
    {
        Tensor? adcSamples = null, spikes = null;
        if (_membraneColumns is not null)
        {
            var membrane = cat(_membrane, 1);
            if (adc.NoiseLsb > 0) membrane = membrane + randn(membrane.shape, membrane.dtype, generator: generator) * adc.NoiseLsb;
            adcSamples = membrane.round().clamp(0, adc.MaxLsb).to_type(ScalarType.Float32);
        }
        if (_spikeColumns is not null) spikes = cat(_spikes, 1);
        int samples = adcSamples is null ? 0 : (int)adcSamples.shape[1];
        var sampleTimes = Enumerable.Range(0, samples).Select(s => s * _stride * dtUs).ToArray();
        var results = new List<RecordedData>();
        int membraneAt = 0, spikesAt = 0;
        foreach (var group in experiment.NeuronGroups)
        {
            Tensor? groupMembrane = null;
            SpikeTrains? groupSpikes = null;
            if (group.Record.HasFlag(Recordables.Membrane))
            {
                groupMembrane = adcSamples!.narrow(2, membraneAt, group.Size).contiguous().MoveToOuterDisposeScope();
                membraneAt += group.Size;
            }
            if (group.Record.HasFlag(Recordables.Spikes))
            {
                groupSpikes = SpikeTrains.FromSpikeSteps(spikes!.narrow(2, spikesAt, group.Size), dtUs);
                spikesAt += group.Size;
            }
            results.Add(new RecordedData(experiment.Trials, group.Size, experiment.DurationUs, dtUs, groupSpikes,
                groupMembrane, groupMembrane is null ? [] : sampleTimes));
        }
        return results;
    }

    private static Tensor? Columns(Experiment experiment, Recordables what)
    {
        var columns = new List<long>();
        int at = 0;
        foreach (var group in experiment.NeuronGroups)
        {
            if (group.Record.HasFlag(what)) columns.AddRange(Enumerable.Range(at, group.Size).Select(i => (long)i));
            at += group.Size;
        }
        return columns.Count == 0 ? null : tensor(columns.ToArray());
    }
}
