using MetaSpike.Maml;
using ScottPlot;

namespace MetaSpike.Cli.Plotting;

/// <summary>PNG figures of meta-learning runs.</summary>
internal static class MamlPlots
{
    /// <summary>Meta-training query accuracy and meta-validation accuracy against the meta-iteration.</summary>
    public static byte[] LearningCurve(string title, IReadOnlyList<CurvePoint> curve, double chance, int width = 800, int height = 450)
    {
        var plot = new Plot();
        var xs = curve.Select(p => (double)p.Iteration).ToArray();
        var train = plot.Add.ScatterLine(xs, curve.Select(p => p.TrainQueryAccuracy).ToArray());
        train.LegendText = "meta-train query accuracy (after adaptation)";
        train.LineWidth = 2;
        var validation = plot.Add.ScatterLine(xs, curve.Select(p => p.ValidationAccuracy).ToArray());
        validation.LegendText = "meta-validation accuracy (after adaptation)";
        validation.LineWidth = 2;
        var chanceLine = plot.Add.HorizontalLine(chance);
        chanceLine.LinePattern = LinePattern.Dashed;
        chanceLine.LegendText = "chance";
        plot.Axes.SetLimitsY(0, 1);
        plot.Title(title);
        plot.XLabel("meta-iteration");
        plot.YLabel("accuracy");
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Accuracy (mean ± std over trials) against a setting such as the inner steps at test time.</summary>
    public static byte[] Sweep(string title, string xLabel, IReadOnlyList<(double X, EvaluationSummary Result)> points, double chance, int width = 800, int height = 450)
    {
        var plot = new Plot();
        var xs = points.Select(p => p.X).ToArray();
        var ys = points.Select(p => p.Result.Mean).ToArray();
        var line = plot.Add.Scatter(xs, ys);
        line.LineWidth = 2;
        line.MarkerSize = 8;
        var bars = plot.Add.ErrorBar(xs, ys, points.Select(p => p.Result.Std).ToArray());
        bars.Color = line.Color;
        var chanceLine = plot.Add.HorizontalLine(chance);
        chanceLine.LinePattern = LinePattern.Dashed;
        plot.Axes.SetLimitsY(0, 1);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("meta-test accuracy (mean ± std over trials)");
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Log-binned histograms of update magnitudes, one line per kind of update (zeros not shown).</summary>
    public static byte[] Histograms(string title, IReadOnlyList<(string Label, UpdateHistogram Histogram)> series, int width = 800, int height = 450)
    {
        var plot = new Plot();
        foreach (var (label, histogram) in series)
        {
            double total = Math.Max(1, histogram.Total);
            var xs = histogram.Bins.Centers.Select(Math.Log10).ToArray();
            var ys = histogram.Counts.Select(n => n / total).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = $"{label} ({100.0 * histogram.Zeros / total:F0} % zero)";
            line.LineWidth = 2;
        }
        plot.Title(title);
        plot.XLabel("log10 |dw|");
        plot.YLabel("fraction of weights");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
