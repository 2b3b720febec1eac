using MetaSpike.Data.Generators;
using MetaSpike.Tests.Losses;
using static MetaSpike.Tests.Data.EventAssert;

namespace MetaSpike.Tests.Data.Generators;

public sealed class DvsSimulatorTests
{
    /// <summary>An exact sensor: no mismatch, no refractory period, plain log.</summary>
    private static DvsSimulator Ideal(double threshold = 0.2, long refractoryUs = 0, int width = 1, int height = 1) =>
        new(width, height, seed: 0, new DvsOptions
        {
            OnThreshold = threshold, OffThreshold = threshold, ThresholdSigma = 0, RefractoryUs = refractoryUs, LogEpsilon = 0,
        });

    private static (long, float[])[] Frames(params (long T, float I)[] frames) => frames.Select(f => (f.T, new[] { f.I })).ToArray();

    [Fact]
    public void DoublingIntensityCrossesLn2OverThresholdLevels()
    {
        // ln 2 = 0.693: levels 0.2, 0.4, 0.6 are crossed at 1000 µs x level / ln 2 = 288.5, 577.1, 865.6.
        // Back down to 1.1 (ln 1.1 = 0.0953) from the reference 0.6: levels 0.4 and 0.2 at
        // 1000 + 1000 x (0.6931 - level) / (0.6931 - 0.0953) = 1490.3 and 1824.9; 0.0 is not reached.
        var events = Ideal().Simulate(Frames((0, 1f), (1000, 2f), (2000, 1.1f)));
        Assert.Equal([(289, 0, 0, 1), (577, 0, 0, 1), (866, 0, 0, 1), (1490, 0, 0, 0), (1825, 0, 0, 0)], Tuples(events));
    }

    [Theory]
    [InlineData(0.1, 6)]
    [InlineData(0.15, 4)]
    [InlineData(0.2, 3)]
    [InlineData(0.25, 2)]
    [InlineData(0.3, 2)]
    [InlineData(0.5, 1)]
    [InlineData(0.8, 0)]
    public void EventCountOfADoublingIsFloorOfLn2OverThreshold(double threshold, int expected)
    {
        var events = Ideal(threshold).Simulate(Frames((0, 0.5f), (1000, 1f)));
        Assert.Equal(expected, events.Count);
        Assert.All(events.Polarity, p => Assert.Equal(1, p));
    }

    [Fact]
    public void RefractoryPeriodDelaysCrossingsIntoLaterFrames()
    {
        // log intensity 0 → 1.1: levels 0.2 .. 1.0 cross at 182, 364, 545, 727, 909 µs. With a 300 µs refractory
        // period they fire at 182, 482, 782; the last two are held past the frame and fire at 1082 and 1382,
        // since the intensity is still past their levels.
        var steps = Frames((0, 1f), (1000, MathF.Exp(1.1f)), (2000, MathF.Exp(1.1f)));
        Assert.Equal([182L, 364, 545, 727, 909], Ideal(0.2, 0).Simulate(steps).TimesUs);
        var held = Ideal(0.2, 300).Simulate(steps);
        Assert.Equal([182L, 482, 782, 1082, 1382], held.TimesUs);
        Assert.All(held.Polarity, p => Assert.Equal(1, p));
    }

    [Fact]
    public void HeldCrossingsAreLostWhenTheIntensityReturns()
    {
        // The same step, but the intensity falls back to 1 by the next frame: the held ON levels 0.8 and 1.0 are no
        // longer passed. From the reference 0.6 the log falls 1.1 → 0 over 1000 .. 2000 µs: level 0.4 at 1636, level
        // 0.2 at 1818, held to 1936; level 0 at 2000 is refractory until 2236, after the last frame.
        var steps = Frames((0, 1f), (1000, MathF.Exp(1.1f)), (2000, 1f));
        var events = Ideal(0.2, 300).Simulate(steps);
        Assert.Equal([(182, 0, 0, 1), (482, 0, 0, 1), (782, 0, 0, 1), (1636, 0, 0, 0), (1936, 0, 0, 0)], Tuples(events));
    }

