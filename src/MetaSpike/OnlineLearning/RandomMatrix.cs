using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// Seeded Gaussian matrices from <see cref="Random"/> (Box-Muller), the same in every process and independent of
/// torch's global generator.
/// </summary>
internal static class RandomMatrix
{
    internal static Tensor Normal(long rows, long columns, double mean, double std, long seed, long stream)
    {
        var random = new Random(Seeds.Mix32(seed, stream));
        var values = new double[rows * columns];
        for (int i = 0; i < values.Length; i++)
        {
            // 1 - NextDouble() is in (0, 1], so the log is finite.
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            values[i] = mean + std * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
        }
        return tensor(values, ScalarType.Float64).reshape(rows, columns);
    }
}
