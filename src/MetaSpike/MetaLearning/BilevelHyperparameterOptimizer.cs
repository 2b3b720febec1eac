using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.MetaLearning;

/// <summary>What one hypergradient computation measured and produced.</summary>
/// <param name="Gradients">d L_val(w_K(alpha), alpha) / d theta for each tensor differentiated against (detached).</param>
/// <param name="ValidationLoss">L_val at the adapted weights w_K.</param>
/// <param name="TrainingLosses">L_train at w_0 .. w_{K-1}, the losses of the K unrolled steps.</param>
/// <param name="AdaptedWeights">w_K, detached: the weights after the K unrolled steps.</param>
public sealed record HypergradientResult(IReadOnlyList<Tensor> Gradients, double ValidationLoss,
    IReadOnlyList<double> TrainingLosses, IReadOnlyList<Tensor> AdaptedWeights);

/// <summary>
/// Bi-level (true) meta-learning of hyperparameters such as a surrogate's alpha. The inner problem trains the
/// weights by K steps of gradient descent, kept differentiable:
/// <code>
/// w_{k+1} = w_k - lr * dL_train(w_k, alpha) / dw_k          (k = 0 .. K-1, graph kept: create_graph)
/// </code>
/// and the outer objective is the validation loss at the adapted weights, L_val(w_K, alpha). Its hypergradient
/// d L_val / d alpha runs back through the whole unroll, so it needs the second derivatives of the training
/// loss, including the mixed weight-alpha ones (for a surrogate spike: dG/dx and dG/dalpha, both exact in
/// MetaSpike). With K = 0 it is the direct gradient of L_val(w_0, alpha).
/// </summary>
/// <remarks>
/// The losses are functions of a weight list and the hyperparameter tensor; run a module with given weights
/// through <see cref="Modules.FunctionalCall.Use"/>. For a spiking network the hypergradient is the surrogate
/// one: wherever a spike's value is differentiated the surrogate G stands in for the Heaviside step's zero
/// derivative, just as in the weights' own gradient.
/// </remarks>
public sealed class BilevelHyperparameterOptimizer
{
    private readonly Func<IReadOnlyList<Tensor>, Tensor, int, Tensor> _trainingLoss;
    private readonly Func<IReadOnlyList<Tensor>, Tensor, Tensor> _validationLoss;

    /// <summary>Creates the optimiser with one training loss for every unrolled step.</summary>
    /// <param name="trainingLoss">L_train(weights, alpha), a scalar.</param>
    /// <param name="validationLoss">L_val(weights, alpha), a scalar.</param>
    /// <param name="unrollSteps">K, the number of differentiable inner steps (0 or more).</param>
    /// <param name="innerLearningRate">The inner gradient-descent step size (positive).</param>
    /// <exception cref="ArgumentException">K is negative or the step size is not positive and finite.</exception>
    public BilevelHyperparameterOptimizer(Func<IReadOnlyList<Tensor>, Tensor, Tensor> trainingLoss,
        Func<IReadOnlyList<Tensor>, Tensor, Tensor> validationLoss, int unrollSteps, double innerLearningRate)
        : this(EveryStep(trainingLoss), validationLoss, unrollSteps, innerLearningRate)
    {
    }

    /// <summary>Creates the optimiser with a training loss that may differ per unrolled step (e.g. one mini-batch each).</summary>
    /// <param name="trainingLoss">L_train(weights, alpha, k) for inner step k = 0 .. K-1, a scalar.</param>
    /// <param name="validationLoss">L_val(weights, alpha), a scalar.</param>
    /// <param name="unrollSteps">K, the number of differentiable inner steps (0 or more).</param>
    /// <param name="innerLearningRate">The inner gradient-descent step size (positive).</param>
    /// <exception cref="ArgumentException">K is negative or the step size is not positive and finite.</exception>
    public BilevelHyperparameterOptimizer(Func<IReadOnlyList<Tensor>, Tensor, int, Tensor> trainingLoss,
        Func<IReadOnlyList<Tensor>, Tensor, Tensor> validationLoss, int unrollSteps, double innerLearningRate)
    {
        ArgumentNullException.ThrowIfNull(trainingLoss);
        ArgumentNullException.ThrowIfNull(validationLoss);
        if (unrollSteps < 0) throw new ArgumentException($"the number of unrolled steps K must be >= 0, got {unrollSteps}.", nameof(unrollSteps));
        if (!double.IsFinite(innerLearningRate) || innerLearningRate <= 0)
            throw new ArgumentException($"the inner learning rate must be positive and finite, got {innerLearningRate}.", nameof(innerLearningRate));
        (_trainingLoss, _validationLoss, UnrollSteps, InnerLearningRate) = (trainingLoss, validationLoss, unrollSteps, innerLearningRate);
    }

    /// <summary>K, the number of differentiable inner steps.</summary>
    public int UnrollSteps { get; }

    /// <summary>The inner gradient-descent step size.</summary>
    public double InnerLearningRate { get; }

