using MetaSpike.Runtime;
using MetaSpike.Modules;
using MetaSpike.Neurons.Fused;
using static TorchSharp.torch;

namespace MetaSpike.Neurons;

/// <summary>
/// Base of neurons and synapses: a population of a fixed feature shape (e.g. [128] or [32, 16, 8]) whose state
/// tensors are shaped [batch, ...shape]. State is created at the first step after <c>ResetState(batch)</c> (in the
/// input's dtype and device) and a batch of another size without a reset is an error.
/// </summary>
public abstract class NeuronLayer : SpikingModule
{
    private readonly string[] _stateNames;
    private readonly Tensor?[] _state;
    private long _batch = -1;

    /// <summary>Creates the population.</summary>
    /// <param name="name">Module name.</param>
    /// <param name="shape">Feature shape (without batch).</param>
    /// <param name="stateNames">The names of the state variables, in slot order.</param>
    protected NeuronLayer(string name, FeatureShape shape, params string[] stateNames) : base(name)
    {
        if (shape.Dims.Count == 0 || shape.Dims.Any(d => d < 1))
            throw new ArgumentException($"{name} needs a feature shape with every size >= 1, got {shape}.", nameof(shape));
        Shape = shape.Dims.ToArray();
        _stateNames = stateNames;
        _state = new Tensor?[stateNames.Length];
    }

    /// <summary>The feature shape (without batch).</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Number of units (product of the shape).</summary>
    public long Size => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The names of the state variables (e.g. "V", "spike").</summary>
    public IReadOnlyList<string> StateNames => _stateNames;

    /// <summary>The current value of a state variable, or null before the first step of a batch.</summary>
    public Tensor? State(string name)
    {
        int i = Array.IndexOf(_stateNames, name);
        if (i < 0) throw new ArgumentException($"{GetType().Name} has no state '{name}'; it has {string.Join(", ", _stateNames)}.", nameof(name));
        return _state[i];
    }

    /// <inheritdoc />
    public override void ResetOwnState(long batch)
    {
        _batch = batch;
        Array.Clear(_state);
    }

    /// <inheritdoc />
    public override void DetachOwnState()
    {
        for (int i = 0; i < _state.Length; i++)
            if (_state[i] is { } s && !s.IsInvalid) _state[i] = s.detach();
    }

    /// <inheritdoc />
    public override Tensor Step(Tensor input)
    {
        Checks.RequireFinite(input, GetType().Name);
        return Advance(input, Coefficients());
    }

    /// <inheritdoc />
    public override Tensor Sequence(Tensor input)
    {
        RequireSequence(input);
        Checks.RequireFinite(input, GetType().Name);
        var coefficients = Coefficients();
        var steps = input.unbind(0);
        var outputs = new Tensor[steps.Length];
        for (int t = 0; t < steps.Length; t++) outputs[t] = Advance(steps[t], coefficients);
        return stack(outputs);
    }

    /// <summary>Per-sequence constants (decays, thresholds) computed once, before the time loop.</summary>
    protected abstract Tensor[] Coefficients();

    /// <summary>One step: reads the state with <see cref="Get"/>, writes it with <see cref="Set"/>, returns the output.</summary>
    protected abstract Tensor Advance(Tensor input, Tensor[] coefficients);

    /// <summary>The initial value of state slot <paramref name="slot"/> for a batch, shaped and typed like <paramref name="like"/>.</summary>
    protected abstract Tensor InitialState(int slot, Tensor like);

    /// <summary>The state in slot <paramref name="slot"/>, created on the first step of a batch after checking <paramref name="input"/>'s shape.</summary>
    protected Tensor Get(int slot, Tensor input)
    {
        CheckInputShape(input);
        if (_state[slot] is { } s)
        {
            if (s.IsInvalid)
                throw new InvalidOperationException(
                    $"{GetType().Name}: its state was disposed (it was made inside a dispose scope that has ended). Call ResetState(batch) at the start of each batch, inside the scope.");
            if (s.shape[0] != input.shape[0])
                throw new InvalidOperationException(
                    $"{GetType().Name}: the batch changed from {s.shape[0]} to {input.shape[0]} without ResetState(batch); call ResetState({input.shape[0]}) first.");
            return s;
        }
        if (_batch >= 0 && input.shape[0] != _batch)
            throw new InvalidOperationException(
                $"{GetType().Name}: ResetState({_batch}) was called but the input has batch {input.shape[0]}; call ResetState({input.shape[0]}).");
        for (int i = 0; i < _state.Length; i++) _state[i] ??= InitialState(i, input);
        return _state[slot]!;
    }

    /// <summary>Stores the new state in slot <paramref name="slot"/>.</summary>
    protected void Set(int slot, Tensor value) => _state[slot] = value;

    /// <summary>Throws unless <paramref name="input"/> is [batch, ...Shape].</summary>
    protected void CheckInputShape(Tensor input)
    {
        if (input.dim() != Shape.Count + 1 || !input.shape.Skip(1).SequenceEqual(Shape))
            throw new ArgumentException(
                $"{GetType().Name}({TensorText.Shape(Shape)}) expects one step shaped [batch, {string.Join(", ", Shape)}] " +
                $"(or [T, batch, {string.Join(", ", Shape)}] as a sequence), got {input.ShapeText()}.", nameof(input));
    }

    /// <summary>
    /// Runs a non-spiking leaky integrator on state slot 0 over a whole sequence as one fused operation: the
    /// sequence pass of the exponential synapse and the readout when <see cref="IFusable.Fused"/> is on.
    /// </summary>
    private protected Tensor FusedIntegrate(Tensor input, ScanSpec spec)
    {
        RequireSequence(input);
        var state = Get(0, input[0]);
        var result = FusedScan.Run(input, state, null, spec, null, null, GetType().Name);
        Set(0, result.V[-1]);
        return result.V;
    }

    /// <summary>exp(-dt/tau) as a double.</summary>
    protected double Decay(double tauMs) => Math.Exp(-Dt.Milliseconds / tauMs);
}
