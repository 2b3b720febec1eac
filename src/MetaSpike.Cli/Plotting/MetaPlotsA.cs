using System.Globalization;
using MetaSpike.MetaLearning;
using ScottPlot;
using SkiaSharp;

namespace MetaSpike.Cli.Plotting;

/// <summary>A labelled series over training steps.</summary>
/// <param name="Label">Legend text.</param>
/// <param name="Values">One value per step.</param>
/// <param name="Dashed">Draw it dashed (e.g. the learned run among fixed ones).</param>
internal sealed record StepSeries(string Label, IReadOnlyList<double> Values, bool Dashed = false);

/// <summary>
/// Figures of the surrogate-meta scenarios derivatives, basic, fixed-vs-learned, multi-parameter and schedules
/// (braintools' meta-learning tutorial): several ScottPlot charts composed into one PNG where the tutorial has panels.
/// </summary>
internal static class MetaPlotsA
{
    /// <summary>Losses at or below this are drawn at it on logarithmic axes (a count loss reaches exactly 0).</summary>
    public const double LogFloor = 1e-2;

    /// <summary>The two-panel figure: L(alpha) and dL/dalpha (autograd line, finite differences as markers).</summary>
    public static byte[] LossVsAlpha(IReadOnlyList<HyperparameterLossPoint> points, string lossText, double reference = 4.0)
    {
        var alphas = points.Select(p => p.Value).ToArray();
        var loss = new Plot();
        var line = loss.Add.Scatter(alphas, points.Select(p => p.Loss).ToArray());
        line.LineWidth = 2.5f;
        line.MarkerSize = 4;
        line.LegendText = lossText;
        Reference(loss, reference);
        loss.Title("Loss vs surrogate hyperparameter");
        loss.XLabel("alpha");
        loss.YLabel("loss");
        loss.ShowLegend(Alignment.LowerRight);

        var gradient = new Plot();
        var g = gradient.Add.Scatter(alphas, points.Select(p => p.Gradient).ToArray(), Colors.Red);
        g.LineWidth = 2.5f;
        g.MarkerSize = 0;
        g.LegendText = "dL/dalpha (autograd)";
        var fd = gradient.Add.ScatterPoints(alphas, points.Select(p => p.FiniteDifference).ToArray(), Colors.Black);
        fd.MarkerShape = MarkerShape.OpenCircle;
        fd.MarkerSize = 6;
        fd.LegendText = "central finite differences";
        var zero = gradient.Add.HorizontalLine(0);
        zero.LineColor = Colors.Black.WithAlpha(0.3);
        zero.LineWidth = 1;
        Reference(gradient, reference);
        gradient.Title("Hyperparameter gradient");
        gradient.XLabel("alpha");
        gradient.YLabel("dL/dalpha");
        gradient.ShowLegend(Alignment.UpperRight);
        return Compose([loss, gradient], columns: 2, cellWidth: 720, cellHeight: 480);
    }

