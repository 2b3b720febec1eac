using MetaSpike.Data;
using MetaSpike.Data.Transforms;
using MetaSpike.Tests.Losses;
using static MetaSpike.Tests.Data.EventAssert;

namespace MetaSpike.Tests.Data.Transforms;

public sealed class EventTransformTests
{
    private static readonly EventStream Sample = Stream(16, 12,
        (10, 0, 0, 1), (20, 5, 5, 0), (30, 10, 3, 1), (40, 12, 11, 0), (50, 4, 2, 1), (60, 11, 9, 0));

    [Fact]
    public void CropKeepsTheEventsInsideAndMovesThemToTheOrigin()
    {
        // Rectangle x 4..11, y 2..9: (5,5), (10,3), (4,2), (11,9) are in; (0,0) and (12,11) are out.
        var cropped = Sample.Crop(4, 2, 8, 8);
        Assert.Equal((8, 8), (cropped.Width, cropped.Height));
        Assert.Equal([(20, 1, 3, 0), (30, 6, 1, 1), (50, 0, 0, 1), (60, 7, 7, 0)], Tuples(cropped));
    }

    [Fact]
    public void DownsampleDividesCoordinatesAndRoundsTheSensorUp()
    {
        var small = Sample.Downsample(3);
        Assert.Equal((6, 4), (small.Width, small.Height)); // ceil(16 / 3), ceil(12 / 3)
        Assert.Equal([(10, 0, 0, 1), (20, 1, 1, 0), (30, 3, 1, 1), (40, 4, 3, 0), (50, 1, 0, 1), (60, 3, 3, 0)], Tuples(small));
        Assert.Equal(Tuples(Sample), Tuples(Sample.Downsample(1)));
    }

    [Fact]
    public void ScaleTimeMultipliesAndRoundsTimes()
    {
        var slow = Stream(2, 1, (150_000, 0, 0, 1), (150_049, 1, 0, 0), (150_051, 1, 0, 0));
        Assert.Equal([1500L, 1500, 1501], slow.ScaleTime(0.01).TimesUs); // N-Omniglot: 100 ms of sensor time per 1 ms
        Assert.Equal([300_000L, 300_098, 300_102], slow.ScaleTime(2).TimesUs);
    }

    [Fact]
    public void MergePolarityZeroesPolarityOnly()
    {
        var merged = Sample.MergePolarity();
        Assert.All(merged.Polarity, p => Assert.Equal(0, p));
        Assert.Equal(Sample.TimesUs, merged.TimesUs);
        Assert.Equal(Sample.X, merged.X);
        Assert.Equal(1, Sample.Polarity[0]); // the input is untouched
    }

    [Fact]
    public void DenoiseKeepsEventsWithARecentNeighbour()
    {
        var events = Stream(32, 32,
            (0, 5, 5, 1),      // no neighbour yet: dropped
            (100, 6, 5, 0),    // (5,5) 100 µs before: kept
            (200, 20, 20, 1),  // isolated: dropped
            (300, 5, 5, 1),    // (6,5) 200 µs before: kept (a pixel's own past does not count)
            (5_000, 6, 6, 1),  // (5,5) 4,700 µs before, over the 1,000 µs window: dropped
            (5_400, 6, 6, 0),  // only its own pixel (400 µs before) is recent: dropped
            (5_500, 7, 7, 1),  // (6,6) 100 µs before (diagonal): kept
            (6_500, 8, 8, 0),  // (7,7) exactly 1,000 µs before: kept (window inclusive)
            (9_000, 0, 0, 1),  // corner, no neighbour
            (9_500, 1, 1, 0)); // diagonal to the corner: kept
        var clean = events.Denoise(1_000);
        Assert.Equal([(100, 6, 5, 0), (300, 5, 5, 1), (5_500, 7, 7, 1), (6_500, 8, 8, 0), (9_500, 1, 1, 0)], Tuples(clean));
        Assert.Equal((32, 32), (clean.Width, clean.Height));
    }

    [Fact]
    public void JitterShiftsTheWholeSampleAndDropsWhatLeaves()
    {
        var corners = Stream(10, 10, (1, 0, 0, 1), (2, 9, 9, 0), (3, 5, 5, 1));
        var shifts = new HashSet<(int, int)>();
        for (int seed = 0; seed < 60; seed++)
        {
            var moved = corners.Jitter(1, new Random(seed));
            // The centre event always survives and tells the shift; the others follow it or leave the sensor.
            var (_, x, y, _) = Tuples(moved).Single(e => e.T == 3);
            int dx = x - 5, dy = y - 5;
            Assert.InRange(dx, -1, 1);
            Assert.InRange(dy, -1, 1);
            shifts.Add((dx, dy));
            var expected = Tuples(corners)
                .Select(e => (e.T, X: e.X + dx, Y: e.Y + dy, e.P))
                .Where(e => e.X is >= 0 and < 10 && e.Y is >= 0 and < 10)
                .ToArray();
            Assert.Equal(expected, Tuples(moved));
            Assert.Equal(Tuples(moved), Tuples(corners.Jitter(1, new Random(seed)))); // deterministic from the seed
        }
        Assert.Equal(9, shifts.Count); // every shift in [-1, 1]^2 occurs
        Assert.Equal(Tuples(corners), Tuples(corners.Jitter(0, new Random(1))));
    }

