using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// A software stand-in for an accelerated analog neuromorphic chip (BrainScaleS-2 style): LIF/AdEx neurons with
/// current-based exponential synapses, 6-bit integer weights, µs time constants, fixed-pattern mismatch per chip,
/// temporal membrane noise per run, and a noisy 10-bit membrane ADC. Integrates on a fixed step with the exact
/// propagator of the linear membrane/synapse system, vectorised over neurons and trials ([trials, neurons] state).
/// </summary>
/// <remarks>
/// Step k (time t_k = k dt) adds the inputs arriving at t_k to the synaptic currents (source spikes in
/// [t_k, t_k + dt), and neuron spikes of step k - 1, so neuron-to-neuron delay is one step), emits a spike where
/// V(t_k) &gt;= threshold (V then resets and is held for the refractory period), records V(t_k), and propagates to
/// t_k + dt. Each run draws its noise from <c>Seeds.Mix(NoiseSeed, run index)</c>, so runs differ from each other
/// but a fresh emulator with the same options repeats the same sequence.
/// </remarks>
public sealed class SubstrateEmulator : INeuromorphicBackend
{
    private readonly int _strideSteps;

    /// <summary>Creates a chip.</summary>
    /// <param name="options">Settings; null gives the defaults (a realistic chip with seeds 0).</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public SubstrateEmulator(EmulatorOptions? options = null)
    {
        Options = options ?? new EmulatorOptions();
        Options.Validate();
        Mismatch = new ChipMismatch(Options.NeuronCount, Options.ChipSeed, Options.Mismatch);
        _strideSteps = Options.Adc.StrideSteps(Options.DtUs);
        Properties = new SubstrateProperties("MetaSpike substrate emulator", Options.NeuronCount, MaxWeight: 63, Options.DtUs, Options.Adc.MaxLsb);
    }

    /// <summary>The emulator's settings.</summary>
    public EmulatorOptions Options { get; }

    /// <inheritdoc />
    public SubstrateProperties Properties { get; }

    /// <summary>This chip's fixed-pattern mismatch (ground truth, for tests and analysis).</summary>
    public ChipMismatch Mismatch { get; }

    /// <summary>Runs executed so far; the next run draws its noise from <c>Seeds.Mix(NoiseSeed, RunCount)</c>.</summary>
    public long RunCount { get; private set; }

    /// <inheritdoc />
    public IReadOnlyList<RecordedData> Execute(Experiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        experiment.Validate(Properties);
        double dt = Options.DtUs;
        int steps = RecordedData.StepCount(experiment.DurationUs, dt);
        using var generator = new Generator((ulong)Seeds.Mix(Options.NoiseSeed, RunCount++));
        using var scope = NewDisposeScope();
        var circuit = Circuit.Build(experiment, Mismatch, dt, Options.MembraneNoiseLsb, Options.Dtype, Options.ChunkSteps);
        var inputs = new InputEvents(experiment, dt, steps);
        var (fromSources, fromNeurons) = SynapseWeights(experiment, circuit);
        var recorder = new TraceRecorder(experiment, _strideSteps);
        Integrate(experiment.Trials, steps, circuit, inputs, fromSources, fromNeurons, recorder, generator);
        return recorder.Results(experiment, dt, Options.Adc, generator);
    }

    private void Integrate(int trials, int steps, Circuit circuit, InputEvents inputs, Tensor? fromSources, Tensor? fromNeurons,
        TraceRecorder recorder, Generator generator)
    {
        var dtype = Options.Dtype;
        int n = circuit.Neurons;
        // Persistent state, updated in place at the end of each chunk; inside a chunk each step makes new tensors.
        var vState = circuit.Leak.expand(trials, n).clone();
        var currentState = zeros([trials, 2 * n], dtype); // excitatory | inhibitory, as used at the last step
        var refractoryState = zeros([trials, n], dtype); // steps left clamped at reset (<= 0: free)
        var adaptationState = circuit.AdEx is null ? null : zeros([trials, n], dtype);
        var spikeState = fromNeurons is null ? null : zeros([trials, n], dtype);
        // Without neuron-to-neuron synapses the currents do not depend on the spikes: a whole chunk's synaptic drive
        // is computed before its time loop, and each step is a handful of [trials, neurons] operations.
        bool precomputed = fromNeurons is null;
        int chunk = precomputed ? Math.Min(Options.ChunkSteps, circuit.MaxChunkForPowers) : Options.ChunkSteps;
        for (int start = 0; start < steps; start += chunk)
        {
            int length = Math.Min(chunk, steps - start);
            using var chunkScope = NewDisposeScope();
            var input = fromSources is null ? null : inputs.Currents(start, length, fromSources); // [trials, length, 2n]
            var drive = circuit.ConstantDrive.expand(trials, length, n);
            if (precomputed && input is not null) drive = drive + SynapticDrive(circuit, input, currentState);
            if (Options.MembraneNoiseLsb > 0) drive = drive + randn([trials, length, n], dtype, generator: generator) * circuit.NoiseScale;
            Tensor v = vState, refractory = refractoryState, current = currentState;
            Tensor? adaptation = adaptationState, previousSpikes = spikeState;
            var membrane = new Tensor[length];
            var spikes = new Tensor[length];
            for (int j = 0; j < length; j++)
            {
                var stepDrive = drive.select(1, j);
                if (!precomputed)
                {
                    current = current * circuit.SynapticDecay + previousSpikes!.matmul(fromNeurons!);
                    if (input is not null) current = current + input.select(1, j);
                    stepDrive = stepDrive + ExcitatoryPlusInhibitory(current * circuit.CurrentToMembrane, n);
                }

                var spike = v.ge(circuit.Threshold);
                v = where(spike, circuit.Reset, v);
                refractory = where(spike, circuit.RefractorySteps, refractory - 1);
                membrane[j] = v;
                spikes[j] = spike;
                if (previousSpikes is not null) previousSpikes = spike.to_type(dtype);

                if (adaptation is not null)
                {
                    adaptation = adaptation + spike.to_type(dtype) * circuit.AdEx!.Jump;
                    stepDrive = stepDrive + AdExInput(v, adaptation, circuit.AdEx) * circuit.InputWeight;
                }
                v = where(refractory.gt(0), circuit.Reset, addcmul(stepDrive, v, circuit.MembraneDecay, 1));
                if (adaptation is not null)
                    adaptation = adaptation * circuit.AdEx!.AdaptationDecay + (v - circuit.Leak) * circuit.AdEx.Coupling;
            }
            vState.copy_(v);
            refractoryState.copy_(refractory);
            if (!precomputed) currentState.copy_(current);
            adaptationState?.copy_(adaptation!);
            spikeState?.copy_(previousSpikes!);
            recorder.Append(start, stack(membrane, 1), stack(spikes, 1));
        }
    }

