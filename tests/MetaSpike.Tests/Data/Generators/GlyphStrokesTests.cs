using MetaSpike.Data;
using MetaSpike.Data.Generators;
using MetaSpike.Tests.Losses;
using static MetaSpike.Tests.Data.EventAssert;

namespace MetaSpike.Tests.Data.Generators;

public sealed class GlyphStrokesTests
{
    [Fact]
    public void SameSeedSameEventsOtherSeedOtherEvents()
    {
        var a = new GlyphStrokesDataset(5, 3, seed: 11);
        var b = new GlyphStrokesDataset(5, 3, seed: 11);
        var c = new GlyphStrokesDataset(5, 3, seed: 12);
        for (int i = 0; i < a.Count; i++)
        {
            Equal(a.Read(i).Events, b.Read(i).Events);
            Assert.False(Same(a.Read(i).Events, c.Read(i).Events), $"sample {i}");
        }
    }

    [Fact]
    public void ReadDoesNotDependOnWhatWasReadBefore()
    {
        var fresh = new GlyphStrokesDataset(6, 4, seed: 3).Read(13);
        var used = new GlyphStrokesDataset(6, 4, seed: 3);
        foreach (var i in new[] { 23, 0, 12, 14, 5 }) used.Read(i);
        Equal(fresh.Events, used.Read(13).Events);
        Assert.Equal(3, fresh.Label);
        Assert.Contains("class 3, instance 1", fresh.Source);
        // The class count does not change a class either: class 3 instance 1 of a bigger dataset is the same.
        Equal(fresh.Events, new GlyphStrokesDataset(50, 2, seed: 3).Generate(3, 1));
        var parallel = new EventStream[24];
        Parallel.For(0, 24, i => parallel[i] = used.Read(i).Events);
        Equal(fresh.Events, parallel[13]);
    }

    [Fact]
    public void EventsAreSortedInsideTheSensorAndRespectTheRefractoryPeriod()
    {
        var glyphs = new GlyphStrokesDataset(20, 2, seed: 5);
        for (int i = 0; i < glyphs.Count; i++)
        {
            var events = glyphs.Read(i).Events;
            Assert.Equal((34, 26), (events.Width, events.Height));
            WellFormed(events);
            RespectsRefractory(events, glyphs.Options.Dvs.RefractoryUs);
            Assert.InRange(events.Count, 100, 5_000);
            // Pen down after the 3 ms lead (linear interpolation from the frame before), drawn in about 100 ms ± 15 %.
            Assert.InRange(events.TimesUs[0], 2_000, 5_000);
            Assert.InRange(events.TimesUs[^1], 70_000, 130_000);
            Assert.Contains((byte)1, events.Polarity); // the tip leaving a lighter trace
            Assert.True(events.Polarity.Count(p => p == 0) > events.Polarity.Count(p => p == 1), "OFF: ink arriving");
        }
    }

    [Fact]
    public void InstancesOfAClassAreMoreAlikeThanOtherClasses()
    {
        var (within, across, nearestCorrect, samples) = Similarity(new GlyphStrokesDataset(12, 5, seed: 21));
        Assert.True(within > across + 0.2, $"within-class correlation {within:F3}, across {across:F3}");
        // Learnable: the most correlated other sample is of the same class for most samples (chance: 4 / 59).
        Assert.True(nearestCorrect >= 0.8 * samples, $"nearest neighbour right for {nearestCorrect} of {samples}");
    }

    [Fact]
    public void WriterVariationScalesEveryWriterSettingAndSpreadsInstances()
    {
        var defaults = new GlyphOptions();
        var doubled = defaults.WithWriterVariation(2);
        Assert.Equal(
            (2 * defaults.PointNoise, 2 * defaults.MaxRotation, 2 * defaults.MaxShear, 2 * defaults.MaxScaleChange, 2 * defaults.MaxShiftPixels, 2 * defaults.SpeedVariation),
            (doubled.PointNoise, doubled.MaxRotation, doubled.MaxShear, doubled.MaxScaleChange, doubled.MaxShiftPixels, doubled.SpeedVariation));
        Assert.Equal(defaults with { PointNoise = doubled.PointNoise, MaxRotation = doubled.MaxRotation, MaxShear = doubled.MaxShear,
            MaxScaleChange = doubled.MaxScaleChange, MaxShiftPixels = doubled.MaxShiftPixels, SpeedVariation = doubled.SpeedVariation }, doubled);

        // More variation: instances of a class drift apart (within-class correlation falls) while classes stay apart.
        double[] within = new[] { 0.0, 1, 3 }.Select(f => Similarity(new GlyphStrokesDataset(8, 4, seed: 21, options: defaults.WithWriterVariation(f))).Within).ToArray();
        Assert.True(within[0] > within[1] && within[1] > within[2], $"within-class correlation at variation 0, 1, 3: {string.Join(", ", within.Select(w => w.ToString("F3")))}");
        Assert.True(within[0] > 0.9, $"without writer variation instances differ only in pauses: {within[0]:F3}");

        ArgumentAssert.Throws(() => defaults.WithWriterVariation(-1), "factor");
        ArgumentAssert.Throws(() => defaults.WithWriterVariation(double.NaN), "factor");
        ArgumentAssert.Throws(() => defaults.WithWriterVariation(7), "factor"); // speed variation 1.05: a negative drawing time
        Assert.Equal(2, ((GlyphStrokesDataset)DatasetOpener.Open("glyphs:classes=10,samples=2,variation=2")).Options.MaxShiftPixels);
    }

