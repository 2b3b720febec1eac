using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>
/// Stewart and Neftci's quantiser Q_{C,S} (their Eq. 7): weights are clamped to [-1, 1] and put on C = 2^bits
/// equally spaced levels symmetric around 0 (-1, ..., 1), rounded to the nearest level (S = 0) or stochastically
/// (S = 1: up with probability equal to the distance from the level below, in level units, so the expectation is
/// the weight). The gradient is straight-through: d Q(w) / d w = 1, which keeps second-order MAML working and
/// needs no real-valued copy of the weights.
/// </summary>
public sealed record WeightQuantizer
{
    /// <summary>Creates the quantiser.</summary>
    /// <param name="bits">Bits per weight, 1 to 16 (C = 2^bits levels).</param>
    /// <param name="stochastic">Stochastic rounding (S = 1) instead of round-to-nearest.</param>
    /// <exception cref="ArgumentException">Bits out of range.</exception>
    public WeightQuantizer(int bits, bool stochastic)
    {
        if (bits is < 1 or > 16) throw new ArgumentException($"quantisation needs 1 to 16 bits, got {bits}.", nameof(bits));
        (Bits, Stochastic) = (bits, stochastic);
    }

    /// <summary>Bits per weight.</summary>
    public int Bits { get; }

    /// <summary>Whether rounding is stochastic.</summary>
    public bool Stochastic { get; }

    /// <summary>C, the number of levels.</summary>
    public int Levels => 1 << Bits;

    /// <summary>The distance between neighbouring levels, 2 / (C - 1).</summary>
    public double Step => 2.0 / (Levels - 1);

    /// <summary>The quantised weights, with the straight-through gradient of <paramref name="weights"/>.</summary>
    /// <remarks>Stochastic rounding draws from torch's global generator: seed it for reproducible runs.</remarks>
    public Tensor Apply(Tensor weights)
    {
        Tensor quantised;
        using (no_grad())
        {
            // Level index u in [0, C - 1]: w = -1 + u * step.
            var u = (weights.detach().clamp(-1.0, 1.0) + 1.0) / Step;
            var index = Stochastic ? (u + rand_like(u)).floor_().clamp_(0, Levels - 1) : u.round();
            quantised = index * Step - 1.0;
        }
        return weights + (quantised - weights).detach();
    }

    /// <summary>"4" or "4s" (stochastic), as in the paper's Table 6.</summary>
    public override string ToString() => Stochastic ? $"{Bits}s" : $"{Bits}";

    /// <summary>Parses "4" (deterministic) or "4s" (stochastic).</summary>
    /// <exception cref="ArgumentException">Not a bit count with an optional 's'.</exception>
    public static WeightQuantizer Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        bool stochastic = t.EndsWith('s') || t.EndsWith('S');
        var digits = stochastic ? t[..^1] : t;
        return int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int bits)
            ? new WeightQuantizer(bits, stochastic)
            : throw new ArgumentException($"a quantisation is a bit count with an optional 's' for stochastic rounding (e.g. 2s, 4, 8s); got '{text}'.", nameof(text));
    }
}
