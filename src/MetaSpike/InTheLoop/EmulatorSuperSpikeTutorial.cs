using MetaSpike.Neuromorphic;
using MetaSpike.OnlineLearning;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.InTheLoop;

/// <summary>One epoch of <see cref="EmulatorSuperSpikeTutorial"/> as the tutorial plots it.</summary>
/// <param name="Epoch">Epoch index, from 0.</param>
/// <param name="Loss">sum |error| of the epoch.</param>
/// <param name="Membrane">The normalised membrane on the time grid (rest 0, threshold 1).</param>
/// <param name="Error">The van Rossum error trace conv(target - output, kernel_vrd).</param>
/// <param name="OutputSpikesUs">The neuron's spike times, µs.</param>
public sealed record EpochTrace(int Epoch, double Loss, double[] Membrane, double[] Error, double[] OutputSpikesUs);

/// <summary>What <see cref="EmulatorSuperSpikeTutorial.Train"/> returns.</summary>
/// <param name="Training">Losses, spike counts and the learnt (unconstrained) weights.</param>
/// <param name="First">The first epoch.</param>
/// <param name="Last">The last epoch.</param>
/// <param name="Timing">The last epoch's output spikes against the target spikes.</param>
public sealed record EmulatorSuperSpikeResult(SuperSpikeTrainingResult Training, EpochTrace First, EpochTrace Last, SpikeTimingReport Timing);

/// <summary>
/// The BrainScaleS-2 SuperSpike tutorial in the loop on a neuromorphic backend: 25 spike sources onto one neuron
/// through an excitatory and an inhibitory all-to-all projection (signed weights via <see cref="SignedWeights"/>),
/// the target spike train recorded with the target weights, the membrane normalised by the neuron's measured
/// dynamic range (<see cref="Calibration"/>), and <see cref="SuperSpikeTraining.Train"/> with every epoch a run on
/// the backend. Stimulus and weights come from <see cref="SuperSpikeTutorialSetup"/> and the seed.
/// </summary>
public sealed class EmulatorSuperSpikeTutorial : IDisposable
{
    private readonly Tensor _input, _target;
    private double[] _lastMembrane = [];
    private double[] _lastSpikes = [];

    /// <summary>Builds the network on <paramref name="backend"/>, records the target and calibrates the neuron.</summary>
    /// <param name="backend">The substrate; its time grid must equal the setup's dt.</param>
    /// <param name="setup">Stimulus and weight distributions (default: the tutorial's).</param>
    /// <param name="seed">Seed of the stimulus and of the target and initial weights.</param>
    /// <exception cref="ArgumentException">An invalid setup, or a backend on another time grid.</exception>
    public EmulatorSuperSpikeTutorial(INeuromorphicBackend backend, SuperSpikeTutorialSetup? setup, long seed)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Setup = setup ?? new SuperSpikeTutorialSetup();
        Setup.Validate();
        if (Math.Abs(backend.Properties.DtUs - Setup.Dt) > 1e-9)
            throw new ArgumentException($"the backend's time grid ({backend.Properties.DtUs} µs) must equal the tutorial's dt ({Setup.Dt} µs).", nameof(backend));
        Seed = seed;
        Network = new NeuromorphicNetwork(backend);
        Output = Network.CreatePopulation(1, label: "output");
        Output.Record(Recordables.All);
        Input = Network.CreateSpikeSourceArray(Setup.Inputs, "input");
        Inhibitory = Network.Connect(Input, Output, Connector.AllToAll, ReceptorType.Inhibitory);
        Excitatory = Network.Connect(Input, Output, Connector.AllToAll, ReceptorType.Excitatory);
        _input = Setup.InputSpikes(seed);
        Input.SetBinnedSpikes(_input.unsqueeze(0));
        Calibration = Neuromorphic.Calibration.Measure(Output);

