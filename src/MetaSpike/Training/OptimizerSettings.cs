namespace MetaSpike.Training;

/// <summary>The optimisation algorithms <see cref="Optimizers.Create"/> can build (TorchSharp's own implementations).</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay.</summary>
    Sgd,

    /// <summary>Adam (Kingma and Ba 2015); weight decay is an L2 penalty added to the gradient.</summary>
    Adam,

    /// <summary>AdamW (Loshchilov and Hutter 2019); weight decay is decoupled from the gradient.</summary>
    AdamW,
}

/// <summary>
/// Hyperparameters of an optimiser. The defaults are PyTorch's, except that every kind starts with no weight
/// decay (PyTorch's AdamW uses 0.01). <see cref="Momentum"/> and <see cref="Nesterov"/> apply to SGD only;
/// <see cref="Beta1"/>, <see cref="Beta2"/> and <see cref="Eps"/> to Adam and AdamW only.
/// </summary>
public sealed record OptimizerSettings
{
    /// <summary>The algorithm (default Adam).</summary>
    public OptimizerKind Kind { get; init; } = OptimizerKind.Adam;

    /// <summary>The initial learning rate; finite and &gt; 0 (default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>SGD momentum factor; finite and in [0, 1) (default 0, plain SGD).</summary>
    public double Momentum { get; init; }

    /// <summary>Weight decay; finite and &gt;= 0 (default 0).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Adam's decay rate of the first moment; in [0, 1) (default 0.9).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam's decay rate of the second moment; in [0, 1) (default 0.999).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adam's denominator term; finite and &gt; 0 (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>Use Nesterov momentum (SGD only; needs <see cref="Momentum"/> &gt; 0).</summary>
    public bool Nesterov { get; init; }

    /// <summary>
    /// Adam only: build a <see cref="FusedAdam"/>, which updates each CPU parameter in one vectorised pass (same
    /// results and saved state as TorchSharp's Adam; default false).
    /// </summary>
    public bool Fused { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind))
            throw new ArgumentException($"OptimizerSettings.Kind {(int)Kind} is not an optimizer kind.", nameof(Kind));
        if (!double.IsFinite(LearningRate) || LearningRate <= 0)
            throw Invalid(nameof(LearningRate), LearningRate, "finite and > 0");
        if (!double.IsFinite(WeightDecay) || WeightDecay < 0)
            throw Invalid(nameof(WeightDecay), WeightDecay, "finite and >= 0");
        if (!(Momentum >= 0 && Momentum < 1))
            throw Invalid(nameof(Momentum), Momentum, "in [0, 1)");
        if (!(Beta1 >= 0 && Beta1 < 1))
            throw Invalid(nameof(Beta1), Beta1, "in [0, 1)");
        if (!(Beta2 >= 0 && Beta2 < 1))
            throw Invalid(nameof(Beta2), Beta2, "in [0, 1)");
        if (!double.IsFinite(Eps) || Eps <= 0)
            throw Invalid(nameof(Eps), Eps, "finite and > 0");
        if (Fused && Kind != OptimizerKind.Adam)
            throw new ArgumentException($"OptimizerSettings.Fused applies to Adam only, not {Kind}.", nameof(Fused));
        if (Kind == OptimizerKind.Sgd)
        {
            if (Nesterov && Momentum == 0)
                throw new ArgumentException("OptimizerSettings.Nesterov needs Momentum > 0.", nameof(Nesterov));
        }
        else if (Momentum != 0 || Nesterov)
        {
            // Silently ignoring them would hide a configuration mistake; Adam's counterpart of momentum is Beta1.
            var name = Momentum != 0 ? nameof(Momentum) : nameof(Nesterov);
            throw new ArgumentException($"OptimizerSettings.{name} applies to SGD only; {Kind} uses Beta1 and Beta2.", name);
        }
    }

    private static ArgumentException Invalid(string name, double value, string allowed) =>
        new($"OptimizerSettings.{name} must be {allowed}, got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}.", name);
}
