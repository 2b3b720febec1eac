using MetaSpike.Layers.Fused;
using MetaSpike.Neurons;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Layers;

/// <summary>Fully connected layer y = x W^T + b over the last dimension (weight [out, in], bias [out]).</summary>
public sealed class Linear : FeedForwardLayer, IFusable
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inFeatures">Input size.</param>
    /// <param name="outFeatures">Output size.</param>
    /// <param name="bias">Whether to add a bias.</param>
    /// <param name="weightInit">Weight initialiser (default <see cref="Init.LeCunUniform"/>, PyTorch's default).</param>
    /// <param name="biasInit">Bias initialiser (default <see cref="Init.LeCunUniform"/>).</param>
    public Linear(long inFeatures, long outFeatures, bool bias = true, Init? weightInit = null, Init? biasInit = null)
        : base(nameof(Linear))
    {
        if (inFeatures < 1 || outFeatures < 1)
            throw new ArgumentException($"Linear needs inFeatures >= 1 and outFeatures >= 1, got {inFeatures} and {outFeatures}.");
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        using (no_grad())
        {
            register_parameter("weight", new Parameter((weightInit ?? Init.LeCunUniform).Create([outFeatures, inFeatures], inFeatures, outFeatures)));
            if (bias) register_parameter("bias", new Parameter((biasInit ?? Init.LeCunUniform).Create([outFeatures], inFeatures, outFeatures)));
        }
        HasBias = bias;
    }

    /// <summary>Input size.</summary>
    public long InFeatures { get; }

    /// <summary>Output size.</summary>
    public long OutFeatures { get; }

    /// <summary>Whether the layer adds a bias.</summary>
    public bool HasBias { get; }

    /// <inheritdoc />
    protected override Tensor Apply(Tensor input)
    {
        // libtorch aborts the process on a matmul shape mismatch, so check here.
        if (input.dim() < 1 || input.shape[^1] != InFeatures)
            throw new ArgumentException($"Linear({InFeatures}, {OutFeatures}) expects input [..., {InFeatures}], got {ShapeOf(input)}.", nameof(input));
        return nn.functional.linear(input, Param("weight"), HasBias ? Param("bias") : null);
    }

    /// <summary>
    /// Whether <c>Sequence</c> skips the input's zeros (default false): an event-driven product for inputs that carry no
    /// gradient (data: spike or event frames) and are at most 10 % nonzero, costing nonzeros x OutFeatures instead of
    /// samples x InFeatures x OutFeatures; a layer of at most 8 outputs (a readout) takes one streaming pass per
    /// product instead of BLAS, whose skinny products are slow; other inputs take the dense product. Same values (up to
    /// summation order) and gradients of any order.
    /// </summary>
    public bool Fused { get; set; }

    /// <summary>Always null: inputs the event-driven product cannot take fall back to the dense one.</summary>
    public string? FusedUnsupportedReason => null;

    /// <inheritdoc />
    public override Tensor Sequence(Tensor input)
    {
        if (!Fused) return base.Sequence(input);
        RequireSequence(input);
        var (steps, batch) = (input.shape[0], input.shape[1]);
        var flat = input.flatten(0, 1);
        var (weight, bias) = (Param("weight"), HasBias ? Param("bias") : null);
        if (flat.dim() != 2 || flat.shape[1] != InFeatures
            || (SparseInputMatmul.TryLinear(flat, weight, bias) ?? NarrowProduct.TryLinear(flat, weight, bias)) is not { } product)
            return base.Sequence(input);
        return product.unflatten(0, [steps, batch]);
    }

    /// <inheritdoc />
    public override string ToString() => $"Linear({InFeatures}, {OutFeatures}, bias={HasBias})";
}