    [Fact]
    public void ThresholdMismatchIsDrawnOncePerSeed()
    {
        var sensor = new DvsSimulator(100, 100, seed: 7);
        var thresholds = Enumerable.Range(0, 10_000).Select(i => (double)sensor.OnThresholdAt(i % 100, i / 100)).ToArray();
        double mean = thresholds.Average(), sd = Math.Sqrt(thresholds.Select(t => (t - mean) * (t - mean)).Average());
        Assert.InRange(mean, 0.195, 0.205);
        Assert.InRange(sd, 0.027, 0.033);
        Assert.Equal(sensor.OffThresholdAt(3, 4), new DvsSimulator(100, 100, seed: 7).OffThresholdAt(3, 4));
        Assert.NotEqual(sensor.OnThresholdAt(3, 4), new DvsSimulator(100, 100, seed: 8).OnThresholdAt(3, 4));
    }

    [Fact]
    public void ConstantFramesGiveNoEventsExceptNoise()
    {
        var quiet = new DvsSimulator(10, 10, seed: 1);
        Assert.Equal(0, quiet.Simulate(1001, 1000, (_, frame) => Array.Fill(frame, 0.5f)).Count);
        // 50 Hz x 100 pixels x 1 s: Poisson with mean 5,000 (sd 71).
        var noisy = new DvsSimulator(10, 10, seed: 1, new DvsOptions { NoiseRateHz = 50 });
        var events = noisy.Simulate(1001, 1000, (_, frame) => Array.Fill(frame, 0.5f), new Random(3));
        Assert.InRange(events.Count, 4_650, 5_350);
        WellFormed(events);
        Assert.InRange(events.Polarity.Count(p => p == 1), 2_200, 2_800);
    }

    [Fact]
    public void MovingEdgeGivesSortedEventsOnBothSides()
    {
        // A bright bar moving right one pixel per frame: ON at its leading edge, OFF at its trailing edge. Without a
        // refractory period every event falls in the frame interval of the change that fired it.
        var sensor = new DvsSimulator(16, 4, seed: 2, new DvsOptions { RefractoryUs = 0 });
        var events = sensor.Simulate(12, 1000, (k, frame) =>
        {
            for (int i = 0; i < frame.Length; i++) frame[i] = (i % 16) >= k && (i % 16) < k + 3 ? 1f : 0.1f;
        });
        WellFormed(events);
        for (int i = 0; i < events.Count; i++)
        {
            int frame = (int)((events.TimesUs[i] + 999) / 1000); // the frame whose change fired it
            Assert.Equal(events.Polarity[i] == 1 ? frame + 2 : frame - 1, events.X[i]);
        }
        Assert.Contains((byte)0, events.Polarity);
        Assert.Contains((byte)1, events.Polarity);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        var sensor = Ideal();
        ArgumentAssert.Throws(() => sensor.Simulate(Frames((0, 1f), (0, 2f))), "frame 1", "0 µs");
        ArgumentAssert.Throws(() => sensor.Simulate([(0, new float[2])]), "2 values");
        ArgumentAssert.Throws(() => sensor.Simulate(Frames((0, 1f), (1000, 0f))), "frame 1", "pixel 0");
        ArgumentAssert.Throws(() => sensor.Simulate(Frames((0, float.NaN))), "pixel 0");
        ArgumentAssert.Throws(() => new DvsSimulator(0, 4, 1), "width");
        ArgumentAssert.Throws(() => new DvsSimulator(4, 4, 1, new DvsOptions { OnThreshold = 0 }), "threshold");
        ArgumentAssert.Throws(() => new DvsSimulator(4, 4, 1, new DvsOptions { RefractoryUs = -1 }), "RefractoryUs");
        var noisy = new DvsSimulator(4, 4, 1, new DvsOptions { NoiseRateHz = 1 });
        Assert.Throws<ArgumentNullException>(() => noisy.Simulate(2, 1000, (_, f) => Array.Fill(f, 1f)));
        Assert.Throws<ArgumentOutOfRangeException>(() => sensor.OnThresholdAt(1, 0));
    }
}
