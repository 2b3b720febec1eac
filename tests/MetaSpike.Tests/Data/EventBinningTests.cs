using MetaSpike.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Data;

public sealed class EventBinningTests
{
    // A 4 x 3 sensor; not sorted by time (the last event is early), as N-MNIST files sometimes are not.
    //   t      x  y  p
    //   0      0  0  1
    //   999    0  0  1
    //   1000   3  2  0
    //   1500   3  2  0
    //   2500   1  1  1
    //   500    2  0  0
    private static readonly EventStream Events = new(
        [0, 999, 1000, 1500, 2500, 500], [0, 0, 3, 3, 1, 2], [0, 0, 2, 2, 1, 0], [1, 1, 0, 0, 1, 0], width: 4, height: 3);

    private static float[] Binned(EventStream events, BinningOptions options, out FrameShape shape)
    {
        var frames = new float[EventBinning.Shape(events, options).Length];
        shape = EventBinning.ToFrames(events, options, frames);
        return frames;
    }

    /// <summary>A zero frame array of the shape with the given cells [t, p, y, x] set.</summary>
    private static float[] Expected(FrameShape s, params (int T, int P, int Y, int X, float V)[] cells)
    {
        var frames = new float[s.Length];
        foreach (var (t, p, y, x, v) in cells) frames[((t * s.Channels + p) * s.Height + y) * s.Width + x] = v;
        return frames;
    }

    [Fact]
    public void Counts_events_per_bin_polarity_and_pixel()
    {
        var frames = Binned(Events, new BinningOptions(), out var shape);

        Assert.Equal(new FrameShape(3, 2, 3, 4), shape);
        Assert.Equal(Expected(shape, (0, 1, 0, 0, 2), (0, 0, 0, 2, 1), (1, 0, 2, 3, 2), (2, 1, 1, 1, 1)), frames);
    }

    [Fact]
    public void Binary_frames_mark_pixels_with_any_event()
    {
        var frames = Binned(Events, new BinningOptions { Mode = BinningMode.Binary }, out var shape);

        Assert.Equal(Expected(shape, (0, 1, 0, 0, 1), (0, 0, 0, 2, 1), (1, 0, 2, 3, 1), (2, 1, 1, 1, 1)), frames);
    }

    [Fact]
    public void Events_beyond_the_last_step_or_before_the_start_are_dropped()
    {
        var two = Binned(Events, new BinningOptions { Steps = 2 }, out var shape);
        Assert.Equal(new FrameShape(2, 2, 3, 4), shape);
        Assert.Equal(Expected(shape, (0, 1, 0, 0, 2), (0, 0, 0, 2, 1), (1, 0, 2, 3, 2)), two);

        var late = Binned(Events, new BinningOptions { StartUs = 1000 }, out shape);
        Assert.Equal(2, shape.Steps);
        Assert.Equal(Expected(shape, (0, 0, 2, 3, 2), (1, 1, 1, 1, 1)), late);

        var longer = Binned(Events, new BinningOptions { Steps = 5 }, out shape);
        Assert.Equal(5, shape.Steps);
        Assert.Equal(6, longer.Sum());
    }

    [Fact]
    public void Wide_bins_express_time_scaling()
    {
        var frames = Binned(Events, new BinningOptions { BinWidthUs = 2000 }, out var shape);

        Assert.Equal(2, shape.Steps);
        Assert.Equal(Expected(shape, (0, 1, 0, 0, 2), (0, 0, 0, 2, 1), (0, 0, 2, 3, 2), (1, 1, 1, 1, 1)), frames);
    }

    [Fact]
    public void Down_sampling_divides_coordinates_and_rounds_the_frame_size_up()
    {
        var half = Binned(Events, new BinningOptions { Downsample = 2 }, out var shape);
        Assert.Equal(new FrameShape(3, 2, 2, 2), shape);
        // (0,0) -> (0,0); (2,0) -> (1,0); (3,2) -> (1,1); (1,1) -> (0,0).
        Assert.Equal(Expected(shape, (0, 1, 0, 0, 2), (0, 0, 0, 1, 1), (1, 0, 1, 1, 2), (2, 1, 0, 0, 1)), half);

        var third = Binned(Events, new BinningOptions { Downsample = 3, Mode = BinningMode.Binary }, out shape);
        Assert.Equal(new FrameShape(3, 2, 1, 2), shape);
        Assert.Equal(Expected(shape, (0, 1, 0, 0, 1), (0, 0, 0, 0, 1), (1, 0, 0, 1, 1), (2, 1, 0, 0, 1)), third);
    }