    [Fact]
    public void TimeShiftAddsOneDelayToAllTimes()
    {
        var delays = new HashSet<long>();
        for (int seed = 0; seed < 40; seed++)
        {
            var shifted = Sample.TimeShift(3, new Random(seed));
            long delay = shifted.TimesUs[0] - Sample.TimesUs[0];
            Assert.InRange(delay, 0, 3);
            Assert.Equal(Sample.TimesUs.Select(t => t + delay), shifted.TimesUs);
            Assert.Equal(Sample.X, shifted.X);
            delays.Add(delay);
        }
        Assert.Equal(4, delays.Count);
    }

    [Fact]
    public void TimeWindowKeepsHalfOpenIntervalAndRebases()
    {
        Assert.Equal([(0, 5, 5, 0), (10, 10, 3, 1), (20, 12, 11, 0)], Tuples(Sample.TimeWindow(20, 50)));
    }

    [Fact]
    public void ComposeAppliesStepsInOrderAndJoinsKeys()
    {
        var pipeline = new Compose(EventTransform.Crop(4, 2, 8, 8), EventTransform.Downsample(2), EventTransform.ScaleTime(0.01));
        Assert.Equal("crop(4,2,8,8)|downsample(2)|scale_time(0.01)", pipeline.Key);
        Assert.False(pipeline.IsRandom);
        var expected = Sample.Crop(4, 2, 8, 8).Downsample(2).ScaleTime(0.01);
        Assert.Equal(Tuples(expected), Tuples(pipeline.Apply(Sample)));
        Assert.Equal((4, 4), (pipeline.Apply(Sample).Width, pipeline.Apply(Sample).Height));
        Assert.Equal("none", new Compose().Key);
    }

    [Fact]
    public void KeysNameEveryParameter()
    {
        Assert.Equal("merge_polarity", EventTransform.MergePolarity().Key);
        Assert.Equal("denoise(5000)", EventTransform.Denoise(5000).Key);
        Assert.Equal("jitter(2)", EventTransform.Jitter(2).Key);
        Assert.Equal("time_shift(1000)", EventTransform.TimeShift(1000).Key);
        Assert.Equal("time_window(0,300000)", EventTransform.TimeWindow(0, 300_000).Key);
        Assert.NotEqual(EventTransform.Crop(0, 0, 32, 32).Key, EventTransform.Crop(0, 0, 32, 31).Key);
    }

    [Fact]
    public void RandomStepsNeedARandomAndAreReproducible()
    {
        var pipeline = new Compose(EventTransform.MergePolarity(), EventTransform.Jitter(3));
        Assert.True(pipeline.IsRandom);
        Assert.Throws<ArgumentNullException>(() => pipeline.Apply(Sample));
        Assert.Equal(Tuples(pipeline.Apply(Sample, new Random(5))), Tuples(pipeline.Apply(Sample, new Random(5))));
        Assert.Equal(Tuples(Sample.MergePolarity().Jitter(3, new Random(5))), Tuples(pipeline.Apply(Sample, new Random(5))));
    }

    [Fact]
    public void BadArgumentsNameTheArgument()
    {
        ArgumentAssert.Throws(() => EventTransform.Downsample(0), "factor");
        ArgumentAssert.Throws(() => Sample.Downsample(-2), "factor");
        ArgumentAssert.Throws(() => EventTransform.Crop(-1, 0, 4, 4), "x0");
        ArgumentAssert.Throws(() => Sample.Crop(0, 0, 0, 4), "width");
        ArgumentAssert.Throws(() => EventTransform.ScaleTime(0), "factor");
        ArgumentAssert.Throws(() => EventTransform.ScaleTime(double.NaN), "factor");
        ArgumentAssert.Throws(() => EventTransform.Denoise(0), "windowUs");
        ArgumentAssert.Throws(() => EventTransform.Jitter(-1), "maxShift");
        ArgumentAssert.Throws(() => EventTransform.TimeShift(-1), "maxShiftUs");
        ArgumentAssert.Throws(() => EventTransform.TimeWindow(10, 10), "endUs");
    }

    [Fact]
    public void EmptyStreamsStayEmpty()
    {
        var empty = EventStream.Empty(8, 8);
        Assert.Equal(0, empty.Denoise(100).Count);
        Assert.Equal(0, empty.Crop(0, 0, 4, 4).Count);
        Assert.Equal(0, empty.Jitter(2, new Random(1)).Count);
    }
}
