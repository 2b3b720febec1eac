using static TorchSharp.torch;

namespace MetaSpike.Layers;

/// <summary>
/// Weight initialisers, drawn from torch's global generator (seed it with <c>torch.manual_seed</c>).
/// <paramref name="Create"/> receives the tensor shape and its fan-in and fan-out.
/// </summary>
/// <param name="Name">A short description, e.g. "KaimingNormal(scale=2)".</param>
/// <param name="Create">Makes the initial tensor.</param>
public sealed record Init(string Name, Func<long[], long, long, Tensor> Create)
{
    /// <summary>Normal with variance scale / fan_in (He et al.; braintools' KaimingNormal). scale = 2 is the ReLU gain.</summary>
    public static Init KaimingNormal(double scale = 2.0) =>
        new($"KaimingNormal(scale={scale:G6})", (shape, fanIn, _) => randn(shape) * Math.Sqrt(Positive(scale, "scale") / fanIn));

    /// <summary>Uniform on +-1/sqrt(fan_in): PyTorch's default for Linear and Conv2d weights and biases.</summary>
    public static Init LeCunUniform { get; } =
        new("LeCunUniform", (shape, fanIn, _) => (rand(shape) * 2 - 1) / Math.Sqrt(fanIn));

    /// <summary>Normal with mean 0 and standard deviation <paramref name="std"/>.</summary>
    public static Init Normal(double std, double mean = 0) =>
        new($"Normal(mean={mean:G6}, std={std:G6})", (shape, _, _) => randn(shape) * Positive(std, "std") + mean);

    /// <summary>Uniform on [low, high).</summary>
    public static Init Uniform(double low, double high) =>
        low < high && double.IsFinite(low) && double.IsFinite(high)
            ? new($"Uniform({low:G6}, {high:G6})", (shape, _, _) => rand(shape) * (high - low) + low)
            : throw new ArgumentException($"Uniform needs finite low < high, got [{low}, {high}).");

    /// <summary>Every element equal to <paramref name="value"/>.</summary>
    public static Init Constant(double value) =>
        double.IsFinite(value) ? new($"Constant({value:G6})", (shape, _, _) => full(shape, value))
            : throw new ArgumentException($"Constant needs a finite value, got {value}.");

    /// <summary>Zeros.</summary>
    public static Init Zeros { get; } = new("Zeros", (shape, _, _) => zeros(shape));

    /// <inheritdoc />
    public override string ToString() => Name;

    private static double Positive(double value, string what) =>
        double.IsFinite(value) && value > 0 ? value : throw new ArgumentException($"initialiser {what} must be finite and > 0, got {value}.");
}
