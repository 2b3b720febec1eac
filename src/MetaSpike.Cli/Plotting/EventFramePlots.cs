using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace MetaSpike.Cli.Plotting;

/// <summary>Pictures of event frames shaped (T, P, H, W): a PNG grid of time windows and an animated GIF.</summary>
/// <remarks>
/// Channel c of a two-channel frame holds the events of polarity c, as in <c>EventStream</c> (1 = ON, 0 = OFF).
/// ON counts are drawn red and OFF counts blue on white, a pixel with both darkening toward black; a one-channel
/// frame has no polarity and is drawn in grey. Intensity is linear in the count, scaled by the largest count over
/// the windows drawn.
/// </remarks>
internal static class EventFramePlots
{
    /// <summary>The most frames an animation gets; longer samples sum consecutive bins into each frame.</summary>
    public const int MaxAnimationFrames = 200;

    /// <summary>Shades per polarity in the GIF: 16 ON × 16 OFF mixtures fill GIF's 256 colours exactly.</summary>
    private const int GifLevels = 16;

    private const int Margin = 12, Gap = 12, TitleHeight = 30, LabelHeight = 18, MinCellWidth = 110, MaxColumns = 6;
    /// <summary>Room for a short title beside the legend when there are only one or two panels.</summary>
    private const int MinWidth = 360;
    private const double PanelTargetPixels = 150;

