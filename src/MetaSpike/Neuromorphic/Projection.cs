using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// Synapses from a pre-synaptic population (sources or neurons) onto a neuron population, with one receptor type
/// and one unsigned integer weight 0 .. <see cref="MaxWeight"/> per synapse (PyNN's <c>Projection</c> with a
/// <c>StaticSynapse</c>). Weight matrices are [pre, post], 0 where the connector made no synapse. For signed weights
/// pair an excitatory and an inhibitory projection with <see cref="SignedWeights"/>.
/// </summary>
public sealed class Projection
{
    private readonly bool[] _mask;
    private readonly float[] _weights;

    internal Projection(PopulationBase pre, Population post, Connector connector, ReceptorType receptor, int maxWeight, string label)
    {
        (Pre, Post, Connector, Receptor, MaxWeight, Label) = (pre, post, connector, receptor, maxWeight, label);
        _mask = connector.Mask(pre.Size, post.Size);
        _weights = new float[_mask.Length];
        SynapseCount = _mask.Count(m => m);
    }

    /// <summary>The pre-synaptic population.</summary>
    public PopulationBase Pre { get; }

    /// <summary>The post-synaptic population.</summary>
    public Population Post { get; }

    /// <summary>The connector that placed the synapses.</summary>
    public Connector Connector { get; }

    /// <summary>Excitatory or inhibitory.</summary>
    public ReceptorType Receptor { get; }

    /// <summary>The largest weight the substrate allows.</summary>
    public int MaxWeight { get; }

    /// <summary>A name for messages.</summary>
    public string Label { get; }

    /// <summary>Synapses the connector made.</summary>
    public int SynapseCount { get; }

    /// <summary>Whether a synapse connects <paramref name="pre"/> to <paramref name="post"/>.</summary>
    public bool HasSynapse(int pre, int post) => _mask[Index(pre, post)];

    /// <summary>Sets every synapse to <paramref name="weight"/>.</summary>
    /// <exception cref="ArgumentException">Not an integer 0 .. MaxWeight.</exception>
    public void SetWeights(double weight)
    {
        CheckWeight(weight, -1);
        for (int i = 0; i < _weights.Length; i++) _weights[i] = _mask[i] ? (float)weight : 0f;
    }

    /// <summary>Sets the weight matrix [pre, post]; entries without a synapse must be 0.</summary>
    /// <exception cref="ArgumentException">The wrong shape, a weight that is not an integer 0 .. MaxWeight, or a non-zero weight where there is no synapse.</exception>
    public void SetWeights(double[,] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        CheckShape(weights.GetLength(0), weights.GetLength(1));
        var flat = new double[_weights.Length];
        for (int i = 0; i < Pre.Size; i++)
            for (int j = 0; j < Post.Size; j++) flat[i * Post.Size + j] = weights[i, j];
        Write(flat);
    }

    /// <summary>Sets the weight matrix from a tensor [pre, post] (any real dtype); entries without a synapse must be 0.</summary>
    /// <exception cref="ArgumentException">The wrong shape, a weight that is not an integer 0 .. MaxWeight, or a non-zero weight where there is no synapse.</exception>
    public void SetWeights(Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.dim() != 2) throw new ArgumentException($"{Label}: weights must be a [pre, post] matrix, got [{string.Join(", ", weights.shape)}].", nameof(weights));
        CheckShape(weights.shape[0], weights.shape[1]);
        using var values = weights.detach().cpu().to_type(ScalarType.Float64).contiguous();
        Write(values.data<double>().ToArray());
    }

    /// <summary>The weights as a new float32 tensor [pre, post] (0 where there is no synapse); the caller owns it.</summary>
    public Tensor GetWeights() => tensor(_weights).reshape(Pre.Size, Post.Size);

    internal ReadOnlyMemory<float> Weights => _weights;

    private void Write(double[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            CheckWeight(values[i], i);
            if (!_mask[i] && values[i] != 0)
                throw new ArgumentException($"{Label}: weight {values[i]} at ({i / Post.Size}, {i % Post.Size}), where the connector made no synapse (must be 0).");
        }
        for (int i = 0; i < values.Length; i++) _weights[i] = (float)values[i];
    }

    private void CheckWeight(double weight, int index)
    {
        if (weight >= 0 && weight <= MaxWeight && weight == Math.Round(weight)) return;
        string where = index < 0 ? "" : $" at ({index / Post.Size}, {index % Post.Size})";
        throw new ArgumentException($"{Label}: weight {weight}{where} must be an integer 0 .. {MaxWeight} (use SignedWeights to clip and round real-valued weights).");
    }

    private void CheckShape(long rows, long columns)
    {
        if (rows != Pre.Size || columns != Post.Size)
            throw new ArgumentException($"{Label}: weights must be [{Pre.Size}, {Post.Size}] (pre, post), got [{rows}, {columns}].");
    }

    private int Index(int pre, int post)
    {
        if ((uint)pre >= (uint)Pre.Size || (uint)post >= (uint)Post.Size)
            throw new ArgumentOutOfRangeException(nameof(pre), $"({pre}, {post}) lies outside [{Pre.Size}, {Post.Size}].");
        return pre * Post.Size + post;
    }
}