    [Fact]
    public void Merged_polarity_has_one_channel()
    {
        var frames = Binned(Events, new BinningOptions { MergePolarity = true, Downsample = 4 }, out var shape);

        Assert.Equal(new FrameShape(3, 1, 1, 1), shape);
        Assert.Equal(new float[] { 3, 2, 1 }, frames);
    }

    [Fact]
    public void The_tensor_holds_the_same_frames()
    {
        var options = new BinningOptions { Downsample = 2 };
        var expected = Binned(Events, options, out _);

        using var frames = EventBinning.ToFrames(Events, options);

        Assert.Equal(ScalarType.Float32, frames.dtype);
        Assert.Equal(new long[] { 3, 2, 2, 2 }, frames.shape);
        Assert.Equal(expected, frames.data<float>().ToArray());
    }

    [Fact]
    public void A_reused_buffer_is_cleared_up_to_the_frames_and_left_alone_after()
    {
        var buffer = Enumerable.Repeat(9f, 80).ToArray();

        var shape = EventBinning.ToFrames(Events, new BinningOptions(), buffer);

        Assert.Equal(72, shape.Length);
        Assert.Equal(6, buffer[..72].Sum());
        Assert.All(buffer[72..], v => Assert.Equal(9f, v));
        Assert.Throws<ArgumentException>(() => EventBinning.ToFrames(Events, new BinningOptions(), new float[71]));
    }

    [Fact]
    public void Empty_streams_have_no_steps_unless_asked()
    {
        var empty = EventStream.Empty(34, 34);

        Assert.Equal(new FrameShape(0, 2, 34, 34), EventBinning.Shape(empty, new BinningOptions()));
        Assert.Equal(0, EventBinning.Shape(Events, new BinningOptions { StartUs = 3000 }).Steps);
        using var frames = EventBinning.ToFrames(empty, new BinningOptions { Steps = 4 });
        Assert.Equal(new long[] { 4, 2, 34, 34 }, frames.shape);
        Assert.Equal(0, frames.sum().item<float>());
    }

    [Fact]
    public void Bad_options_and_events_outside_the_sensor_are_refused()
    {
        Assert.Throws<ArgumentException>(() => EventBinning.Shape(Events, new BinningOptions { BinWidthUs = 0 }));
        Assert.Throws<ArgumentException>(() => EventBinning.Shape(Events, new BinningOptions { Downsample = 0 }));
        Assert.Throws<ArgumentException>(() => EventBinning.Shape(Events, new BinningOptions { Steps = -1 }));
        Assert.Throws<ArgumentException>(() => EventBinning.Shape(Events, new BinningOptions { Steps = int.MaxValue }));

        var outside = new EventStream([0, 1], [0, 4], [0, 0], [0, 0], 4, 3);
        Assert.Contains("event 1", Assert.Throws<ArgumentException>(() => EventBinning.ToFrames(outside, new BinningOptions())).Message);
        var polarity = new EventStream([0], [0], [0], [2], 4, 3);
        Assert.Throws<ArgumentException>(() => EventBinning.ToFrames(polarity, new BinningOptions()));
    }

    [Fact]
    public void Matches_a_per_event_reference_on_random_streams()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = random.Next(0, 3000), w = random.Next(1, 50), h = random.Next(1, 50);
            var t = Enumerable.Range(0, n).Select(_ => random.NextInt64(-5_000, 200_000)).ToArray();
            if (trial % 2 == 0) Array.Sort(t);
            var events = new EventStream(t, [.. Enumerable.Range(0, n).Select(_ => (ushort)random.Next(w))],
                [.. Enumerable.Range(0, n).Select(_ => (ushort)random.Next(h))], [.. Enumerable.Range(0, n).Select(_ => (byte)random.Next(2))], w, h);
            var options = new BinningOptions
            {
                BinWidthUs = random.Next(1, 5000), Steps = random.Next(0, 2) == 0 ? null : random.Next(0, 100),
                StartUs = random.Next(-1000, 1000), Downsample = random.Next(1, 6), MergePolarity = random.Next(2) == 0,
                Mode = random.Next(2) == 0 ? BinningMode.Count : BinningMode.Binary,
            };

            var frames = Binned(events, options, out var s);

            var expected = new float[s.Length];
            for (int i = 0; i < n; i++)
            {
                long dt = t[i] - options.StartUs;
                if (dt < 0 || dt / options.BinWidthUs >= s.Steps) continue;
                int cell = (((int)(dt / options.BinWidthUs) * s.Channels + (options.MergePolarity ? 0 : events.Polarity[i])) * s.Height
                    + events.Y[i] / options.Downsample) * s.Width + events.X[i] / options.Downsample;
                expected[cell] = options.Mode == BinningMode.Binary ? 1 : expected[cell] + 1;
            }
            Assert.Equal(expected, frames);
        }
    }
}
