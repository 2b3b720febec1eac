using MetaSpike.Data.Generators;
using MetaSpike.Tests.Losses;
using static MetaSpike.Tests.Data.EventAssert;

namespace MetaSpike.Tests.Data.Generators;

public sealed class PoissonPatternTests
{
    [Fact]
    public void EventsAreChannelsOfARowInTimeOrder()
    {
        var patterns = new PoissonPatternDataset(4, 3, channels: 40, rateHz: 100, durationMs: 200, seed: 2);
        Assert.Equal((40, 1), (patterns.Width, patterns.Height));
        for (int i = 0; i < patterns.Count; i++)
        {
            var events = patterns.Read(i).Events;
            WellFormed(events);
            Assert.All(events.Y, y => Assert.Equal(0, y));
            Assert.All(events.Polarity, p => Assert.Equal(0, p));
            Assert.All(events.TimesUs, t => Assert.InRange(t, 0, 199_999));
        }
    }

    [Fact]
    public void DeterministicAndOrderIndependent()
    {
        var a = new PoissonPatternDataset(3, 4, 20, 50, 100, seed: 5);
        var b = new PoissonPatternDataset(3, 4, 20, 50, 100, seed: 5);
        b.Read(0);
        Equal(a.Read(7).Events, b.Read(7).Events);
        Assert.False(Same(a.Read(7).Events, a.Read(6).Events));
        Assert.False(Same(a.Read(7).Events, new PoissonPatternDataset(3, 4, 20, 50, 100, seed: 6).Read(7).Events));
    }

    [Fact]
    public void CountsFollowTheClassPattern()
    {
        // 100 channels, 25 active at 200 Hz and 75 at 20 Hz, for 0.5 s: means 100 and 10 events per channel.
        var patterns = new PoissonPatternDataset(2, 20, channels: 100, rateHz: 200, durationMs: 500, seed: 8);
        for (int label = 0; label < 2; label++)
        {
            var rates = patterns.RatesOf(label);
            Assert.Equal(25, rates.Count(r => r == 200));
            Assert.Equal(75, rates.Count(r => r == 20));
            var counts = new double[100];
            for (int k = 0; k < 20; k++)
            {
                var events = patterns.Generate(label, k);
                foreach (var x in events.X) counts[x]++;
            }
            // Means over 25 x 20 and 75 x 20 Poisson counts: sd 0.45 and 0.08.
            Assert.InRange(Enumerable.Range(0, 100).Where(c => rates[c] == 200).Average(c => counts[c] / 20), 98, 102);
            Assert.InRange(Enumerable.Range(0, 100).Where(c => rates[c] == 20).Average(c => counts[c] / 20), 9.5, 10.5);
        }
        Assert.NotEqual(patterns.RatesOf(0), patterns.RatesOf(1));
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        ArgumentAssert.Throws(() => new PoissonPatternDataset(2, 2, 0, 10, 10, 1), "channels");
        ArgumentAssert.Throws(() => new PoissonPatternDataset(2, 2, 4, -1, 10, 1), "rateHz");
        ArgumentAssert.Throws(() => new PoissonPatternDataset(2, 2, 4, 10, 0, 1), "durationMs");
        ArgumentAssert.Throws(() => new PoissonPatternDataset(2, 2, 4, 10, 10, 1, activeFraction: 2), "activeFraction");
    }
}
