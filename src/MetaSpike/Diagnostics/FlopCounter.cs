using MetaSpike.Layers;
using MetaSpike.Neurons;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Diagnostics;

/// <summary>One layer's share of <see cref="FlopCounter.Count"/>.</summary>
/// <param name="Layer">The layer (its <c>ToString</c>).</param>
/// <param name="OutputShape">Its output shape for one sample and one time step.</param>
/// <param name="Flops">Its floating-point operations for one sample and step (0 for layers that are not counted).</param>
public sealed record LayerFlops(string Layer, IReadOnlyList<long> OutputShape, long Flops);

/// <summary>
/// Counts the arithmetic of the convolutions and linear layers of a feed-forward stack for one sample and one time
/// step, a multiply-add counted as 2 FLOPs (the convention of spec/workloads.md): a convolution costs
/// 2 · C_in · k² · C_out · H_out · W_out, a linear layer 2 · in · out (biases, pooling and neurons are not counted).
/// The shapes are followed through the stack, so a mismatch is reported where it occurs.
/// </summary>
public static class FlopCounter
{
    /// <summary>
    /// The per-layer counts of <paramref name="layers"/> (nested <see cref="Sequential"/>s are walked) for one sample
    /// of shape <paramref name="sampleShape"/> (without batch and time, e.g. [2, 32, 16] or [100]).
    /// </summary>
    /// <exception cref="ArgumentException">A layer's input does not fit the shape reaching it, or a layer is neither
    /// counted, shape-preserving (neurons, ReLU, dropout) nor a known reshaping layer (pooling, flatten).</exception>
    public static IReadOnlyList<LayerFlops> Count(IEnumerable<nn.Module<Tensor, Tensor>> layers, IReadOnlyList<long> sampleShape)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Count == 0 || sampleShape.Any(d => d < 1))
            throw new ArgumentException($"FlopCounter: the sample shape must have positive sizes, got [{string.Join(", ", sampleShape)}].", nameof(sampleShape));
        var result = new List<LayerFlops>();
        var shape = sampleShape.ToArray();
        foreach (var layer in Flattened(layers))
        {
            long flops;
            (shape, flops) = Through(layer, shape);
            result.Add(new LayerFlops(layer.ToString() ?? layer.GetType().Name, shape, flops));
        }
        return result;
    }

    /// <summary>The total of <see cref="Count"/>: FLOPs per sample and time step.</summary>
    /// <exception cref="ArgumentException">As <see cref="Count"/>.</exception>
    public static long Total(IEnumerable<nn.Module<Tensor, Tensor>> layers, IReadOnlyList<long> sampleShape) =>
        Count(layers, sampleShape).Sum(l => l.Flops);

    private static IEnumerable<nn.Module<Tensor, Tensor>> Flattened(IEnumerable<nn.Module<Tensor, Tensor>> layers) =>
        layers.SelectMany(l => l is Sequential s ? Flattened(s.Layers) : [l]);

    private static (long[] Shape, long Flops) Through(nn.Module<Tensor, Tensor> layer, long[] shape)
    {
        string Shape() => $"[{string.Join(", ", shape)}]";
        switch (layer)
        {
            case Conv2d conv:
                if (shape.Length != 3 || shape[0] != conv.InChannels)
                    throw new ArgumentException($"FlopCounter: {conv} needs a [{conv.InChannels}, H, W] sample, got {Shape()}.");
                long h = conv.OutputSize(shape[1]), w = conv.OutputSize(shape[2]);
                if (h < 1 || w < 1) throw new ArgumentException($"FlopCounter: {conv} leaves no output on a {Shape()} sample.");
                return ([conv.OutChannels, h, w], 2 * conv.InChannels * conv.KernelSize * conv.KernelSize * conv.OutChannels * h * w);
            case Linear linear:
                if (shape[^1] != linear.InFeatures)
                    throw new ArgumentException($"FlopCounter: {linear} needs {linear.InFeatures} features in the last dimension, got {Shape()}.");
                long rows = shape[..^1].Aggregate(1L, (a, b) => a * b);
                return ([.. shape[..^1], linear.OutFeatures], 2 * rows * linear.InFeatures * linear.OutFeatures);
            case Pool2d pool:
                if (shape.Length != 3 || shape[1] < pool.KernelSize || shape[2] < pool.KernelSize)
                    throw new ArgumentException($"FlopCounter: {pool} needs a [C, H, W] sample with H, W >= {pool.KernelSize}, got {Shape()}.");
                return ([shape[0], (shape[1] - pool.KernelSize) / pool.Stride + 1, (shape[2] - pool.KernelSize) / pool.Stride + 1], 0);
            case Flatten:
                return ([shape.Aggregate(1L, (a, b) => a * b)], 0);
            case NeuronLayer or Relu or Dropout:
                return (shape, 0);
            default:
                throw new ArgumentException($"FlopCounter: {layer.GetType().Name} is not a layer it knows (convolution, linear, pooling, flatten, neuron, ReLU, dropout).");
        }
    }
}
