namespace MetaSpike.Neuromorphic;

/// <summary>
/// The PyNN-like front end of a neuromorphic substrate (<c>pynn.setup</c> .. <c>pynn.run</c> .. <c>pynn.reset</c>):
/// create populations, spike sources and projections, set weights, <see cref="Run"/>, read each population's
/// <see cref="Population.GetData"/>, <see cref="Reset"/>. Every run is one experiment from the resting state at
/// t = 0; its data replace the previous run's. Dispose the network to free the recorded data.
/// </summary>
public sealed class NeuromorphicNetwork : IDisposable
{
    private readonly List<Population> _populations = [];
    private readonly List<SpikeSourceArray> _sources = [];
    private readonly List<Projection> _projections = [];
    private int _nextHardwareNeuron;

    /// <summary>A network on <paramref name="backend"/> (the emulator or a hardware driver).</summary>
    public NeuromorphicNetwork(INeuromorphicBackend backend)
    {
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
    }

    /// <summary>The substrate that runs the network.</summary>
    public INeuromorphicBackend Backend { get; }

    /// <summary>The substrate's time grid in µs (binning of inputs and of the data helpers).</summary>
    public double DtUs => Backend.Properties.DtUs;

    /// <summary>The largest integer weight.</summary>
    public int MaxWeight => Backend.Properties.MaxWeight;

    /// <summary>Neuron populations, in creation (and hardware placement) order.</summary>
    public IReadOnlyList<Population> Populations => _populations;

    /// <summary>Spike source populations.</summary>
    public IReadOnlyList<SpikeSourceArray> SpikeSources => _sources;

    /// <summary>Projections.</summary>
    public IReadOnlyList<Projection> Projections => _projections;

    /// <summary>Duration of the last run in µs, or null if there was none since the last reset.</summary>
    public double? LastRunDurationUs { get; private set; }

    /// <summary>Trials of the last run (the largest trial count among the sources), or 0 if there was none since the last reset.</summary>
    public int LastRunTrials { get; private set; }

    /// <summary>Creates <paramref name="size"/> hardware neurons on the next free chip neurons.</summary>
    /// <exception cref="ArgumentException">Size below 1, not enough free neurons, or invalid parameters.</exception>
    public Population CreatePopulation(int size, NeuronParameters? parameters = null, string? label = null)
    {
        label ??= $"population {_populations.Count}";
        if (size >= 1 && _nextHardwareNeuron + size > Backend.Properties.NeuronCount)
            throw new ArgumentException($"'{label}' needs {size} neurons; only {Backend.Properties.NeuronCount - _nextHardwareNeuron} of {Backend.Properties.NeuronCount} are free.", nameof(size));
        var population = new Population(this, size, parameters ?? NeuronParameters.Default, _nextHardwareNeuron, label);
        _nextHardwareNeuron += size;
        _populations.Add(population);
        return population;
    }

    /// <summary>Creates <paramref name="size"/> spike sources without spikes.</summary>
    /// <exception cref="ArgumentException">Size below 1.</exception>
    public SpikeSourceArray CreateSpikeSourceArray(int size, string? label = null)
    {
        var sources = new SpikeSourceArray(this, size, label ?? $"sources {_sources.Count}");
        _sources.Add(sources);
        return sources;
    }

    /// <summary>Connects <paramref name="pre"/> to <paramref name="post"/>; every synapse starts at <paramref name="weight"/>.</summary>
    /// <exception cref="ArgumentException">A population of another network, a connector that does not fit the sizes, or an invalid weight.</exception>
    public Projection Connect(PopulationBase pre, Population post, Connector connector, ReceptorType receptor, double weight = 0, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(pre);
        ArgumentNullException.ThrowIfNull(post);
        ArgumentNullException.ThrowIfNull(connector);
        if (pre.Network != this || post.Network != this) throw new ArgumentException("both populations must belong to this network.");
        if (!Enum.IsDefined(receptor)) throw new ArgumentException($"unknown receptor type {receptor}.", nameof(receptor));
        var projection = new Projection(pre, post, connector, receptor, MaxWeight,
            label ?? $"{receptor.ToString().ToLowerInvariant()} projection {pre.Label} -> {post.Label}");
        projection.SetWeights(weight);
        _projections.Add(projection);
        return projection;
    }

    /// <summary>
    /// Runs one experiment of <paramref name="durationUs"/> µs on the backend: every trial starts at rest at t = 0.
    /// The number of trials is the largest among the spike sources (sources with one trial are shared).
    /// </summary>
    /// <exception cref="ArgumentException">A non-positive or non-finite duration, sources with incompatible trial
    /// counts, spike times at or after the end of the run, or anything else the backend rejects.</exception>
    public void Run(double durationUs)
    {
        if (!double.IsFinite(durationUs) || durationUs <= 0) throw new ArgumentException($"the run duration must be finite and > 0 µs, got {durationUs}.", nameof(durationUs));
        if (_populations.Count == 0) throw new InvalidOperationException("the network has no neuron population to run.");
        int trials = _sources.Count == 0 ? 1 : _sources.Max(s => s.Trials);
        foreach (var source in _sources)
            if (source.Trials != 1 && source.Trials != trials)
                throw new ArgumentException($"'{source.Label}' holds {source.Trials} trials, another source {trials}; sources must hold 1 or the same number of trials.");
        foreach (var source in _sources)
            if (source.Spikes.LatestTimeUs >= durationUs)
                throw new ArgumentException($"'{source.Label}' spikes at {source.Spikes.LatestTimeUs} µs, outside the run [0, {durationUs}) µs.", nameof(durationUs));
        ClearData();
        var experiment = new Experiment(durationUs, trials,
            [.. _populations.Select(p => p.ToGroup())],
            [.. _sources.Select(s => new SourceGroup(s.Spikes))],
            [.. _projections.Select(ToSynapses)]);
        var results = Backend.Execute(experiment);
        for (int i = 0; i < _populations.Count; i++) _populations[i].SetData(results[i]);
        (LastRunDurationUs, LastRunTrials) = (durationUs, trials);
    }

    /// <summary>Discards the recorded data and run state (PyNN's <c>reset</c>); populations, sources, projections and weights stay.</summary>
    public void Reset() => ClearData();

    /// <summary>Frees the recorded data.</summary>
    public void Dispose() => ClearData();

    private void ClearData()
    {
        foreach (var population in _populations) population.SetData(null);
        (LastRunDurationUs, LastRunTrials) = (null, 0);
    }

    private SynapseMatrix ToSynapses(Projection projection)
    {
        var pre = projection.Pre is SpikeSourceArray sources
            ? new GroupRef(true, _sources.IndexOf(sources))
            : new GroupRef(false, _populations.IndexOf((Population)projection.Pre));
        return new SynapseMatrix(pre, _populations.IndexOf(projection.Post), projection.Receptor, projection.Weights);
    }
}
