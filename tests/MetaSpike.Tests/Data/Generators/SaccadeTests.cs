using MetaSpike.Data.Generators;
using MetaSpike.Tests.Losses;
using static MetaSpike.Tests.Data.EventAssert;

namespace MetaSpike.Tests.Data.Generators;

public sealed class SaccadeTests
{
    /// <summary>A 28 x 28 image with a white 10 x 8 block (rows 9..18, columns 10..17), its top row grey.</summary>
    private static byte[,] Block()
    {
        var image = new byte[28, 28];
        for (int r = 9; r < 19; r++)
            for (int c = 10; c < 18; c++)
                image[r, c] = r == 9 ? (byte)128 : (byte)255;
        return image;
    }

    [Fact]
    public void TriangleOfSaccades()
    {
        // 28-pixel image on a 34-pixel sensor: centred at offset 3; amplitude 4 moves it ± 2.
        var recorder = new SaccadeRecorder(seed: 1);
        AssertOffset(1, 1, recorder.OffsetAt(0, 28, 28));
        AssertOffset(3, 2, recorder.OffsetAt(50, 28, 28)); // half-way right-down
        AssertOffset(5, 3, recorder.OffsetAt(100, 28, 28));
        AssertOffset(1, 5, recorder.OffsetAt(200, 28, 28));
        AssertOffset(1, 1, recorder.OffsetAt(300, 28, 28));
        AssertOffset(0, 0, recorder.OffsetAt(0, 30, 30)); // a 30-pixel image is centred at offset 2
        Assert.Equal(301, recorder.FrameCount);
    }

    private static void AssertOffset(double x, double y, (double X, double Y) actual)
    {
        Assert.Equal(x, actual.X, 9);
        Assert.Equal(y, actual.Y, 9);
    }

    [Fact]
    public void MovingImageGivesEventsInEverySaccade()
    {
        var events = new SaccadeRecorder(seed: 1).Record(Block());
        WellFormed(events);
        Assert.Equal((34, 34), (events.Width, events.Height));
        Assert.InRange(events.TimesUs[^1], 200_000, 300_000);
        for (int s = 0; s < 3; s++)
            Assert.True(events.TimesUs.Count(t => t > s * 100_000 && t <= (s + 1) * 100_000) > 100, $"saccade {s}");
        Assert.Contains((byte)0, events.Polarity);
        Assert.Contains((byte)1, events.Polarity);
        // Events only near the block's path: columns 10 + 1 .. 17 + 5 (± 1 for interpolation and pixel size).
        Assert.All(events.X, x => Assert.InRange(x, 10, 23));
        Assert.All(events.Y, y => Assert.InRange(y, 9, 24));
        RespectsRefractory(events, 200);
    }

    [Fact]
    public void BlankImageGivesNoEvents()
    {
        Assert.Equal(0, new SaccadeRecorder(seed: 1).Record(new byte[28, 28]).Count);
    }

    [Fact]
    public void InMemoryFormsAgree()
    {
        var recorder = new SaccadeRecorder(seed: 4);
        var image = Block();
        var bytes = new byte[28 * 28];
        Buffer.BlockCopy(image, 0, bytes, 0, bytes.Length);
        var expected = recorder.Record(image);
        Equal(expected, recorder.Record(bytes, 28, 28));
        Equal(expected, recorder.Record(bytes.Select(b => b / 255f).ToArray(), 28, 28));
        Assert.False(Same(expected, new SaccadeRecorder(seed: 5).Record(image)));
    }

    [Fact]
    public void DatasetIsDeterministicAndOrderIndependent()
    {
        var images = IdxImages.FromArrays([Block(), new byte[28, 28], Block()]);
        var noisy = new SaccadeOptions { Dvs = new DvsOptions { NoiseRateHz = 0.5 } };
        var a = new SaccadeDataset(images, [3, 0, 3], seed: 9, noisy);
        var b = new SaccadeDataset(images, [3, 0, 3], seed: 9, noisy);
        var last = a.Read(2);
        b.Read(0);
        b.Read(1);
        Equal(last.Events, b.Read(2).Events);
        Assert.Equal(3, last.Label);
        Assert.True(a.Read(1).Events.Count > 0); // noise on a blank image
        Assert.False(Same(a.Read(0).Events, a.Read(2).Events)); // same image, own noise
        Assert.False(Same(a.Read(0).Events, new SaccadeDataset(images, [3, 0, 3], seed: 10, noisy).Read(0).Events));
        Assert.Equal(a.CacheIdentity, b.CacheIdentity);
        Assert.NotEqual(a.CacheIdentity, new SaccadeDataset(images, [3, 0, 3], seed: 9).CacheIdentity);
        Assert.NotEqual(a.CacheKeyOf(0, "p").Hash, a.CacheKeyOf(2, "p").Hash);
    }

    [Fact]
    public void DigitSplitsAreClassRanges()
    {
        var images = IdxImages.FromArrays(Enumerable.Range(0, 10).Select(_ => new byte[4, 4]).ToArray());
        var digits = new SaccadeDataset(images, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], seed: 1);
        var test = digits.Split(MetaSplit.Test);
        Assert.Equal(["8", "9"], test.ClassNames);
        Assert.Equal(2, test.Count);
        Assert.Equal((0, 1), (test.SourceIndexOf(0), test.SourceIndexOf(1)));
        Assert.Equal((1, 0), (test.LabelOf(0), test.LabelOf(1)));
        Assert.Equal(1, test.Read(0).Label);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        var recorder = new SaccadeRecorder(seed: 1);
        ArgumentAssert.Throws(() => recorder.Record(new byte[10], 3, 3), "pixels", "9");
        ArgumentAssert.Throws(() => recorder.Record([0.5f, 2f], 1, 2), "image", "2");
        ArgumentAssert.Throws(() => new SaccadeRecorder(1, new SaccadeOptions { SaccadeMs = 0 }), "SaccadeMs");
        var images = IdxImages.FromArrays([new byte[2, 2]]);
        ArgumentAssert.Throws(() => new SaccadeDataset(images, [1, 2], 1), "labels");
        ArgumentAssert.Throws(() => new SaccadeDataset(images, [12], 1, classNames: SaccadeDataset.DigitClassNames), "12");
        ArgumentAssert.Throws(() => IdxImages.FromArrays([new byte[2, 2], new byte[3, 2]]), "image 1");
    }
}
