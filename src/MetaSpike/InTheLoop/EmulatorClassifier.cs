using MetaSpike.Neuromorphic;
using static TorchSharp.torch;

namespace MetaSpike.InTheLoop;

/// <summary>
/// The feed-forward classifier of <see cref="TwoLayerLifModel"/> on a neuromorphic backend: spike sources -&gt; hidden
/// LIF population -&gt; output population, each stage through an excitatory and an inhibitory all-to-all projection
/// (signed weights via <see cref="SignedWeights"/>). The output neurons are leaky integrators (their threshold is set
/// out of reach after calibration). Each population is calibrated once; recordings are normalised with it and
/// resampled to the model's grid: the membrane of model step k is the sample just before k dt (so that a spike in
/// [k dt, (k + 1) dt) is paired with the membrane that led to it), spikes are binned per model step.
/// </summary>
public sealed class EmulatorClassifier : IDisposable
{
    private readonly Projection _inputExc, _inputInh, _outputExc, _outputInh;
    private readonly Tensor _gridIndex;

    /// <summary>Builds and calibrates the network.</summary>
    /// <param name="backend">The substrate.</param>
    /// <param name="inputs">Spike sources.</param>
    /// <param name="hidden">Hidden neurons.</param>
    /// <param name="classes">Output neurons.</param>
    /// <param name="durationUs">Duration of a run in µs.</param>
    /// <param name="modelDtUs">The model's time step, a whole multiple of the backend's.</param>
    /// <exception cref="ArgumentException">Sizes below 1, a model step that is not a multiple of the backend's, or too few neurons.</exception>
    public EmulatorClassifier(INeuromorphicBackend backend, int inputs, int hidden, int classes, double durationUs, double modelDtUs)
    {
        ArgumentNullException.ThrowIfNull(backend);
        double dt = backend.Properties.DtUs, ratio = modelDtUs / dt;
        if (!double.IsFinite(ratio) || Math.Round(ratio) < 1 || Math.Abs(ratio - Math.Round(ratio)) > 1e-6)
            throw new ArgumentException($"the model's step ({modelDtUs} µs) must be a whole multiple of the backend's ({dt} µs).", nameof(modelDtUs));
        if (!double.IsFinite(durationUs) || durationUs <= 0) throw new ArgumentException($"the run duration must be finite and > 0 µs, got {durationUs}.", nameof(durationUs));
        (DurationUs, ModelDtUs) = (durationUs, modelDtUs);
        Network = new NeuromorphicNetwork(backend);
        Hidden = Network.CreatePopulation(hidden, label: "hidden");
        Output = Network.CreatePopulation(classes, label: "output");
        Sources = Network.CreateSpikeSourceArray(inputs, "input");
        _inputInh = Network.Connect(Sources, Hidden, Connector.AllToAll, ReceptorType.Inhibitory);
        _inputExc = Network.Connect(Sources, Hidden, Connector.AllToAll, ReceptorType.Excitatory);
        _outputInh = Network.Connect(Hidden, Output, Connector.AllToAll, ReceptorType.Inhibitory);
        _outputExc = Network.Connect(Hidden, Output, Connector.AllToAll, ReceptorType.Excitatory);
        HiddenCalibration = Calibration.Measure(Hidden);
        OutputCalibration = Calibration.Measure(Output);
        Output.Parameters = Output.Parameters with { ThresholdLsb = 1e9 }; // a leaky integrator from now on
        Hidden.Record(Recordables.All);
        Output.Record(Recordables.Membrane);
        int stride = (int)Math.Round(ratio);
        Steps = RecordedData.StepCount(durationUs, modelDtUs);
        _gridIndex = tensor(Enumerable.Range(0, Steps).Select(k => (long)Math.Max(0, k * stride - 1)).ToArray());
    }

    /// <summary>The PyNN-like network.</summary>
    public NeuromorphicNetwork Network { get; }

    /// <summary>The spike sources.</summary>
    public SpikeSourceArray Sources { get; }

    /// <summary>The hidden LIF population.</summary>
    public Population Hidden { get; }

    /// <summary>The output population (leaky integrators).</summary>
    public Population Output { get; }

    /// <summary>The hidden neurons' measured rest and dynamic range.</summary>
    public NeuronCalibration HiddenCalibration { get; }

    /// <summary>The output neurons' measured rest and dynamic range (measured before their threshold was lifted).</summary>
    public NeuronCalibration OutputCalibration { get; }

    /// <summary>Duration of a run, µs.</summary>
    public double DurationUs { get; }

    /// <summary>The model's time step, µs.</summary>
    public double ModelDtUs { get; }

    /// <summary>Steps of the model's grid per run.</summary>
    public int Steps { get; }

    /// <summary>
    /// Writes the weights (clipped to ±63 and rounded), runs one trial per input sample and returns the normalised
    /// recordings on the model's grid: hidden membrane and spikes [B, T, H], output membrane [B, T, C], float32.
    /// </summary>
    /// <exception cref="ArgumentException">Inputs or weights that do not fit the network.</exception>
    public LayerTraces Run(SpikeTrains input, Tensor inputWeights, Tensor outputWeights)
    {
        ArgumentNullException.ThrowIfNull(input);
        SignedWeights.Apply(_inputExc, _inputInh, inputWeights).Dispose();
        SignedWeights.Apply(_outputExc, _outputInh, outputWeights).Dispose();
        Sources.SetSpikeTimes(input);
        Network.Run(DurationUs);
        using var hidden = Hidden.GetData();
        using var output = Output.GetData();
        using var scope = NewDisposeScope();
        var hiddenV = OnGrid(HiddenCalibration, hidden);
        var hiddenZ = hidden.BinnedSpikes(ModelDtUs).narrow(1, 0, Steps).clamp_max(1);
        var outputV = OnGrid(OutputCalibration, output);
        Network.Reset();
        return new LayerTraces(hiddenV.MoveToOuterDisposeScope(), hiddenZ.MoveToOuterDisposeScope(), outputV.MoveToOuterDisposeScope());
    }

    private Tensor OnGrid(NeuronCalibration calibration, RecordedData data) =>
        calibration.Normalize(data.MembraneOnGrid().index_select(1, _gridIndex)).to_type(ScalarType.Float32);

    /// <summary>Frees the recorded data.</summary>
    public void Dispose()
    {
        Network.Dispose();
        _gridIndex.Dispose();
    }
}