        using (var scope = NewDisposeScope())
            _target = Run(Setup.TargetWeights(seed)).Spikes.clone().MoveToOuterDisposeScope();
        TargetSpikesUs = _lastSpikes;
        TargetMembrane = _lastMembrane;
    }

    /// <summary>The stimulus and weight distributions.</summary>
    public SuperSpikeTutorialSetup Setup { get; }

    /// <summary>The seed of stimulus and weights.</summary>
    public long Seed { get; }

    /// <summary>The PyNN-like network.</summary>
    public NeuromorphicNetwork Network { get; }

    /// <summary>The trained neuron.</summary>
    public Population Output { get; }

    /// <summary>The 25 (or <see cref="SuperSpikeTutorialSetup.Inputs"/>) spike sources.</summary>
    public SpikeSourceArray Input { get; }

    /// <summary>The excitatory half of the signed weights.</summary>
    public Projection Excitatory { get; }

    /// <summary>The inhibitory half of the signed weights.</summary>
    public Projection Inhibitory { get; }

    /// <summary>The neuron's measured rest level and dynamic range, used to normalise its membrane.</summary>
    public NeuronCalibration Calibration { get; }

    /// <summary>The target spike times, µs (the neuron's output under the target weights).</summary>
    public double[] TargetSpikesUs { get; }

    /// <summary>The normalised membrane of the target run.</summary>
    public double[] TargetMembrane { get; }

    /// <summary>
    /// Runs the neuron once with <paramref name="weights"/> [inputs, 1] (clipped to ±63 and rounded on the way):
    /// the normalised membrane and binned spikes, [steps, 1] each.
    /// </summary>
    /// <exception cref="ArgumentException">Weights of the wrong shape or holding NaN.</exception>
    public NeuronRecording Run(Tensor weights)
    {
        SignedWeights.Apply(Excitatory, Inhibitory, weights);
        Network.Run(Setup.Duration);
        using var data = Output.GetData();
        var membrane = Calibration.Normalize(data.MembraneOnGrid(Setup.Dt)).select(0, 0).to_type(ScalarType.Float64);
        var spikes = data.BinnedSpikes(Setup.Dt).select(0, 0).to_type(ScalarType.Float64);
        _lastMembrane = membrane.squeeze(1).data<double>().ToArray();
        _lastSpikes = data.Spikes.Times(0, 0).ToArray();
        Network.Reset();
        return new NeuronRecording(membrane, spikes);
    }

    /// <summary>Trains from the setup's initial weights for <paramref name="epochs"/> epochs, one backend run each.</summary>
    /// <param name="epochs">Epochs, &gt;= 1.</param>
    /// <param name="rule">The rule (default: the tutorial's settings); its dt must be the setup's.</param>
    /// <param name="epochCompleted">Called after each epoch with its index and loss.</param>
    /// <exception cref="ArgumentException">epochs &lt; 1 or a rule on another time grid.</exception>
    public EmulatorSuperSpikeResult Train(int epochs, SuperSpike? rule = null, Action<int, double>? epochCompleted = null)
    {
        rule ??= new SuperSpike();
        if (Math.Abs(rule.Settings.Dt - Setup.Dt) > 1e-12)
            throw new ArgumentException($"the rule's dt ({rule.Settings.Dt} µs) must equal the tutorial's dt ({Setup.Dt} µs).", nameof(rule));
        if (epochs < 1) throw new ArgumentException($"epochs must be >= 1, got {epochs}.", nameof(epochs));
        EpochTrace? first = null, last = null;
        using var initial = Setup.InitialWeights(Seed);
        var training = SuperSpikeTraining.Train(Run, _input, _target, initial, epochs, rule, epochCompleted: (e, loss) =>
        {
            if (e == 0) first = Trace(rule, e, loss);
            if (e == epochs - 1) last = Trace(rule, e, loss);
            epochCompleted?.Invoke(e, loss);
        });
        return new EmulatorSuperSpikeResult(training, first!, last!, SpikeTiming.Compare(TargetSpikesUs, last!.OutputSpikesUs));
    }

    /// <summary>The epoch just run, from the recording the last <see cref="Run"/> kept.</summary>
    private EpochTrace Trace(SuperSpike rule, int epoch, double loss)
    {
        using var scope = NewDisposeScope();
        var output = SpikeBinning.Bin(_lastSpikes, Setup.Steps, Setup.Dt).unsqueeze(1);
        var error = rule.Error(output, _target).squeeze(1).contiguous().data<double>().ToArray();
        return new EpochTrace(epoch, loss, _lastMembrane, error, _lastSpikes);
    }

    /// <summary>Frees the network's data and the stimulus tensors.</summary>
    public void Dispose()
    {
        Network.Dispose();
        _input.Dispose();
        _target.Dispose();
    }
}