    /// <summary>
    /// Unrolls K inner steps from <paramref name="weights"/> and differentiates the validation loss at w_K with
    /// respect to <paramref name="withRespectTo"/> (default: <paramref name="alpha"/> itself).
    /// </summary>
    /// <param name="weights">w_0. Tensors that do not require grad are used through a detached alias; ones that do are kept in the graph.</param>
    /// <param name="alpha">The hyperparameter tensor handed to both losses; must require grad.</param>
    /// <param name="withRespectTo">Tensors alpha depends on (e.g. <see cref="PositiveParameter.Raw"/>); each must require grad.</param>
    /// <returns>The hypergradients, losses and adapted weights, all detached and owned by the caller's dispose scope.</returns>
    /// <exception cref="ArgumentException">No weights, alpha does not require grad, or a loss is not a floating-point scalar.</exception>
    /// <exception cref="InvalidOperationException">A loss is NaN or infinite (the unroll diverged).</exception>
    public HypergradientResult Compute(IReadOnlyList<Tensor> weights, Tensor alpha, IReadOnlyList<Tensor>? withRespectTo = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(alpha);
        if (weights.Count == 0) throw new ArgumentException("at least one weight tensor is required.", nameof(weights));
        if (!alpha.requires_grad)
            throw new ArgumentException("alpha must require grad (create it with requires_grad_(), or pass PositiveParameter.Value()).", nameof(alpha));
        var targets = withRespectTo ?? [alpha];

        using var scope = NewDisposeScope();
        IReadOnlyList<Tensor> w = weights.Select(t => t.requires_grad ? t : t.detach().requires_grad_()).ToArray();
        var trainingLosses = new double[UnrollSteps];
        for (int k = 0; k < UnrollSteps; k++)
        {
            var loss = CheckScalar(_trainingLoss(w, alpha, k), $"the training loss at inner step {k}");
            trainingLosses[k] = loss.ToDouble();
            if (!double.IsFinite(trainingLosses[k]))
                throw new InvalidOperationException($"the training loss is {trainingLosses[k]} at inner step {k}; lower the inner learning rate.");
            var grads = Autograd.Grad([loss], w, createGraph: true);
            w = w.Zip(grads, (wk, g) => wk - InnerLearningRate * g).ToArray();
        }
        var validation = CheckScalar(_validationLoss(w, alpha), "the validation loss");
        double validationLoss = validation.ToDouble();
        if (!double.IsFinite(validationLoss))
            throw new InvalidOperationException($"the validation loss is {validationLoss} after {UnrollSteps} inner steps; lower the inner learning rate.");
        var hyper = Autograd.Grad([validation], targets);
        return new HypergradientResult(
            hyper.Select(g => g.detach().MoveToOuterDisposeScope()).ToArray(),
            validationLoss, trainingLosses,
            w.Select(t => t.detach().MoveToOuterDisposeScope()).ToArray());
    }

    /// <summary>
    /// One outer step: the hypergradient with respect to <paramref name="alpha"/>'s unconstrained
    /// <see cref="PositiveParameter.Raw"/>, stored as its gradient, then <paramref name="outer"/> steps (e.g. Adam on Raw).
    /// </summary>
    /// <returns>The computation's result; its <see cref="HypergradientResult.Gradients"/> hold d L_val / d raw.</returns>
    public HypergradientResult Step(IReadOnlyList<Tensor> weights, PositiveParameter alpha, optim.Optimizer outer)
    {
        ArgumentNullException.ThrowIfNull(alpha);
        ArgumentNullException.ThrowIfNull(outer);
        using var scope = NewDisposeScope();
        var result = Compute(weights, alpha.Value(), [alpha.Raw]);
        outer.zero_grad();
        // backward leaves the hypergradient in Raw.grad owned by libtorch; a tensor assigned to grad would die with this scope.
        (alpha.Raw * result.Gradients[0]).sum().backward();
        outer.step();
        return new HypergradientResult(result.Gradients.Select(g => g.MoveToOuterDisposeScope()).ToArray(), result.ValidationLoss,
            result.TrainingLosses, result.AdaptedWeights.Select(t => t.MoveToOuterDisposeScope()).ToArray());
    }

    private static Func<IReadOnlyList<Tensor>, Tensor, int, Tensor> EveryStep(Func<IReadOnlyList<Tensor>, Tensor, Tensor> loss)
    {
        ArgumentNullException.ThrowIfNull(loss, "trainingLoss");
        return (w, a, _) => loss(w, a);
    }

    private static Tensor CheckScalar(Tensor loss, string what)
    {
        if (loss is null || loss.IsInvalid) throw new ArgumentException($"{what} is null or disposed.");
        if (loss.numel() != 1) throw new ArgumentException($"{what} must be a scalar, got shape [{string.Join(", ", loss.shape)}].");
        if (!loss.is_floating_point()) throw new ArgumentException($"{what} must be floating-point, got {loss.dtype}.");
        return loss;
    }
}
