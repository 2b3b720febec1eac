using MetaSpike.MetaLearning;
using ScottPlot;

namespace MetaSpike.Cli.Plotting;

/// <summary>PNG figures of the per-layer and S2NN surrogate meta-learning scenarios.</summary>
internal static class MetaPlotsB
{
    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    /// <summary>
    /// Learned alphas over the steps, one line per layer (per neuron: the mean with a ±1 std band); with one alpha per
    /// neuron a second panel shows the histogram of the final values of each layer.
    /// </summary>
    public static byte[] PerLayerAlphas(PerLayerRun run, int width = 1200, int height = 480)
    {
        var trajectories = new Plot();
        var steps = run.History.Select(r => (double)r.Step).ToArray();
        int layers = run.FinalAlphas.Count;
        for (int layer = 0; layer < layers; layer++)
        {
            var color = Palette.GetColor(layer);
            var mean = run.History.Select(r => r.Alphas[layer].Mean).ToArray();
            if (run.PerNeuron)
            {
                var band = trajectories.Add.FillY(steps,
                    run.History.Select(r => r.Alphas[layer].Mean - r.Alphas[layer].Std).ToArray(),
                    run.History.Select(r => r.Alphas[layer].Mean + r.Alphas[layer].Std).ToArray());
                band.FillColor = color.WithAlpha(0.2);
                band.LineWidth = 0;
            }
            var line = trajectories.Add.ScatterLine(steps, mean, color);
            line.LineWidth = 2;
            line.LegendText = run.PerNeuron ? $"layer {layer + 1} (mean ± std over neurons)" : $"layer {layer + 1}";
        }
        trajectories.Title(run.PerNeuron ? "Learned alpha per neuron, by layer" : "Learned alpha per layer");
        trajectories.XLabel("training step");
        trajectories.YLabel("sigmoid surrogate alpha");
        trajectories.ShowLegend(Alignment.UpperLeft);
        if (!run.PerNeuron) return trajectories.GetImageBytes(width, height, ImageFormat.Png);

        var histogram = new Plot();
        var all = run.FinalAlphas.SelectMany(a => a).ToArray();
        double low = all.Min(), high = Math.Max(all.Max(), low + 1e-6);
        for (int layer = 0; layer < layers; layer++)
        {
            var counts = ScottPlot.Statistics.Histogram.WithBinCount(24, low, high);
            counts.AddRange(run.FinalAlphas[layer]);
            histogram.Add.Histogram(counts, Palette.GetColor(layer).WithAlpha(0.45), disableBottomPadding: true);
            histogram.Legend.ManualItems.Add(new LegendItem { LabelText = $"layer {layer + 1}", FillColor = Palette.GetColor(layer).WithAlpha(0.45) });
        }
        histogram.Title("Final alphas of the neurons");
        histogram.XLabel("alpha");
        histogram.YLabel("neurons");
        histogram.ShowLegend(Alignment.UpperRight);
        return Compose([trajectories, histogram], columns: 2, width, height);
    }

    /// <summary>Training loss (a moving average) and held-out test accuracy of every run, learned and fixed.</summary>
    public static byte[] PerLayerTraining(IReadOnlyList<PerLayerRun> runs, int width = 1200, int height = 480)
    {
        var loss = new Plot();
        var accuracy = new Plot();
        for (int r = 0; r < runs.Count; r++)
        {
            var color = Palette.GetColor(r);
            var history = runs[r].History;
            var smoothed = loss.Add.ScatterLine(history.Select(h => (double)h.Step).ToArray(), MovingAverage(history.Select(h => h.Loss).ToArray(), 10), color);
            smoothed.LineWidth = r == 0 ? 3 : 1.5f;
            smoothed.LegendText = runs[r].Label;
            var tests = history.Where(h => h.TestAccuracy is not null).ToArray();
            var test = accuracy.Add.Scatter(tests.Select(h => (double)h.Step).ToArray(), tests.Select(h => h.TestAccuracy!.Value).ToArray(), color);
            test.LineWidth = r == 0 ? 3 : 1.5f;
            test.LegendText = runs[r].Label;
        }
        loss.Title("Training loss (moving average of 10 steps)");
        loss.XLabel("training step");
        loss.YLabel("cross-entropy");
        loss.ShowLegend(Alignment.UpperRight);
        accuracy.Title("Held-out test accuracy");
        accuracy.XLabel("training step");
        accuracy.YLabel("accuracy");
        accuracy.Axes.SetLimitsY(0, 1.02);
        accuracy.ShowLegend(Alignment.LowerRight);
        return Compose([loss, accuracy], columns: 2, width, height);
    }

    /// <summary>Loss and the three S2NN hyperparameters (log scale) over the steps, one line per starting point.</summary>
    public static byte[] S2nn(IReadOnlyList<S2nnRun> runs, int width = 1200, int height = 800)
    {
        var loss = new Plot();
        loss.Title("Training loss (moving average of 10 steps)");
        loss.YLabel("cross-entropy");
        var parameters = new (string Name, Func<S2nnRecord, double> Read, Func<S2nnStart, double> Start, Plot Plot)[]
        {
            ("alpha", r => r.Alpha, s => s.Alpha, new Plot()),
            ("beta", r => r.Beta, s => s.Beta, new Plot()),
            ("epsilon", r => r.Epsilon, s => s.Epsilon, new Plot()),
        };
        for (int r = 0; r < runs.Count; r++)
        {
            var color = Palette.GetColor(r);
            var history = runs[r].History;
            double[] steps = [0, .. history.Select(h => (double)h.Step)];
            var line = loss.Add.ScatterLine(steps[1..], MovingAverage(history.Select(h => h.Loss).ToArray(), 10), color);
            line.LineWidth = 2;
            line.LegendText = runs[r].Start.Name;
            foreach (var p in parameters)
            {
                double[] values = [Math.Log10(p.Start(runs[r].Start)), .. history.Select(h => Math.Log10(p.Read(h)))];
                var trace = p.Plot.Add.ScatterLine(steps, values, color);
                trace.LineWidth = 2;
                trace.LegendText = runs[r].Start.Name;
            }
        }
        foreach (var p in parameters)
        {
            p.Plot.Title($"Learned {p.Name}");
            p.Plot.YLabel($"log10 {p.Name}");
        }
        Plot[] all = [loss, .. parameters.Select(p => p.Plot)];
        foreach (var plot in all)
        {
            plot.XLabel("training step");
            plot.ShowLegend(Alignment.UpperRight);
        }
        return Compose(all, columns: 2, width, height);
    }

    private static double[] MovingAverage(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }

    private static byte[] Compose(IReadOnlyList<Plot> plots, int columns, int width, int height)
    {
        var figure = new Multiplot(plots[0]);
        foreach (var plot in plots.Skip(1)) figure.AddPlot(plot);
        figure.Layout = new ScottPlot.MultiplotLayouts.Grid((plots.Count + columns - 1) / columns, columns);
        return figure.Render(width, height).GetImageBytes(ImageFormat.Png);
    }
}
