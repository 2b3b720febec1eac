using ScottPlot;

namespace MetaSpike.Cli.Plotting;

/// <summary>PNG figures of training runs.</summary>
internal static class TrainingPlots
{
    /// <summary>A loss curve over epochs.</summary>
    public static byte[] LossCurve(string title, IReadOnlyList<double> losses, int width = 800, int height = 450)
    {
        var plot = new Plot();
        var xs = Enumerable.Range(1, losses.Count).Select(i => (double)i).ToArray();
        var line = plot.Add.ScatterLine(xs, losses.ToArray());
        line.LineWidth = 2;
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("training loss");
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>A spike raster: spikes[t, sample, neuron], one row per (sample, neuron), samples separated by lines.</summary>
    public static byte[] Raster(string title, float[,,] spikes, double dtMs, int width = 900, int height = 500)
    {
        int steps = spikes.GetLength(0), samples = spikes.GetLength(1), neurons = spikes.GetLength(2);
        var plot = new Plot();
        var xs = new List<double>();
        var ys = new List<double>();
        for (int s = 0; s < samples; s++)
        for (int n = 0; n < neurons; n++)
        for (int t = 0; t < steps; t++)
            if (spikes[t, s, n] > 0)
            {
                xs.Add(t * dtMs);
                ys.Add(s * neurons + n);
            }
        var markers = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
        markers.MarkerShape = MarkerShape.VerticalBar;
        markers.MarkerSize = 8;
        for (int s = 1; s < samples; s++)
        {
            var separator = plot.Add.HorizontalLine(s * neurons - 0.5);
            separator.LineColor = Colors.Gray.WithAlpha(0.5);
            separator.LineWidth = 1;
        }
        plot.Axes.SetLimits(0, steps * dtMs, -0.5, samples * neurons - 0.5);
        plot.Title(title);
        plot.XLabel("time (ms)");
        plot.YLabel($"sample × neuron ({samples} samples, {neurons} neurons each)");
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
