namespace MetaSpike.Runtime;

/// <summary>
/// Derives independent seeds from a base seed and coordinates (epoch, batch, class, sample, ...) with the
/// SplitMix64 finaliser. Unlike <see cref="HashCode"/>, whose values change from one process to the next, the
/// result is the same on every run and machine.
/// </summary>
public static class Seeds
{
    /// <summary>A non-negative seed from <paramref name="seed"/> and <paramref name="parts"/>.</summary>
    public static long Mix(long seed, params ReadOnlySpan<long> parts)
    {
        ulong z = unchecked((ulong)seed);
        foreach (var part in parts) z = Finalise(z + 0x9E3779B97F4A7C15UL + unchecked((ulong)part) * 0xD6E8FEB86659FD93UL);
        return (long)(Finalise(z) >> 1);
    }

    /// <summary>A 32-bit seed for <see cref="Random"/>.</summary>
    public static int Mix32(long seed, params ReadOnlySpan<long> parts) => (int)(Mix(seed, parts) >> 32);

    private static ulong Finalise(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
