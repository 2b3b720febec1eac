using ScottPlot;
using SkiaSharp;

namespace MetaSpike.Cli.Plotting;

/// <summary>PNG figures of surrogate derivatives.</summary>
internal static class SurrogatePlots
{
    /// <summary>One chart with a curve per entry (solid G, dashed F where sampled).</summary>
    public static byte[] Curves(string title, IReadOnlyList<SurrogateCurve> curves, int width = 900, int height = 560)
    {
        var plot = Build(title, curves, legend: true);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>A grid of small charts, one per curve, composed into one PNG.</summary>
    public static byte[] Grid(IReadOnlyList<SurrogateCurve> curves, int columns, int cellWidth = 360, int cellHeight = 250)
    {
        int rows = (curves.Count + columns - 1) / columns;
        using var surface = SKSurface.Create(new SKImageInfo(columns * cellWidth, rows * cellHeight));
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < curves.Count; i++)
        {
            var cell = Build(curves[i].Label, [curves[i]], legend: false);
            using var image = SKImage.FromEncodedData(cell.GetImageBytes(cellWidth, cellHeight, ImageFormat.Png));
            surface.Canvas.DrawImage(image, i % columns * cellWidth, i / columns * cellHeight);
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static Plot Build(string title, IReadOnlyList<SurrogateCurve> curves, bool legend)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < curves.Count; i++)
        {
            var color = palette.GetColor(i);
            var g = plot.Add.ScatterLine(curves[i].X, curves[i].G, color);
            g.LineWidth = 2;
            g.LegendText = legend ? $"G, {curves[i].Label}" : "";
            if (curves[i].F is { } f)
            {
                var line = plot.Add.ScatterLine(curves[i].X, f, color);
                line.LinePattern = LinePattern.Dashed;
                line.LegendText = legend ? $"F, {curves[i].Label}" : "";
            }
        }
        plot.Title(title, size: legend ? 16 : 12);
        plot.XLabel("x = v - v_th");
        plot.YLabel(legend ? "G(x) = surrogate dH/dx" : "G(x)");
        if (legend) plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }
}