    /// <summary>The 2x2 figure: G(x; alpha) per alpha, titled with its peak and dG/dalpha at x = 0.</summary>
    public static byte[] GradientShapes(IReadOnlyList<SurrogateGradientShape> shapes, string family)
    {
        var plots = new List<Plot>();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < shapes.Count; i++)
        {
            var s = shapes[i];
            var plot = new Plot();
            var color = palette.GetColor(i);
            var fill = plot.Add.FillY(s.X, s.G, new double[s.X.Length]);
            fill.FillColor = color.WithAlpha(0.25);
            fill.LineWidth = 0;
            var curve = plot.Add.ScatterLine(s.X, s.G, color);
            curve.LineWidth = 2.5f;
            curve.LegendText = F($"G(x; alpha={s.Value:G4})");
            var axis = plot.Add.VerticalLine(0);
            axis.LineColor = Colors.Red.WithAlpha(0.5);
            axis.LinePattern = LinePattern.Dashed;
            plot.Title(F($"{family}, alpha = {s.Value:G4} | peak G = {s.Peak:F3} | dG/dalpha at x=0: {s.SensitivityAtZero:F3}"), size: 13);
            plot.XLabel("x = v - v_th");
            plot.YLabel("G(x)");
            plot.ShowLegend(Alignment.UpperRight);
            plots.Add(plot);
        }
        return Compose(plots, columns: 2, cellWidth: 640, cellHeight: 420);
    }

    /// <summary>The basic run's three panels: loss (log scale), the learned hyperparameter, the weight norm.</summary>
    public static byte[] BasicTraining(IReadOnlyList<double> losses, IReadOnlyList<double> alphas, IReadOnlyList<double> weightNorms, double reference = 4.0)
    {
        var loss = new Plot();
        AddSteps(loss, new StepSeries("", losses), Colors.Blue, log: true);
        LogAxis(loss);
        loss.Title("Training loss");
        loss.XLabel("step");
        loss.YLabel("loss (MSE of spike counts, log scale)");

        var alpha = new Plot();
        AddSteps(alpha, new StepSeries("learned alpha", alphas), Colors.Red, log: false);
        var common = alpha.Add.HorizontalLine(reference);
        common.LineColor = Colors.Gray.WithAlpha(0.6);
        common.LinePattern = LinePattern.Dashed;
        common.LegendText = F($"common default (alpha = {reference:G3})");
        double lo = Math.Min(alphas.Min(), reference), hi = Math.Max(alphas.Max(), reference), pad = 0.08 * Math.Max(hi - lo, 0.1);
        alpha.Axes.SetLimitsY(lo - pad, hi + pad);
        alpha.Title("Learned surrogate hyperparameter");
        alpha.XLabel("step");
        alpha.YLabel("alpha");
        alpha.ShowLegend(Alignment.UpperRight);

        var norm = new Plot();
        AddSteps(norm, new StepSeries("", weightNorms), Colors.Green, log: false);
        norm.Title("Weight magnitude");
        norm.XLabel("step");
        norm.YLabel("||w||");
        return Compose([loss, alpha, norm], columns: 3, cellWidth: 560, cellHeight: 440);
    }

    /// <summary>Loss curves of several runs on one log-scale chart.</summary>
    public static byte[] Curves(string title, IReadOnlyList<StepSeries> runs, string yLabel = "loss (MSE of spike counts, log scale)", int width = 1000, int height = 600)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < runs.Count; i++)
            AddSteps(plot, runs[i], palette.GetColor(i), log: true);
        LogAxis(plot);
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>A bar per run, the lowest highlighted, each labelled with its value.</summary>
    public static byte[] Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, string yLabel = "final loss", int width = 900, int height = 560)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int best = Enumerable.Range(0, values.Count).MinBy(i => values[i]);
        var bars = new List<Bar>();
        for (int i = 0; i < values.Count; i++)
        {
            bars.Add(new Bar
            {
                Position = i,
                Value = values[i],
                FillColor = i == best ? Colors.Gold : palette.GetColor(i).WithAlpha(0.75),
                LineColor = i == best ? Colors.Red : Colors.Black,
                LineWidth = i == best ? 3 : 1,
                Label = values[i].ToString("G4", CultureInfo.InvariantCulture),
            });
        }
        var plottable = plot.Add.Bars(bars);
        plottable.ValueLabelStyle.FontSize = 13;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title(title);
        plot.YLabel(yLabel);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>
    /// The multi-parameter figure: the loss (log scale), the path of (alpha, beta) coloured by step with start and end
    /// markers, and alpha and beta over the steps.
    /// </summary>
    public static byte[] Trajectory(IReadOnlyList<double> losses, IReadOnlyList<double> alphas, IReadOnlyList<double> betas, string family)
    {
        var loss = new Plot();
        AddSteps(loss, new StepSeries("", losses), Colors.Blue, log: true);
        LogAxis(loss);
        loss.Title(F($"{family}: loss"));
        loss.XLabel("step");
        loss.YLabel("loss (log scale)");

        var path = new Plot();
        var line = path.Add.ScatterLine(alphas.ToArray(), betas.ToArray(), Colors.Black.WithAlpha(0.35));
        line.LinePattern = LinePattern.Dashed;
        var colormap = new ScottPlot.Colormaps.Viridis();
        for (int i = 0; i < alphas.Count; i++)
        {
            var marker = path.Add.Marker(alphas[i], betas[i], MarkerShape.FilledCircle, 7, colormap.GetColor(alphas.Count == 1 ? 0 : (double)i / (alphas.Count - 1)));
            marker.MarkerLineColor = Colors.Black;
            marker.MarkerLineWidth = 0.5f;
        }
        var start = path.Add.Marker(alphas[0], betas[0], MarkerShape.FilledDiamond, 18, Colors.Red);
        start.LegendText = F($"start ({alphas[0]:G3}, {betas[0]:G3})");
        var end = path.Add.Marker(alphas[^1], betas[^1], MarkerShape.FilledDiamond, 18, Colors.Gold);
        end.MarkerLineColor = Colors.Black;
        end.LegendText = F($"end ({alphas[^1]:G3}, {betas[^1]:G3})");
        path.Title("Hyperparameter trajectory (colour: step, dark = early)");
        path.XLabel("alpha (slope for x < 0)");
        path.YLabel("beta (slope for x >= 0)");
        path.ShowLegend(Alignment.UpperLeft);
        path.Axes.Margins(0.15, 0.15);

        var alpha = new Plot();
        AddSteps(alpha, new StepSeries("", alphas), Colors.Red, log: false);
        alpha.Title("alpha");
        alpha.XLabel("step");
        alpha.YLabel("alpha");
        var beta = new Plot();
        AddSteps(beta, new StepSeries("", betas), Colors.Green, log: false);
        beta.Title("beta");
        beta.XLabel("step");
        beta.YLabel("beta");
        return Compose([loss, path, alpha, beta], columns: 2, cellWidth: 700, cellHeight: 460);
    }

    /// <summary>The schedules figure: alpha over the steps (left) and the loss curves (right), one colour per run.</summary>
    public static byte[] Schedules(IReadOnlyList<StepSeries> alphas, IReadOnlyList<StepSeries> losses)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var alpha = new Plot();
        for (int i = 0; i < alphas.Count; i++) AddSteps(alpha, alphas[i], palette.GetColor(i), log: false);
        alpha.Title("alpha over training");
        alpha.XLabel("step");
        alpha.YLabel("alpha");
        alpha.ShowLegend(Alignment.UpperLeft);
        var loss = new Plot();
        for (int i = 0; i < losses.Count; i++) AddSteps(loss, losses[i], palette.GetColor(i), log: true);
        LogAxis(loss);
        loss.Title("Training loss");
        loss.XLabel("step");
        loss.YLabel("loss (MSE of spike counts, log scale)");
        loss.ShowLegend(Alignment.UpperRight);
        return Compose([alpha, loss], columns: 2, cellWidth: 720, cellHeight: 500);
    }

    private static void AddSteps(Plot plot, StepSeries series, Color color, bool log)
    {
        var xs = Enumerable.Range(0, series.Values.Count).Select(i => (double)i).ToArray();
        var ys = log ? series.Values.Select(v => Math.Log10(Math.Max(v, LogFloor))).ToArray() : series.Values.ToArray();
        var line = plot.Add.ScatterLine(xs, ys, color);
        plot.Axes.Margins(horizontal: 0.01);
        line.LineWidth = series.Dashed ? 3 : 2;
        if (series.Dashed) line.LinePattern = LinePattern.Dashed;
        line.LegendText = series.Label;
    }

    /// <summary>Labels a left axis holding log10 values with the values themselves.</summary>
    private static void LogAxis(Plot plot)
    {
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("G3", CultureInfo.InvariantCulture),
        };
    }

    private static void Reference(Plot plot, double at)
    {
        var line = plot.Add.VerticalLine(at);
        line.LineColor = Colors.Red.WithAlpha(0.5);
        line.LinePattern = LinePattern.Dashed;
        line.LegendText = F($"alpha = {at:G3} (common)");
    }

    /// <summary>Renders each chart into a cell of a grid and encodes the grid as one PNG.</summary>
    private static byte[] Compose(IReadOnlyList<Plot> plots, int columns, int cellWidth, int cellHeight)
    {
        int rows = (plots.Count + columns - 1) / columns;
        using var surface = SKSurface.Create(new SKImageInfo(columns * cellWidth, rows * cellHeight));
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < plots.Count; i++)
        {
            using var image = SKImage.FromEncodedData(plots[i].GetImageBytes(cellWidth, cellHeight, ImageFormat.Png));
            surface.Canvas.DrawImage(image, i % columns * cellWidth, i / columns * cellHeight);
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
