using System.Text;
using MetaSpike.Cli.Plotting;
using SkiaSharp;

namespace MetaSpike.Tests.Cli;

public sealed class EventFramePlotsTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly SKColor Red = new(255, 0, 0), Blue = new(0, 0, 255), Black = new(0, 0, 0), White = new(255, 255, 255);

    /// <summary>A (T, P, H, W) tensor, zero but for the listed counts; channel 1 is ON, channel 0 OFF.</summary>
    private static float[] Frames(int t, int p, int h, int w, params (int T, int P, int Y, int X, float Count)[] events)
    {
        var data = new float[t * p * h * w];
        foreach (var e in events) data[((e.T * p + e.P) * h + e.Y) * w + e.X] += e.Count;
        return data;
    }

    /// <summary>The colour at the centre of the block that sensor pixel (y, x) becomes in a grid panel.</summary>
    private static SKColor PanelPixel(SKBitmap bitmap, EventFramePlots.GridLayout layout, int panel, int y, int x)
    {
        var (left, top) = layout.PanelOrigin(panel);
        return bitmap.GetPixel(left + x * layout.Scale + layout.Scale / 2, top + y * layout.Scale + layout.Scale / 2);
    }

    private static int NonWhitePanelPixels(SKBitmap bitmap, EventFramePlots.GridLayout layout)
    {
        int count = 0;
        for (int panel = 0; panel < layout.Panels; panel++)
        {
            var (left, top) = layout.PanelOrigin(panel);
            for (int y = top; y < top + layout.PanelHeight; y++)
            for (int x = left; x < left + layout.PanelWidth; x++)
                if (bitmap.GetPixel(x, y) != White) count++;
        }
        return count;
    }

    private static SKBitmap DecodePng(byte[] png)
    {
        Assert.Equal(PngSignature, png[..8]);
        return SKBitmap.Decode(png) ?? throw new InvalidDataException("SkiaSharp could not decode the PNG.");
    }

    /// <summary>Every frame of a GIF, decoded by Skia's own GIF reader; each must stand alone (no required frame).</summary>
    private static (SKBitmap[] Frames, SKCodecFrameInfo[] Info) DecodeGif(byte[] gif)
    {
        Assert.Equal("GIF89a"u8.ToArray(), gif[..6]);
        Assert.Contains("NETSCAPE2.0", Encoding.ASCII.GetString(gif));
        Assert.Equal(0x3B, gif[^1]);
        using var codec = SKCodec.Create(new MemoryStream(gif)) ?? throw new InvalidDataException("SkiaSharp could not open the GIF.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var frames = new SKBitmap[codec.FrameCount];
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.Equal(-1, codec.FrameInfo[i].RequiredFrame);
            frames[i] = new SKBitmap(info);
            Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, frames[i].GetPixels(), new SKCodecOptions(i)));
        }
        return (frames, codec.FrameInfo);
    }

    [Fact]
    public void Grid_is_a_png_with_on_events_red_and_off_events_blue_in_their_time_windows()
    {
        // 24 bins summed into 12 windows of 2: an ON event in bin 1 is in window 0, an OFF event in bin 23 in window 11.
        var data = Frames(24, 2, 34, 34, (1, 1, 5, 10, 3), (23, 0, 20, 25, 3));
        using var bitmap = DecodePng(EventFramePlots.Grid(data, 24, 2, 34, 34, 1.0, "N-MNIST, digit 3"));

        var layout = EventFramePlots.GridLayout.For(24, 34, 34, maxPanels: 12);
        Assert.Equal((12, 4, 136, 136), (layout.Panels, layout.Scale, layout.PanelWidth, layout.PanelHeight));
        Assert.Equal((layout.Width, layout.Height), (bitmap.Width, bitmap.Height));
        Assert.Equal(Red, PanelPixel(bitmap, layout, 0, 5, 10));
        Assert.Equal(Blue, PanelPixel(bitmap, layout, 11, 20, 25));
        Assert.Equal(White, PanelPixel(bitmap, layout, 11, 5, 10));
        Assert.Equal(White, PanelPixel(bitmap, layout, 0, 20, 25));
        // Each event is one 4 x 4 block; the rest of every panel is white background.
        Assert.Equal(2 * 16, NonWhitePanelPixels(bitmap, layout));
    }

    [Fact]
    public void Grid_draws_the_title_and_window_labels()
    {
        var data = Frames(24, 2, 34, 34, (0, 1, 0, 0, 1));
        using var bitmap = DecodePng(EventFramePlots.Grid(data, 24, 2, 34, 34, 12.5, "a title"));
        var layout = EventFramePlots.GridLayout.For(24, 34, 34, maxPanels: 12);
        var (left, top) = layout.PanelOrigin(0);

        static int Inked(SKBitmap bitmap, int x0, int x1, int y0, int y1)
        {
            int count = 0;
            for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                if (bitmap.GetPixel(x, y).Red < 128) count++;
            return count;
        }

        Assert.True(Inked(bitmap, 0, bitmap.Width / 2, 0, top - 20) > 20, "no title text above the panels");
        Assert.True(Inked(bitmap, left, left + layout.PanelWidth, top - 18, top - 1) > 20, "no label above the first panel");
    }

    [Fact]
    public void Grid_scales_intensity_by_the_largest_count_and_mixes_polarities()
    {
        // One window: ON 2 (the maximum) is full red, ON 1 half red, ON and OFF 2 together black.
        var data = Frames(1, 2, 8, 8, (0, 1, 0, 0, 2), (0, 1, 1, 1, 1), (0, 1, 2, 2, 2), (0, 0, 2, 2, 2));
        using var bitmap = DecodePng(EventFramePlots.Grid(data, 1, 2, 8, 8, 1.0, "mix"));
        var layout = EventFramePlots.GridLayout.For(1, 8, 8, maxPanels: 12);

        Assert.Equal(1, layout.Panels);
        Assert.Equal(Red, PanelPixel(bitmap, layout, 0, 0, 0));
        Assert.Equal(new SKColor(255, 128, 128), PanelPixel(bitmap, layout, 0, 1, 1));
        Assert.Equal(Black, PanelPixel(bitmap, layout, 0, 2, 2));
    }

    [Fact]
    public void Grid_of_one_channel_frames_draws_unsigned_counts_in_grey()
    {
        var data = Frames(3, 1, 5, 7, (2, 0, 4, 6, 1));
        using var bitmap = DecodePng(EventFramePlots.Grid(data, 3, 1, 5, 7, 2.0, "SHD-like", maxPanels: 12));
        var layout = EventFramePlots.GridLayout.For(3, 5, 7, maxPanels: 12);

        Assert.Equal(3, layout.Panels);
        Assert.Equal(Black, PanelPixel(bitmap, layout, 2, 4, 6));
        Assert.Equal(layout.Scale * layout.Scale, NonWhitePanelPixels(bitmap, layout));
    }

    [Fact]
    public void Empty_sample_renders_white_panels_and_white_frames()
    {
        var data = new float[5 * 2 * 34 * 34];
        using var bitmap = DecodePng(EventFramePlots.Grid(data, 5, 2, 34, 34, 1.0, "empty"));
        Assert.Equal(0, NonWhitePanelPixels(bitmap, EventFramePlots.GridLayout.For(5, 34, 34, maxPanels: 12)));

        var (frames, _) = DecodeGif(EventFramePlots.Animation(data, 5, 2, 34, 34, 1.0));
        Assert.Equal(5, frames.Length);
        Assert.All(frames, frame => Assert.All(frame.Pixels, pixel => Assert.Equal(White, pixel)));
    }

    [Fact]
    public void Animation_round_trips_through_skia_with_one_frame_per_bin_and_the_delay()
    {
        var data = Frames(10, 2, 34, 34, (0, 1, 5, 10, 2), (9, 0, 20, 25, 2), (9, 1, 30, 3, 1));
        var (frames, info) = DecodeGif(EventFramePlots.Animation(data, 10, 2, 34, 34, 1.0, scale: 4, frameDelayMs: 40));

        Assert.Equal(10, frames.Length);
        Assert.All(info, frame => Assert.Equal(40, frame.Duration));
        Assert.All(frames, frame => Assert.Equal((136, 136), (frame.Width, frame.Height)));
        var (first, last) = (frames[0], frames[^1]);
        Assert.Equal(Red, first.GetPixel(10 * 4 + 1, 5 * 4 + 2));
        Assert.Equal(White, first.GetPixel(25 * 4 + 1, 20 * 4 + 2));
        Assert.Equal(Blue, last.GetPixel(25 * 4 + 3, 20 * 4));
        Assert.Equal(White, last.GetPixel(10 * 4 + 1, 5 * 4 + 2));
        // Half the largest count is a lighter red, never quantised away to white.
        var faint = last.GetPixel(3 * 4, 30 * 4 + 3);
        Assert.Equal(255, faint.Red);
        Assert.Equal(faint.Green, faint.Blue);
        Assert.InRange(faint.Green, 1, 254);
    }

    [Fact]
    public void Long_samples_sum_bins_so_the_animation_has_at_most_200_frames()
    {
        var data = Frames(450, 2, 2, 3, (0, 1, 0, 0, 1), (449, 0, 1, 2, 1));
        var (frames, _) = DecodeGif(EventFramePlots.Animation(data, 450, 2, 2, 3, 1.0, scale: 1, frameDelayMs: 20));

        Assert.Equal(EventFramePlots.MaxAnimationFrames, frames.Length);
        Assert.Equal(Red, frames[0].GetPixel(0, 0));
        Assert.Equal(Blue, frames[^1].GetPixel(2, 1));
        Assert.All(frames[1..^1], frame => Assert.All(frame.Pixels, pixel => Assert.Equal(White, pixel)));
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(2, true)]
    [InlineData(5, true)]
    [InlineData(256, false)]
    [InlineData(256, true)]
    public void Gif_encoder_output_decodes_to_the_same_pixels(int colours, bool runs)
    {
        // Noise over 256 colours fills the 4096-code table many times (widths 9 to 12, then clear codes);
        // long runs make long strings; 5 colours pads the global table to 8.
        const int width = 97, height = 61;
        var random = new Random(colours + (runs ? 1000 : 0));
        var palette = Enumerable.Range(0, colours)
            .Select(_ => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)))
            .ToArray();
        var frames = Enumerable.Range(0, 3).Select(_ =>
        {
            var frame = new byte[width * height];
            for (int i = 0; i < frame.Length; i++)
                frame[i] = runs && i > 0 && random.Next(40) > 0 ? frame[i - 1] : (byte)random.Next(colours);
            return frame;
        }).ToArray();

        var (decoded, info) = DecodeGif(GifEncoder.Encode(width, height, palette, frames, delayMs: 100));

        Assert.Equal(3, decoded.Length);
        Assert.All(info, frame => Assert.Equal(100, frame.Duration));
        for (int f = 0; f < frames.Length; f++)
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            var (r, g, b) = palette[frames[f][y * width + x]];
            Assert.Equal(new SKColor(r, g, b), decoded[f].GetPixel(x, y));
        }
    }

    [Fact]
    public void Gif_encoder_rejects_frames_that_do_not_fit_the_canvas_or_palette()
    {
        (byte, byte, byte)[] palette = [(0, 0, 0), (255, 255, 255)];
        Assert.Throws<ArgumentException>(() => GifEncoder.Encode(2, 2, palette, [new byte[3]], 40));
        Assert.Throws<ArgumentException>(() => GifEncoder.Encode(2, 2, palette, [[0, 1, 2, 0]], 40));
        Assert.Throws<ArgumentException>(() => GifEncoder.Encode(2, 2, palette, [], 40));
    }

    [Theory]
    [InlineData(35, 2, 2, "35", "(2, 2, 3, 3)")]
    [InlineData(37, 2, 2, "37", "(2, 2, 3, 3)")]
    [InlineData(54, 2, 3, "(2, 3, 3, 3)", "P = 1 or 2")]
    [InlineData(0, 0, 2, "(0, 2, 3, 3)", "T, H, W >= 1")]
    public void Invalid_shapes_throw_naming_the_shapes(int length, int t, int p, string shape, string detail)
    {
        var data = new float[length];
        var grid = Assert.Throws<ArgumentException>(() => EventFramePlots.Grid(data, t, p, 3, 3, 1.0, "bad"));
        var animation = Assert.Throws<ArgumentException>(() => EventFramePlots.Animation(data, t, p, 3, 3, 1.0));
        foreach (var error in new[] { grid, animation })
        {
            Assert.Contains(shape, error.Message);
            Assert.Contains(detail, error.Message);
        }
    }
}
