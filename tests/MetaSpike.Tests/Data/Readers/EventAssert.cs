using MetaSpike.Data;

namespace MetaSpike.Tests.Data.Readers;

/// <summary>Random event streams and their comparison, for the writers' round trips.</summary>
internal static class EventAssert
{
    /// <summary><paramref name="n"/> events, times sorted in [0, <paramref name="maxTimeUs"/>), anywhere on a <paramref name="width"/> x <paramref name="height"/> sensor.</summary>
    public static EventStream RandomStream(int seed, int n, long maxTimeUs, int width, int height)
    {
        var random = new Random(seed);
        var t = Enumerable.Range(0, n).Select(_ => random.NextInt64(maxTimeUs)).Order().ToArray();
        return new EventStream(t, [.. Enumerable.Range(0, n).Select(_ => (ushort)random.Next(width))],
            [.. Enumerable.Range(0, n).Select(_ => (ushort)random.Next(height))], [.. Enumerable.Range(0, n).Select(_ => (byte)random.Next(2))],
            width, height);
    }

    public static void Equal(EventStream expected, EventStream actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.Equal(expected.TimesUs, actual.TimesUs);
        Assert.Equal(expected.X, actual.X);
        Assert.Equal(expected.Y, actual.Y);
        Assert.Equal(expected.Polarity, actual.Polarity);
    }
}
