using ScottPlot;
using SkiaSharp;

namespace MetaSpike.Cli.Plotting;

/// <summary>PNG figures of bi-level surrogate meta-learning and the Fashion-MNIST comparison.</summary>
internal static class MetaPlotsC
{
    /// <summary>A named line of a chart; <paramref name="Color"/> indexes the Category10 palette (default: the line's position).</summary>
    internal sealed record PlotSeries(string Label, double[] X, double[] Y, int Color = -1);

    /// <summary>A chart of several lines; the legend (of the series with a label) goes in the <paramref name="Legend"/> corner.</summary>
    internal sealed record LinePanel(string Title, string XLabel, string YLabel, IReadOnlyList<PlotSeries> Series, Alignment Legend = Alignment.UpperRight);

    /// <summary>A bar with a mean, a standard deviation and the values behind them.</summary>
    internal sealed record BarGroup(string Label, double Mean, double Std, IReadOnlyList<double> Values);

    /// <summary>Line charts side by side, one PNG.</summary>
    public static byte[] LinePanels(IReadOnlyList<LinePanel> panels, int panelWidth = 520, int height = 420) =>
        Compose(panels.Select(Lines).ToArray(), panelWidth, height);

    /// <summary>A bar chart (mean ± std, with each value as a dot) beside line charts, one PNG.</summary>
    public static byte[] BarsAndLines(string barTitle, string barYLabel, IReadOnlyList<BarGroup> bars, IReadOnlyList<LinePanel> panels,
        int panelWidth = 520, int height = 420) =>
        Compose([Bars(barTitle, barYLabel, bars), .. panels.Select(Lines)], panelWidth, height);

    private static Plot Lines(LinePanel panel)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < panel.Series.Count; i++)
        {
            var s = panel.Series[i];
            var line = plot.Add.ScatterLine(s.X, s.Y, palette.GetColor(s.Color >= 0 ? s.Color : i));
            line.LineWidth = 2;
            line.LegendText = s.Label;
        }
        plot.Title(panel.Title, size: 14);
        plot.XLabel(panel.XLabel);
        plot.YLabel(panel.YLabel);
        if (panel.Series.Any(s => s.Label.Length > 0)) plot.ShowLegend(panel.Legend);
        return plot;
    }

    private static Plot Bars(string title, string yLabel, IReadOnlyList<BarGroup> groups)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < groups.Count; i++)
        {
            var bar = plot.Add.Bar(new Bar { Position = i, Value = groups[i].Mean, Error = groups[i].Std, FillColor = palette.GetColor(i).WithAlpha(0.7) });
            bar.ValueLabelStyle.IsVisible = false;
            var dots = plot.Add.ScatterPoints(groups[i].Values.Select(_ => (double)i).ToArray(), groups[i].Values.ToArray(), Colors.Black);
            dots.MarkerSize = 6;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray(), groups.Select(g => g.Label).ToArray());
        double low = groups.Min(g => Math.Min(g.Mean - g.Std, g.Values.DefaultIfEmpty(g.Mean).Min()));
        double high = groups.Max(g => Math.Max(g.Mean + g.Std, g.Values.DefaultIfEmpty(g.Mean).Max()));
        double margin = Math.Max(0.02, 0.25 * (high - low));
        plot.Axes.SetLimits(-0.6, groups.Count - 0.4, Math.Max(0, low - margin), high + margin);
        plot.Title(title, size: 14);
        plot.YLabel(yLabel);
        return plot;
    }

    private static byte[] Compose(IReadOnlyList<Plot> plots, int panelWidth, int height)
    {
        using var surface = SKSurface.Create(new SKImageInfo(plots.Count * panelWidth, height));
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < plots.Count; i++)
        {
            using var image = SKImage.FromEncodedData(plots[i].GetImageBytes(panelWidth, height, ImageFormat.Png));
            surface.Canvas.DrawImage(image, i * panelWidth, 0);
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
