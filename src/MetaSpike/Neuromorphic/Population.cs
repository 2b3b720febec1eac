namespace MetaSpike.Neuromorphic;

/// <summary>
/// A population of hardware neurons (PyNN's <c>Population(n, HXNeuron())</c>), placed on consecutive chip neurons.
/// Record what you need with <see cref="Record"/>, run the network, then read <see cref="GetData"/>.
/// </summary>
public sealed class Population : PopulationBase
{
    private NeuronParameters _parameters;
    private RecordedData? _data;

    internal Population(NeuromorphicNetwork network, int size, NeuronParameters parameters, int firstHardwareNeuron, string label)
        : base(network, size, label)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        (_parameters, FirstHardwareNeuron) = (parameters, firstHardwareNeuron);
    }

    /// <summary>The chip neuron of the population's neuron 0.</summary>
    public int FirstHardwareNeuron { get; }

    /// <summary>Nominal neuron parameters (the chip adds its mismatch); setting validates them.</summary>
    /// <exception cref="ArgumentException">Invalid parameters (NaN, non-positive time constants, ...).</exception>
    public NeuronParameters Parameters
    {
        get => _parameters;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            _parameters = value;
        }
    }

    /// <summary>What the population records in the next runs.</summary>
    public Recordables Recording { get; private set; }

    /// <summary>Records <paramref name="what"/> from the next run on (replacing the previous choice).</summary>
    public void Record(Recordables what)
    {
        if ((what & ~Recordables.All) != 0) throw new ArgumentException($"unknown recordables {what}.", nameof(what));
        Recording = what;
    }

    /// <summary>Whether data of a run is available (a run happened since the last reset).</summary>
    public bool HasData => _data is not null;

    /// <summary>
    /// The data recorded in the last run: spike times per trial and neuron, membrane [trials, samples, neurons] in
    /// LSB. The returned object is a copy the caller owns (dispose it).
    /// </summary>
    /// <exception cref="InvalidOperationException">No run since the network was created or reset.</exception>
    public RecordedData GetData() =>
        (_data ?? throw new InvalidOperationException($"population '{Label}' has no data: run the network first (data are cleared by Reset)."))
        .Copy();

    internal NeuronGroup ToGroup() => new(FirstHardwareNeuron, Size, Parameters, Recording);

    internal void SetData(RecordedData? data)
    {
        _data?.Dispose();
        _data = data;
    }
}
