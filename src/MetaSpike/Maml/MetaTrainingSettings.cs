namespace MetaSpike.Maml;

/// <summary>Which meta-learning algorithm the outer loop runs.</summary>
public enum MetaAlgorithm
{
    /// <summary>Second-order MAML: the outer gradient flows through the inner gradients (Finn et al. 2017).</summary>
    Maml,

    /// <summary>First-order MAML: the inner gradients are constants, so ∇θ_0 L_query(θ_n) ≈ ∇θ_n L_query(θ_n).</summary>
    FirstOrderMaml,

    /// <summary>Reptile (Nichol et al. 2018): the outer gradient is θ_0 - θ_n, no query loss gradient.</summary>
    Reptile,
}

/// <summary>The optimiser of the meta-parameters.</summary>
public enum OuterOptimizer
{
    /// <summary>Adam (the paper).</summary>
    Adam,

    /// <summary>Plain SGD without momentum.</summary>
    Sgd,
}

/// <summary>The outer loop: algorithm, meta-batch and the outer Adam with cosine annealing.</summary>
public sealed record MetaTrainingSettings
{
    /// <summary>MAML (default), first-order MAML or Reptile.</summary>
    public MetaAlgorithm Algorithm { get; init; } = MetaAlgorithm.Maml;

    /// <summary>The inner loop.</summary>
    public InnerLoopSettings Inner { get; init; } = new();

    /// <summary>Tasks per meta-update; their outer gradients are averaged (the paper: 1).</summary>
    public int MetaBatch { get; init; } = 1;

    /// <summary>The outer optimiser: Adam (the paper) or plain SGD (e.g. classic Reptile with a meta step size).</summary>
    public OuterOptimizer OuterOptimizer { get; init; } = OuterOptimizer.Adam;

    /// <summary>
    /// Whether the outer Adam is a <see cref="Training.FusedAdam"/> (one vectorised pass per CPU parameter; the same
    /// steps as TorchSharp's Adam up to rounding). Adam only; default false.
    /// </summary>
    public bool FusedOuterAdam { get; init; }

    /// <summary>The outer optimiser's starting learning rate (the paper: Adam, 0.002).</summary>
    public double OuterLearningRate { get; init; } = 0.002;

    /// <summary>Cosine annealing ends at OuterLearningRate × this (the paper: 1/50).</summary>
    public double FinalLearningRateFactor { get; init; } = 1.0 / 50;

    /// <summary>Meta-iterations the cosine schedule spans.</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>Quantisation of the meta-parameters' weights as the inner loop starts (q_out of their Table 6), or null.</summary>
    public WeightQuantizer? OuterQuantizer { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Algorithm)) throw new ArgumentException($"unknown meta-algorithm {Algorithm}.");
        ArgumentNullException.ThrowIfNull(Inner);
        Inner.Validate();
        if (!Enum.IsDefined(OuterOptimizer)) throw new ArgumentException($"unknown outer optimiser {OuterOptimizer}.");
        if (FusedOuterAdam && OuterOptimizer != OuterOptimizer.Adam) throw new ArgumentException($"FusedOuterAdam applies to the Adam outer optimiser, not {OuterOptimizer}.");
        if (MetaBatch < 1) throw new ArgumentException($"the meta-batch must hold at least 1 task, got {MetaBatch}.");
        if (!double.IsFinite(OuterLearningRate) || OuterLearningRate <= 0) throw new ArgumentException($"the outer learning rate must be finite and > 0, got {OuterLearningRate}.");
        if (!double.IsFinite(FinalLearningRateFactor) || FinalLearningRateFactor <= 0 || FinalLearningRateFactor > 1)
            throw new ArgumentException($"the final learning-rate factor must be in (0, 1], got {FinalLearningRateFactor}.");
        if (Iterations < 1) throw new ArgumentException($"meta-iterations must be at least 1, got {Iterations}.");
        if (Algorithm == MetaAlgorithm.Reptile && Inner.Steps < 1) throw new ArgumentException("Reptile needs at least one inner step.");
    }
}
