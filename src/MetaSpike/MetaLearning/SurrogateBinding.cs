using MetaSpike.Modules;
using MetaSpike.Surrogates;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>
/// Makes surrogates read given hyperparameter tensors (e.g. <c>minimum + softplus(raw)</c>, rebuilt every step) instead
/// of their own until disposed, through the same override <see cref="FunctionalCall"/> uses. Nothing is stored in the
/// modules, so no surrogate is left holding a tensor of a finished step; tensors that require grad are still checked
/// against the family's domain at every call.
/// </summary>
internal sealed class SurrogateBinding : IDisposable
{
    private readonly List<IParameterOverridable> _bound = [];

    /// <summary>Binds <paramref name="values"/> (hyperparameter name → tensor) to <paramref name="surrogate"/>.</summary>
    public SurrogateBinding Add(SurrogateFunction surrogate, IReadOnlyDictionary<string, Tensor> values)
    {
        foreach (var name in values.Keys) surrogate.Hyperparameter(name);
        IParameterOverridable target = surrogate;
        target.SetParameterOverrides(values);
        _bound.Add(target);
        return this;
    }

    /// <summary>Restores every bound surrogate's own hyperparameters.</summary>
    public void Dispose()
    {
        foreach (var target in _bound) target.SetParameterOverrides(null);
        _bound.Clear();
    }
}
