using static TorchSharp.torch;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// Signed weights on unsigned hardware synapses (the SuperSpike tutorial's <c>set_weights</c>): a real-valued matrix
/// is clipped to ±MaxWeight and rounded (half to even, like numpy); positive entries go to the excitatory projection,
/// the magnitudes of negative ones to the inhibitory projection.
/// </summary>
public static class SignedWeights
{
    /// <summary>Writes <paramref name="weights"/> [pre, post] to the pair and returns the signed integer weights written (a new tensor).</summary>
    /// <exception cref="ArgumentException">The projections are not an excitatory/inhibitory pair between the same
    /// populations, the matrix has the wrong shape, or it holds NaN.</exception>
    public static Tensor Apply(Projection excitatory, Projection inhibitory, Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(excitatory);
        ArgumentNullException.ThrowIfNull(inhibitory);
        ArgumentNullException.ThrowIfNull(weights);
        if (excitatory.Receptor != ReceptorType.Excitatory || inhibitory.Receptor != ReceptorType.Inhibitory)
            throw new ArgumentException($"signed weights need an excitatory and an inhibitory projection, got {excitatory.Receptor} and {inhibitory.Receptor}.");
        if (excitatory.Pre != inhibitory.Pre || excitatory.Post != inhibitory.Post)
            throw new ArgumentException($"signed weights need two projections between the same populations, got {excitatory.Label} and {inhibitory.Label}.");
        if (weights.dim() != 2 || weights.shape[0] != excitatory.Pre.Size || weights.shape[1] != excitatory.Post.Size)
            throw new ArgumentException($"signed weights must be [{excitatory.Pre.Size}, {excitatory.Post.Size}] (pre, post), got [{string.Join(", ", weights.shape)}].", nameof(weights));
        using var scope = NewDisposeScope();
        var values = weights.detach().cpu().to_type(ScalarType.Float64);
        if (isnan(values).any().item<bool>()) throw new ArgumentException("signed weights hold NaN.", nameof(weights));
        int max = Math.Min(excitatory.MaxWeight, inhibitory.MaxWeight);
        var signed = values.clamp(-max, max).round();
        excitatory.SetWeights(signed.clamp_min(0));
        inhibitory.SetWeights((-signed).clamp_min(0));
        return signed.MoveToOuterDisposeScope();
    }

    /// <summary>Writes <paramref name="weights"/> [pre, post] to the pair and returns the signed integer weights written.</summary>
    /// <exception cref="ArgumentException">As <see cref="Apply(Projection, Projection, Tensor)"/>.</exception>
    public static double[,] Apply(Projection excitatory, Projection inhibitory, double[,] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        int rows = weights.GetLength(0), columns = weights.GetLength(1);
        var flat = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) flat[i * columns + j] = weights[i, j];
        using var scope = NewDisposeScope();
        var written = Apply(excitatory, inhibitory, tensor(flat).reshape(rows, columns)).data<double>().ToArray();
        var result = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) result[i, j] = written[i * columns + j];
        return result;
    }
}
