using ScottPlot;

namespace MetaSpike.Cli.Plotting;

/// <summary>PNG figures of the SuperSpike tutorial and of in-the-loop training.</summary>
internal static class SuperSpikePlots
{
    /// <summary>
    /// The tutorial's figure pair: the normalised membrane with the target spike times as vertical lines (top) and
    /// the van Rossum error trace (bottom), against time in µs.
    /// </summary>
    public static byte[] EpochFigure(string title, double dtUs, IReadOnlyList<double> membrane, IReadOnlyList<double> targetUs, IReadOnlyList<double> error,
        int width = 900, int height = 600)
    {
        var time = Enumerable.Range(0, membrane.Count).Select(k => k * dtUs).ToArray();
        var top = new Plot();
        top.Add.ScatterLine(time, membrane.ToArray()).LineWidth = 1.5f;
        foreach (double t in targetUs)
        {
            var line = top.Add.VerticalLine(t);
            line.LineColor = Colors.Orange;
            line.LineWidth = 2;
        }
        top.Axes.SetLimits(0, time[^1], Math.Min(-0.1, membrane.Min() - 0.05), Math.Max(1.1, membrane.Max() + 0.05));
        top.Title(title);
        top.YLabel("norm. membrane");
        var bottom = new Plot();
        bottom.Add.ScatterLine(time, error.ToArray()).LineWidth = 1.5f;
        double extent = Math.Max(0.5, error.Max(Math.Abs) * 1.1);
        bottom.Axes.SetLimits(0, time[^1], -extent, extent);
        bottom.XLabel("time / µs");
        bottom.YLabel("error trace");
        var figure = new Multiplot(top);
        figure.AddPlot(bottom);
        figure.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 1);
        return figure.Render(width, height).GetImageBytes(ImageFormat.Png);
    }

    /// <summary>Curves against the training step, one per named series (e.g. accuracy of two training methods).</summary>
    public static byte[] Curves(string title, string yLabel, IReadOnlyList<(string Label, IReadOnlyList<double> Values)> series, double? reference = null,
        int width = 800, int height = 450)
    {
        var plot = new Plot();
        foreach (var (label, values) in series)
        {
            var line = plot.Add.ScatterLine(Enumerable.Range(1, values.Count).Select(i => (double)i).ToArray(), values.ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
        }
        if (reference is { } r)
        {
            var chance = plot.Add.HorizontalLine(r);
            chance.LinePattern = LinePattern.Dashed;
            chance.LegendText = "chance";
        }
        plot.Title(title);
        plot.XLabel("training step");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