    /// <summary>
    /// The synaptic currents' contribution to V over a chunk, [trials, length, neurons], from the chunk's input
    /// jumps [trials, length, 2 neurons] and the current of the step before; updates <paramref name="currentState"/>
    /// to the chunk's last current. I_j = d I_(j-1) + x_j is solved in closed form, I_j = d^j (d I_(-1) + sum_(i &lt;= j) d^-i x_i),
    /// with non-negative terms only (excitatory and inhibitory currents are kept apart), so nothing cancels.
    /// </summary>
    private static Tensor SynapticDrive(Circuit circuit, Tensor input, Tensor currentState)
    {
        long length = input.shape[1];
        var powers = circuit.SynapticDecayPowers.narrow(0, 0, length); // d^j
        var inverse = circuit.SynapticDecayInversePowers.narrow(0, 0, length); // d^-j
        var current = (input * inverse).cumsum(1).add_((currentState * circuit.SynapticDecay).unsqueeze(1)).mul_(powers);
        currentState.copy_(current.select(1, length - 1));
        return ExcitatoryPlusInhibitory(current * circuit.CurrentToMembrane, circuit.Neurons);
    }

    /// <summary>
    /// The sum of the excitatory (first <paramref name="n"/>) and inhibitory (last n) halves of the last dimension,
    /// as an elementwise add: a reduction over a middle dimension would start libtorch's thread pool at every step.
    /// </summary>
    private static Tensor ExcitatoryPlusInhibitory(Tensor both, long n) => both.narrow(-1, 0, n) + both.narrow(-1, n, n);

    /// <summary>The AdEx drive Delta_T exp((V - V_T) / Delta_T) - w, held constant over a step (exponent capped so it stays finite).</summary>
    private static Tensor AdExInput(Tensor v, Tensor adaptation, AdExTerms adex) =>
        ((v - adex.ExponentialThreshold) * adex.InverseDeltaT).clamp_max(20).exp() * adex.DeltaT - adaptation;

    /// <summary>
    /// The current jumps per input spike, weight x gain, as [sources, 2 neurons] and [neurons, 2 neurons] matrices
    /// (excitatory columns first), or null where no projection of that kind exists.
    /// </summary>
    private (Tensor? FromSources, Tensor? FromNeurons) SynapseWeights(Experiment experiment, Circuit circuit)
    {
        int n = circuit.Neurons, sources = experiment.Sources.Sum(s => s.Size);
        var sourceStart = Starts(experiment.Sources.Select(s => s.Size));
        var neuronStart = Starts(experiment.NeuronGroups.Select(g => g.Size));
        Tensor? fromSources = null, fromNeurons = null;
        foreach (var synapses in experiment.Synapses)
        {
            int pre = experiment.SizeOf(synapses.Pre), post = experiment.NeuronGroups[synapses.PostGroup].Size;
            ref var target = ref synapses.Pre.IsSource ? ref fromSources : ref fromNeurons;
            target ??= zeros([synapses.Pre.IsSource ? sources : n, 2 * n], Options.Dtype);
            long row = (synapses.Pre.IsSource ? sourceStart : neuronStart)[synapses.Pre.Index];
            long column = neuronStart[synapses.PostGroup] + (synapses.Receptor == ReceptorType.Inhibitory ? n : 0);
            var weights = tensor(synapses.Weights.ToArray(), Options.Dtype).reshape(pre, post);
            target.narrow(0, row, pre).narrow(1, column, post).add_(weights);
        }
        // Scale each post neuron's column by its (mismatched) gain: weight units -> LSB of current.
        return (fromSources?.mul_(circuit.Gain), fromNeurons?.mul_(circuit.Gain));
    }

    private static int[] Starts(IEnumerable<int> sizes)
    {
        var starts = new List<int>();
        int at = 0;
        foreach (int size in sizes) { starts.Add(at); at += size; }
        return [.. starts];
    }
}
