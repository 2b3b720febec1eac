using MetaSpike.Data;

namespace MetaSpike.Tests.Data;

/// <summary>Event streams made from tuples or at random, and their comparison, for the data tests.</summary>
internal static class EventAssert
{
    /// <summary>A stream from (t, x, y, p) tuples.</summary>
    public static EventStream Stream(int width, int height, params (long T, int X, int Y, int P)[] events) =>
        new(events.Select(e => e.T).ToArray(), events.Select(e => (ushort)e.X).ToArray(),
            events.Select(e => (ushort)e.Y).ToArray(), events.Select(e => (byte)e.P).ToArray(), width, height);

    /// <summary>The events as (t, x, y, p) tuples.</summary>
    public static (long T, int X, int Y, int P)[] Tuples(EventStream s) =>
        Enumerable.Range(0, s.Count).Select(i => (s.TimesUs[i], (int)s.X[i], (int)s.Y[i], (int)s.Polarity[i])).ToArray();

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
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.Height, actual.Height);
        Assert.Equal(expected.TimesUs, actual.TimesUs);
        Assert.Equal(expected.X, actual.X);
        Assert.Equal(expected.Y, actual.Y);
        Assert.Equal(expected.Polarity, actual.Polarity);
    }

    public static bool Same(EventStream a, EventStream b) =>
        a.Width == b.Width && a.Height == b.Height && a.TimesUs.AsSpan().SequenceEqual(b.TimesUs) &&
        a.X.AsSpan().SequenceEqual(b.X) && a.Y.AsSpan().SequenceEqual(b.Y) && a.Polarity.AsSpan().SequenceEqual(b.Polarity);

    /// <summary>Times non-decreasing, coordinates inside the sensor, polarity 0 or 1.</summary>
    public static void WellFormed(EventStream s)
    {
        for (int i = 0; i < s.Count; i++)
        {
            Assert.True(s.X[i] < s.Width, $"event {i}: x {s.X[i]} outside width {s.Width}");
            Assert.True(s.Y[i] < s.Height, $"event {i}: y {s.Y[i]} outside height {s.Height}");
            Assert.True(s.Polarity[i] <= 1, $"event {i}: polarity {s.Polarity[i]}");
            if (i > 0) Assert.True(s.TimesUs[i] >= s.TimesUs[i - 1], $"event {i}: time {s.TimesUs[i]} before {s.TimesUs[i - 1]}");
        }
    }

    /// <summary>Successive events of each pixel are at least <paramref name="refractoryUs"/> apart.</summary>
    public static void RespectsRefractory(EventStream s, long refractoryUs)
    {
        var last = new Dictionary<int, long>();
        for (int i = 0; i < s.Count; i++)
        {
            int pixel = s.Y[i] * s.Width + s.X[i];
            if (last.TryGetValue(pixel, out var previous))
                Assert.True(s.TimesUs[i] - previous >= refractoryUs, $"pixel ({s.X[i]}, {s.Y[i]}) fired at {previous} and {s.TimesUs[i]} µs");
            last[pixel] = s.TimesUs[i];
        }
    }

    /// <summary>Event counts per (polarity, y, x), flattened: a one-bin frame.</summary>
    public static double[] CountFrame(EventStream s)
    {
        var frame = new double[2 * s.Width * s.Height];
        for (int i = 0; i < s.Count; i++) frame[(s.Polarity[i] * s.Height + s.Y[i]) * s.Width + s.X[i]]++;
        return frame;
    }
}
