using MetaSpike.Runtime;
using TorchSharp;
using TorchSharp.Modules;

namespace MetaSpike.Training;

/// <summary>Builds TorchSharp optimisers from <see cref="OptimizerSettings"/>.</summary>
public static class Optimizers
{
    /// <summary>
    /// Creates a TorchSharp <c>torch.optim.SGD</c>, <c>Adam</c> or <c>AdamW</c> (or, with <c>Fused</c>, a
    /// <see cref="FusedAdam"/>) over <paramref name="parameters"/>.
    /// The result is an <see cref="OptimizerHelper"/> (TorchSharp's base of managed optimisers), which
    /// <see cref="Checkpoint"/> can save and restore.
    /// </summary>
    /// <param name="parameters">The parameters to optimise, e.g. <c>model.parameters()</c>; at least one.</param>
    /// <param name="settings">The hyperparameters; validated first.</param>
    /// <exception cref="ArgumentException">A setting is out of range, or there are no parameters.</exception>
    public static OptimizerHelper Create(IEnumerable<Parameter> parameters, OptimizerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var list = parameters.ToList();
        if (list.Count == 0) throw new ArgumentException("the optimizer needs at least one parameter.", nameof(parameters));
        if (list.Any(p => p is null || p.IsInvalid)) throw new ArgumentException("a parameter is null or disposed.", nameof(parameters));
        TorchRuntime.EnsureLoaded();
        return settings.Kind switch
        {
            OptimizerKind.Sgd => torch.optim.SGD(list, settings.LearningRate, momentum: settings.Momentum,
                weight_decay: settings.WeightDecay, nesterov: settings.Nesterov),
            OptimizerKind.Adam when settings.Fused => new FusedAdam(list, settings.LearningRate, settings.Beta1, settings.Beta2,
                settings.Eps, settings.WeightDecay),
            OptimizerKind.Adam => torch.optim.Adam(list, settings.LearningRate, settings.Beta1, settings.Beta2,
                settings.Eps, settings.WeightDecay),
            OptimizerKind.AdamW => torch.optim.AdamW(list, settings.LearningRate, settings.Beta1, settings.Beta2,
                settings.Eps, settings.WeightDecay),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Kind, "unknown optimizer kind."),
        };
    }
}
