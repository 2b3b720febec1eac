using static TorchSharp.torch;

namespace MetaSpike.Modules;

/// <summary>
/// A module that reads its own parameters through a lookup that can be redirected to other tensors, which is
/// what <see cref="FunctionalCall"/> needs to run a module with given parameters (MAML's adapted weights).
/// </summary>
internal interface IParameterOverridable
{
    /// <summary>Replaces the module's own parameters by name (local names, no dots); null restores them.</summary>
    void SetParameterOverrides(IReadOnlyDictionary<string, Tensor>? overrides);
}
