using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Losses;

/// <summary>Classification and regression losses; differentiable, in the dtype and on the device of the inputs.</summary>
public static class Loss
{
    /// <summary>
    /// Softmax cross-entropy with integer class labels: -log softmax(logits)[b, labels[b]], computed with
    /// log-softmax so that large logits stay finite. The gradient of the mean with respect to the logits is
    /// (softmax - onehot) / B.
    /// </summary>
    /// <param name="logits">Unnormalised scores [B, C], floating point.</param>
    /// <param name="labels">Class indices [B], an integer dtype, each in [0, C).</param>
    /// <param name="reduction">Mean (default) or Sum over the batch, or None for the per-sample losses [B].</param>
    /// <returns>A scalar, or [B] with <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentException">
    /// Wrong shapes or dtypes, an empty batch, a label out of range, or logits containing NaN or +infinity.
    /// The NaN/+infinity check reads one boolean back from the device per call; it is there because log-softmax
    /// would otherwise turn one bad logit into a NaN loss with no hint where it came from.
    /// </exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, Reduction reduction = Reduction.Mean)
    {
        const string fn = "Loss.CrossEntropy";
        LossChecks.Floating(fn, logits, nameof(logits));
        LossChecks.Integer(fn, labels, nameof(labels));
        if (logits.dim() != 2)
            throw new ArgumentException($"{fn}: logits must be [B, C], got shape {LossChecks.Shape(logits)}.", nameof(logits));
        if (labels.dim() != 1 || labels.shape[0] != logits.shape[0])
            throw new ArgumentException(
                $"{fn}: labels must be [B] with B = {logits.shape[0]} (logits {LossChecks.Shape(logits)}), got shape {LossChecks.Shape(labels)}.",
                nameof(labels));
        LossChecks.NotEmpty(fn, logits, nameof(logits));
        LossChecks.SameDevice(fn, logits, nameof(logits), labels, nameof(labels));
        LossChecks.LabelsInRange(fn, labels, logits.shape[1], nameof(labels));
        if (logits.isnan().logical_or(logits.isposinf()).any().item<bool>())
            throw new ArgumentException($"{fn}: logits contain NaN or +infinity.", nameof(logits));

        var index = labels.to_type(ScalarType.Int64).unsqueeze(1);
        var perSample = -logits.log_softmax(1).gather(1, index).squeeze(1);
        return LossChecks.Reduce(perSample, reduction);
    }

    /// <summary>Mean squared error: (prediction - target)^2, reduced as asked.</summary>
    /// <param name="prediction">Any shape, floating point.</param>
    /// <param name="target">The same shape, floating point; cast to the prediction's dtype if it differs.</param>
    /// <param name="reduction">Mean (default) or Sum over all elements, or None for the element-wise squares.</param>
    /// <exception cref="ArgumentException">Different shapes (no broadcasting), non-floating or empty inputs.</exception>
    public static Tensor Mse(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string fn = "Loss.Mse";
        LossChecks.Floating(fn, prediction, nameof(prediction));
        LossChecks.Floating(fn, target, nameof(target));
        LossChecks.SameShape(fn, prediction, nameof(prediction), target, nameof(target));
        LossChecks.NotEmpty(fn, prediction, nameof(prediction));
        LossChecks.SameDevice(fn, prediction, nameof(prediction), target, nameof(target));
        return LossChecks.Reduce((prediction - TensorText.CastLike(target, prediction)).square(), reduction);
    }
}