    /// <summary>
    /// A PNG with up to <paramref name="maxPanels"/> panels, each the sum of a run of consecutive bins,
    /// labelled with its time range, under <paramref name="title"/>.
    /// </summary>
    public static byte[] Grid(float[] data, int t, int p, int h, int w, double binMs, string title, int maxPanels = 12)
    {
        Validate(data, t, p, h, w, binMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPanels, 1);
        var layout = GridLayout.For(t, h, w, maxPanels);
        var sums = SumGroups(data, t, p, h, w, layout.Panels);
        float max = Max(sums);

        using var surface = SKSurface.Create(new SKImageInfo(layout.Width, layout.Height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var titleFont = new SKFont(Fonts.GetTypeface(Fonts.Default, true, false), 16);
        using var labelFont = new SKFont(Fonts.GetTypeface(Fonts.Default, false, false), 12);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var border = new SKPaint { Color = SKColors.LightGray, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawText(title, Margin, Margin + 18, titleFont, ink);
        if (p == 2) DrawLegend(canvas, layout.Width - Margin, Margin + 18, labelFont, ink);

        using var bitmap = new SKBitmap(layout.PanelWidth, layout.PanelHeight);
        for (int g = 0; g < layout.Panels; g++)
        {
            var (x, y) = layout.PanelOrigin(g);
            var (first, end) = Bins(g, layout.Panels, t);
            canvas.DrawText(
                string.Create(CultureInfo.InvariantCulture, $"{first * binMs:0.##}–{end * binMs:0.##} ms"),
                x, y - 5, labelFont, ink);
            var colours = Shade(sums[g], p, h * w, (on, off) => Colour(Fraction(on, max), Fraction(off, max)));
            bitmap.Pixels = Upscale(colours, h, w, layout.Scale);
            canvas.DrawBitmap(bitmap, x, y);
            // Drawn just outside the panel so that it never covers an event pixel.
            canvas.DrawRect(x - 0.5f, y - 0.5f, layout.PanelWidth + 1, layout.PanelHeight + 1, border);
        }
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>
    /// A looping GIF with one frame per bin, or per run of consecutive bins when there are more than
    /// <see cref="MaxAnimationFrames"/>; each sensor pixel becomes a <paramref name="scale"/> × <paramref name="scale"/> block.
    /// </summary>
    public static byte[] Animation(float[] data, int t, int p, int h, int w, double binMs, int scale = 4, int frameDelayMs = 40)
    {
        Validate(data, t, p, h, w, binMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        int frames = Math.Min(t, MaxAnimationFrames);
        var sums = SumGroups(data, t, p, h, w, frames);
        float max = Max(sums);
        var indices = sums.Select(sum =>
            Upscale(Shade(sum, p, h * w, (on, off) => (byte)(Level(on, max) * GifLevels + Level(off, max))), h, w, scale));
        var palette = Enumerable.Range(0, GifLevels * GifLevels)
            .Select(i => Mix(i / GifLevels / (GifLevels - 1.0), i % GifLevels / (GifLevels - 1.0)))
            .ToArray();
        return GifEncoder.Encode(w * scale, h * scale, palette, indices, frameDelayMs);
    }

    /// <summary>Where the grid puts its panels; a 34 × 34 sensor is scaled ×4 to a 136-pixel panel.</summary>
    internal readonly record struct GridLayout(int Panels, int Columns, int Scale, int PanelWidth, int PanelHeight)
    {
        private int CellWidth => Math.Max(PanelWidth, MinCellWidth);

        private int Rows => (Panels + Columns - 1) / Columns;

        /// <summary>Image width in pixels.</summary>
        public int Width => Math.Max(MinWidth, 2 * Margin + Columns * (CellWidth + Gap) - Gap);

        /// <summary>Image height in pixels.</summary>
        public int Height => 2 * Margin + TitleHeight + Rows * (LabelHeight + PanelHeight + Gap) - Gap;

        /// <summary>The layout for <paramref name="t"/> bins of an <paramref name="h"/> × <paramref name="w"/> sensor.</summary>
        public static GridLayout For(int t, int h, int w, int maxPanels)
        {
            int panels = Math.Min(t, maxPanels);
            // Whole-number scales keep every sensor pixel a crisp block; large sensors are never shrunk, which would drop events.
            int scale = Math.Max(1, (int)Math.Round(PanelTargetPixels / Math.Max(h, w)));
            return new GridLayout(panels, Math.Min(panels, MaxColumns), scale, w * scale, h * scale);
        }

        /// <summary>The top-left pixel of panel <paramref name="index"/>'s image (its label sits above).</summary>
        public (int X, int Y) PanelOrigin(int index) => (
            Margin + index % Columns * (CellWidth + Gap),
            Margin + TitleHeight + index / Columns * (LabelHeight + PanelHeight + Gap) + LabelHeight);
    }

    /// <summary>Bins [First, End) summed into group <paramref name="group"/> of <paramref name="groups"/>; sizes differ by at most one.</summary>
    internal static (int First, int End) Bins(int group, int groups, int t) =>
        ((int)((long)group * t / groups), (int)((long)(group + 1) * t / groups));

    /// <summary>The RGB of a pixel with ON and OFF intensities in [0, 1]: each polarity removes its complement from white.</summary>
    internal static (byte R, byte G, byte B) Mix(double on, double off) =>
        (Byte(1 - off), Byte(1 - Math.Max(on, off)), Byte(1 - on));

    /// <summary>The count as a fraction of the largest; 0 when the sample is empty.</summary>
    private static double Fraction(float count, float max) => count > 0 ? count / max : 0;

    private static byte Byte(double fraction) => (byte)Math.Round(255 * Math.Clamp(fraction, 0, 1));

    private static SKColor Colour(double on, double off)
    {
        var (r, g, b) = Mix(on, off);
        return new SKColor(r, g, b);
    }

    /// <summary>A GIF shade 0 to 15, rounded up so that no event quantises to white.</summary>
    private static int Level(float count, float max) =>
        count > 0 ? Math.Clamp((int)Math.Ceiling(count / max * (GifLevels - 1)), 1, GifLevels - 1) : 0;

    private static void Validate(float[] data, int t, int p, int h, int w, double binMs)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (t < 1 || h < 1 || w < 1 || p is not (1 or 2))
            throw new ArgumentException(
                $"event frames are shaped (T, P, H, W) with T, H, W >= 1 and P = 1 or 2, not ({t}, {p}, {h}, {w}).", nameof(data));
        if (data.Length != (long)t * p * h * w)
            throw new ArgumentException(
                $"data has {data.Length} values but shape (T, P, H, W) = ({t}, {p}, {h}, {w}) needs {(long)t * p * h * w}.", nameof(data));
        if (!(binMs > 0) || double.IsInfinity(binMs))
            throw new ArgumentOutOfRangeException(nameof(binMs), binMs, "the bin width must be a positive number of milliseconds.");
    }

    /// <summary>Sums consecutive bins into <paramref name="groups"/> frames of P × H × W counts; negative or NaN counts add nothing.</summary>
    private static float[][] SumGroups(float[] data, int t, int p, int h, int w, int groups)
    {
        int frame = p * h * w;
        var sums = new float[groups][];
        for (int g = 0; g < groups; g++)
        {
            var sum = sums[g] = new float[frame];
            var (first, end) = Bins(g, groups, t);
            for (int bin = first; bin < end; bin++)
            {
                var counts = data.AsSpan(bin * frame, frame);
                for (int i = 0; i < frame; i++)
                    if (counts[i] > 0) sum[i] += counts[i];
            }
        }
        return sums;
    }

    private static float Max(float[][] sums) => sums.Max(sum => sum.Max());

    /// <summary>One value per sensor pixel from its ON and OFF counts (a one-channel frame passes its count as both).</summary>
    private static T[] Shade<T>(float[] sum, int p, int pixels, Func<float, float, T> shade)
    {
        var shades = new T[pixels];
        int on = (p - 1) * pixels;
        for (int i = 0; i < pixels; i++) shades[i] = shade(sum[on + i], sum[i]);
        return shades;
    }

    /// <summary>Nearest-neighbour enlargement of an h × w image by a whole factor.</summary>
    private static T[] Upscale<T>(T[] pixels, int h, int w, int scale)
    {
        int width = w * scale;
        var scaled = new T[h * scale * width];
        for (int y = 0; y < h * scale; y++)
        for (int x = 0; x < width; x++)
            scaled[y * width + x] = pixels[y / scale * w + x / scale];
        return scaled;
    }

    /// <summary>Right-aligned colour keys for ON and OFF, ending at <paramref name="right"/>.</summary>
    private static void DrawLegend(SKCanvas canvas, float right, float baseline, SKFont font, SKPaint ink)
    {
        foreach (var (label, colour) in new[] { ("OFF", Colour(0, 1)), ("ON", Colour(1, 0)) })
        {
            right -= font.MeasureText(label);
            canvas.DrawText(label, right, baseline, font, ink);
            right -= 16;
            using var swatch = new SKPaint { Color = colour };
            canvas.DrawRect(right, baseline - 11, 12, 12, swatch);
            right -= 12;
        }
    }
}
