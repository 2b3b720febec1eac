using MetaSpike.Runtime;
using MetaSpike.Units;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Modules;

/// <summary>
/// Base of every MetaSpike layer, neuron and container: a <c>Module&lt;Tensor, Tensor&gt;</c> whose
/// <c>forward</c> takes one time step [batch, ...] or a whole sequence [T, batch, ...] depending on
/// <see cref="StepMode"/>. <see cref="Step"/> and <see cref="Sequence"/> can also be called directly.
/// </summary>
/// <remarks>
/// Parameters are read through <see cref="Param"/>, so <see cref="FunctionalCall"/> can run the module with other
/// tensors in their place (and differentiate through them). State (neurons, dropout masks) lives per batch:
/// <see cref="ResetOwnState"/> starts a new batch, <see cref="DetachOwnState"/> cuts the gradient graph.
/// </remarks>
public abstract class SpikingModule : nn.Module<Tensor, Tensor>, IParameterOverridable
{
    private IReadOnlyDictionary<string, Tensor>? _overrides;
    private Time _dt = 1.0;

    /// <summary>Creates the module.</summary>
    protected SpikingModule(string name) : base(name)
    {
        TorchRuntime.EnsureLoaded();
    }

    /// <summary>How <c>forward</c> reads its input (default <see cref="StepMode.Multi"/>). Set it for a whole network with <see cref="SnnExtensions.SetStepMode"/>.</summary>
    public StepMode StepMode { get; set; } = StepMode.Multi;

    /// <summary>The simulation time step (default 1 ms). Set it once for a whole network with <see cref="SnnExtensions.SetDt"/>.</summary>
    public Time Dt
    {
        get => _dt;
        set
        {
            _dt = value.RequirePositive("dt");
            OnDtChanged();
        }
    }

    /// <summary>Runs one step ([batch, ...]) or a sequence ([T, batch, ...]) according to <see cref="StepMode"/>.</summary>
    public override Tensor forward(Tensor input) =>
        StepMode == StepMode.Single ? Step(input) : Sequence(input);

    /// <summary>Advances the module by one time step. Input [batch, ...].</summary>
    public abstract Tensor Step(Tensor input);

    /// <summary>Runs the module over a whole sequence [T, batch, ...] and returns [T, batch, ...]. The default loops <see cref="Step"/> over time.</summary>
    public virtual Tensor Sequence(Tensor input)
    {
        RequireSequence(input);
        var steps = input.unbind(0);
        var outputs = new Tensor[steps.Length];
        for (int t = 0; t < steps.Length; t++) outputs[t] = Step(steps[t]);
        return stack(outputs);
    }

    /// <summary>Starts a new batch of <paramref name="batch"/> samples: the module's own state (not its children's) goes back to its initial value.</summary>
    public virtual void ResetOwnState(long batch)
    {
    }

    /// <summary>Cuts the gradient graph of the module's own state, keeping its values (burn-in, truncated BPTT).</summary>
    public virtual void DetachOwnState()
    {
    }

    /// <summary>Called after <see cref="Dt"/> changes, for modules that precompute decays.</summary>
    protected virtual void OnDtChanged()
    {
    }

    /// <summary>The module's own parameter <paramref name="name"/>, or the tensor given for it by <see cref="FunctionalCall"/>.</summary>
    protected Tensor Param(string name) =>
        _overrides is not null && _overrides.TryGetValue(name, out var given) ? given
            : get_parameter(name) ?? throw new InvalidOperationException($"{GetType().Name} has no parameter '{name}'.");

    /// <summary>Throws unless <paramref name="input"/> is a sequence [T, batch, ...] with T &gt;= 1.</summary>
    protected void RequireSequence(Tensor input)
    {
        if (input.dim() < 2 || input.shape[0] < 1)
            throw new ArgumentException(
                $"{GetType().Name}: a sequence must be shaped [T, batch, ...] with T >= 1, got {input.ShapeText()}. " +
                "For one time step use Step or StepMode.Single.", nameof(input));
    }

    void IParameterOverridable.SetParameterOverrides(IReadOnlyDictionary<string, Tensor>? overrides) => _overrides = overrides;
}