    private static (double Within, double Across, int NearestCorrect, int Samples) Similarity(GlyphStrokesDataset glyphs)
    {
        var frames = Enumerable.Range(0, glyphs.Count).Select(i => CountFrame(glyphs.Read(i).Events)).ToArray();
        double within = 0, across = 0;
        int withinPairs = 0, acrossPairs = 0, nearestCorrect = 0;
        for (int i = 0; i < frames.Length; i++)
        {
            int best = -1;
            double bestCorrelation = double.NegativeInfinity;
            for (int j = 0; j < frames.Length; j++)
            {
                if (i == j) continue;
                double r = Correlation(frames[i], frames[j]);
                if (glyphs.LabelOf(i) == glyphs.LabelOf(j)) (within, withinPairs) = (within + r, withinPairs + 1);
                else (across, acrossPairs) = (across + r, acrossPairs + 1);
                if (r > bestCorrelation) (best, bestCorrelation) = (j, r);
            }
            if (glyphs.LabelOf(best) == glyphs.LabelOf(i)) nearestCorrect++;
        }
        return (within / withinPairs, across / acrossPairs, nearestCorrect, frames.Length);
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), ab = 0, aa = 0, bb = 0;
        for (int k = 0; k < a.Length; k++)
        {
            ab += (a[k] - ma) * (b[k] - mb);
            aa += (a[k] - ma) * (a[k] - ma);
            bb += (b[k] - mb) * (b[k] - mb);
        }
        return ab / Math.Sqrt(aa * bb);
    }

    [Fact]
    public void SplitsAre64And16And20PercentOfClasses()
    {
        var glyphs = new GlyphStrokesDataset(25, 3, seed: 1);
        var train = glyphs.Split(MetaSplit.Train);
        var validation = glyphs.Split(MetaSplit.Validation);
        var test = glyphs.Split(MetaSplit.Test);
        Assert.Equal((16, 4, 5), (train.ClassNames.Count, validation.ClassNames.Count, test.ClassNames.Count));
        Assert.Equal((48, 12, 15), (train.Count, validation.Count, test.Count));
        Assert.Equal(new ClassRange(20, 5), test.Classes);
        Assert.Equal("glyph 20", test.ClassNames[0]);
        Assert.Equal(0, test.LabelOf(0));
        Assert.Equal(4, test.LabelOf(14));
        var sample = test.Read(4); // class 21, instance 1
        Assert.Equal(1, sample.Label);
        Equal(glyphs.Read(21 * 3 + 1).Events, sample.Events);
    }

    [Fact]
    public void CacheIdentityNamesTheSettings()
    {
        var plain = new GlyphStrokesDataset(10, 2, seed: 1);
        Assert.Equal(plain.CacheIdentity, new GlyphStrokesDataset(10, 2, seed: 2).CacheIdentity); // the seed is keyed apart
        Assert.NotEqual(plain.CacheIdentity, new GlyphStrokesDataset(10, 2, seed: 1, width: 40).CacheIdentity);
        Assert.NotEqual(plain.CacheIdentity, new GlyphStrokesDataset(10, 2, 1, options: new GlyphOptions { PenRadius = 1 }).CacheIdentity);
        Assert.NotEqual(plain.CacheIdentity,
            new GlyphStrokesDataset(10, 2, 1, options: new GlyphOptions { Dvs = new DvsOptions { OnThreshold = 0.25 } }).CacheIdentity);
        Assert.NotEqual(plain.CacheKeyOf(0, "p").Hash, new GlyphStrokesDataset(10, 2, seed: 2).CacheKeyOf(0, "p").Hash);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        ArgumentAssert.Throws(() => new GlyphStrokesDataset(0, 5, 1), "classes");
        ArgumentAssert.Throws(() => new GlyphStrokesDataset(5, 0, 1), "samplesPerClass");
        ArgumentAssert.Throws(() => new GlyphStrokesDataset(5, 5, 1, width: 4), "width");
        ArgumentAssert.Throws(() => new GlyphStrokesDataset(5, 5, 1, options: new GlyphOptions { DrawMs = -1 }), "DrawMs");
        var glyphs = new GlyphStrokesDataset(5, 5, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => glyphs.Read(25));
        Assert.Throws<ArgumentOutOfRangeException>(() => glyphs.Generate(5, 0));
        ArgumentAssert.Throws(() => ClassSplits.Of(2, MetaSplit.Train), "classes");
    }
}
