using MetaSpike.Runtime;

namespace MetaSpike.Tests.Runtime;

/// <summary><see cref="AlignedScratch{T}"/>: every pin starts on a cache line, and zeros stay zeros when the collector moves the buffer.</summary>
public class AlignedScratchTests
{
    [Fact]
    public void Pins_start_on_a_cache_line_and_keep_zeros_when_the_buffer_moves()
    {
        int moved = 0;
        for (int trial = 0; trial < 20; trial++)
        {
            // Garbage of varied sizes before the buffer, so that compaction moves it by varied distances.
            var garbage = new byte[8 * trial + 1];
            var scratch = new AlignedScratch<float>(100);
            nint first;
            using (var pin = scratch.Pinned())
            {
                first = pin.Address;
                Assert.Equal(0, first % 64);
                Assert.All(pin.Span.ToArray(), v => Assert.Equal(0f, v));
                // An interior written per use; elements 0..9 and 90..99 are a border left zero.
                pin.Span.Slice(10, 80).Fill(trial + 1);
            }
            GC.KeepAlive(garbage);
            garbage = null;
            GC.Collect();
            using (var pin = scratch.Pinned())
            {
                if (pin.Address != first) moved++;
                Assert.Equal(0, pin.Address % 64);
                var values = pin.Span.ToArray();
                Assert.All(values[..10], v => Assert.Equal(0f, v));
                Assert.All(values[90..], v => Assert.Equal(0f, v));
                Assert.True(values[10..90].All(v => v == trial + 1) || values[10..90].All(v => v == 0), "the interior was shifted instead of kept or zeroed");
            }
        }
        Assert.True(moved > 0, "no collection moved a buffer, so the zeroing on a move went untested");
    }
}
