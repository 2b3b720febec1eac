using MetaSpike.Runtime;

namespace MetaSpike.Data.Generators;

/// <summary>
/// Random-stream helpers for the generators: per-class and per-sample seeds (through <see cref="Seeds"/>, the same in
/// every process) and the draws System.Random lacks.
/// </summary>
internal static class SeedMix
{
    /// <summary>A seed for the stream named by <paramref name="seed"/> and the parts (e.g. purpose, class, instance).</summary>
    public static int Derive(int seed, int a, int b = 0, int c = 0) => Seeds.Mix32(seed, a, b, c);

    /// <summary>A standard normal draw (Box-Muller).</summary>
    public static double NextGaussian(this Random rng)
    {
        double u = 1.0 - rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * rng.NextDouble());
    }

    /// <summary>A uniform draw in [low, high).</summary>
    public static double Uniform(this Random rng, double low, double high) => low + (high - low) * rng.NextDouble();

    /// <summary>A Poisson draw (Knuth's product method; a rounded normal approximation above a mean of 30).</summary>
    public static int NextPoisson(this Random rng, double mean)
    {
        if (mean <= 0) return 0;
        if (mean > 30) return Math.Max(0, (int)Math.Round(mean + Math.Sqrt(mean) * rng.NextGaussian()));
        double limit = Math.Exp(-mean), product = rng.NextDouble();
        int k = 0;
        while (product > limit)
        {
            product *= rng.NextDouble();
            k++;
        }
        return k;
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
