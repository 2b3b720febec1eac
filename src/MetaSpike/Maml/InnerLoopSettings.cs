namespace MetaSpike.Maml;

/// <summary>The inner loop (task adaptation): n SGD steps on the support set, and the paper's variants of it.</summary>
public sealed record InnerLoopSettings
{
    /// <summary>SGD steps on the support set during meta-training (the paper: 1).</summary>
    public int Steps { get; init; } = 1;

    /// <summary>The SGD step size, or the starting value of learnt step sizes (the paper: 1.0).</summary>
    public double LearningRate { get; init; } = 1.0;

    /// <summary>Fixed step size, one learnt per parameter tensor, or one learnt per element (Meta-SGD).</summary>
    public InnerRateKind RateKind { get; init; } = InnerRateKind.Fixed;

    /// <summary>
    /// Weight layers, counted from the input, that the inner loop leaves unchanged (their Fig. 4): 0 adapts all,
    /// <c>LayerCount - 1</c> adapts only the head. The outer loop still learns them.
    /// </summary>
    public int FrozenLayers { get; init; }

    /// <summary>
    /// Thresholded updates (their Eq. 6): an element's update is applied only where its magnitude exceeds this
    /// fraction of the range (max - min) of the tensor's update magnitudes (the paper: 0.05). Null: every update.
    /// </summary>
    public double? UpdateThreshold { get; init; }

    /// <summary>Quantisation of the weights after each inner update (q_in of their Table 6), or null.</summary>
    public WeightQuantizer? Quantizer { get; init; }

    /// <summary>Error-triggered plasticity (SOEL) for the head, with the body frozen in the inner loop; null: SGD.</summary>
    public SoelSettings? Soel { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Steps < 0) throw new ArgumentException($"inner steps must be >= 0, got {Steps}.");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0) throw new ArgumentException($"the inner learning rate must be finite and > 0, got {LearningRate}.");
        if (!Enum.IsDefined(RateKind)) throw new ArgumentException($"unknown inner rate kind {RateKind}.");
        if (FrozenLayers < 0) throw new ArgumentException($"frozen layers must be >= 0, got {FrozenLayers}.");
        if (UpdateThreshold is { } t && (!double.IsFinite(t) || t < 0 || t >= 1))
            throw new ArgumentException($"the update threshold is a fraction of the update range in [0, 1), got {t}.");
        if (Soel is { } s && (!double.IsFinite(s.Threshold) || s.Threshold <= 0))
            throw new ArgumentException($"the SOEL threshold must be finite and > 0, got {s.Threshold}.");
    }
}

/// <summary>Error-triggered plasticity settings.</summary>
/// <param name="Threshold">θ's starting value (the paper: 0.05).</param>
/// <param name="Learn">Meta-learn θ.</param>
public sealed record SoelSettings(double Threshold = 0.05, bool Learn = true);
