using System.CommandLine;
using MetaSpike.Cli.Plotting;
using MetaSpike.MetaLearning;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using Spectre.Console;
using static MetaSpike.Cli.Commands.SurrogateMeta.JointTrainingCli;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>The sweep of L(alpha) as results.json records it.</summary>
internal sealed record DerivativesLoss(string Definition, IReadOnlyList<double> Points, IReadOnlyList<double> Alphas, IReadOnlyList<double> Losses,
    IReadOnlyList<double> Gradients, IReadOnlyList<double> FiniteDifferences, double MaxAbsGradientError);

/// <summary>One panel of grad_shapes.png.</summary>
internal sealed record DerivativesPanel(double Alpha, double Peak, double PeakAt, double GradientAtZero, double DgDalphaAtZero);

/// <summary>results.json of <c>surrogate-meta derivatives</c>.</summary>
internal sealed record DerivativesResults(string Family, string Dtype, DerivativesLoss Loss, IReadOnlyList<DerivativesPanel> Shapes);

/// <summary>
/// <c>metaspike surrogate-meta derivatives</c>: the tutorial's "hyperparameter derivatives" section. (a) L(alpha) =
/// Σ_x F(x; alpha), the sum of the Sigmoid surrogate's original function σ(alpha x) over fixed points, and dL/dalpha by
/// autograd, checked against central finite differences; (b) G(x; alpha) for several alpha, with the peak and dG/dalpha
/// at x = 0 by autograd.
/// </summary>
internal static class DerivativesCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var out_ = new Option<string>("--out") { Description = "Folder for loss_vs_alpha.png, grad_shapes.png and results.json.", DefaultValueFactory = _ => "metaspike-surrogate-meta/derivatives" };
        var points = new Option<string>("--points") { Description = "Comma-separated x values the loss sums F(x; alpha) over (the tutorial's 0, 0.5, 1).", DefaultValueFactory = _ => "0,0.5,1" };
        var alphaMin = new Option<double>("--alpha-min") { Description = "Smallest alpha of the sweep.", DefaultValueFactory = _ => 0.5 };
        var alphaMax = new Option<double>("--alpha-max") { Description = "Largest alpha of the sweep.", DefaultValueFactory = _ => 8.0 };
        var count = new Option<int>("--count") { Description = "Number of alpha values in the sweep.", DefaultValueFactory = _ => 50 };
        var shapes = new Option<string>("--alphas") { Description = "Comma-separated alpha values for the G(x) panels.", DefaultValueFactory = _ => "1,2,4,8" };
        var command = new Command("derivatives", "Loss and dL/dalpha against alpha (autograd vs finite differences), and G(x; alpha) with its peak and dG/dalpha at 0.")
        {
            out_, points, alphaMin, alphaMax, count, shapes,
        };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var xs = ParseList(parse.GetValue(points)!, "--points");
            var panelAlphas = ParseList(parse.GetValue(shapes)!, "--alphas");
            double lo = parse.GetValue(alphaMin), hi = parse.GetValue(alphaMax);
            int n = parse.GetValue(count);
            if (!(lo > 0) || !(hi > lo) || !double.IsFinite(hi)) throw new ArgumentException($"need 0 < --alpha-min < --alpha-max, got {Text(lo)} and {Text(hi)}.");
            if (n < 2) throw new ArgumentException($"--count must be >= 2, got {n}.");
            var folder = parse.GetValue(out_)!;
            Directory.CreateDirectory(folder);

            var family = new Sigmoid();
            var alphas = Enumerable.Range(0, n).Select(i => lo + (hi - lo) * i / (n - 1)).ToArray();
            var sweep = HyperparameterDerivatives.OriginalSumSweep(family, "alpha", alphas, xs);
            double worst = sweep.Max(p => Math.Abs(p.Gradient - p.FiniteDifference));
            var grid = Enumerable.Range(0, 1001).Select(i => -2.0 + 4.0 * i / 1000).ToArray();
            var panels = panelAlphas.Select(a => HyperparameterDerivatives.GradientShape(family, "alpha", a, grid)).ToArray();

            string definition = $"L(alpha) = sum over x in {{{string.Join(", ", xs.Select(x => F(x)))}}} of F(x; alpha) = sigmoid(alpha x), the Sigmoid surrogate's original function";
            var table = new Table().Title("L(alpha) = Σ_x σ(alpha x) and its derivative (float64)")
                .AddColumn(new TableColumn("alpha").RightAligned()).AddColumn(new TableColumn("L").RightAligned())
                .AddColumn(new TableColumn("dL/dalpha (autograd)").RightAligned()).AddColumn(new TableColumn("finite differences").RightAligned())
                .AddColumn(new TableColumn("|difference|").RightAligned());
            int every = Math.Max(1, n / 8);
            for (int i = 0; i < sweep.Count; i++)
            {
                if (i % every != 0 && i != sweep.Count - 1) continue;
                var p = sweep[i];
                table.AddRow(F(p.Value, "F3"), F(p.Loss, "F6"), F(p.Gradient, "F6"), F(p.FiniteDifference, "F6"), F(Math.Abs(p.Gradient - p.FiniteDifference), "0.0E+00"));
            }
            console.Write(table);
            var shapeTable = new Table().Title("Sigmoid surrogate derivative G(x; alpha) = alpha σ(alpha x)(1 - σ(alpha x))")
                .AddColumn(new TableColumn("alpha").RightAligned()).AddColumn(new TableColumn("peak G").RightAligned())
                .AddColumn(new TableColumn("at x").RightAligned()).AddColumn(new TableColumn("dG/dalpha at x = 0").RightAligned());
            foreach (var s in panels) shapeTable.AddRow(F(s.Value), F(s.Peak, "F4"), F(s.PeakAt, "F3"), F(s.SensitivityAtZero, "F4"));
            console.Write(shapeTable);
            console.MarkupLineInterpolated($"loss: {definition}; max |autograd - finite differences| = {worst:0.0E+00}. Higher alpha: a narrower, taller G (peak alpha/4, dG/dalpha = 1/4 at x = 0).");

            WritePng(folder, "loss_vs_alpha.png", MetaPlotsA.LossVsAlpha(sweep, "L = Σ_x σ(alpha x)"));
            WritePng(folder, "grad_shapes.png", MetaPlotsA.GradientShapes(panels, "Sigmoid"));
            var results = new DerivativesResults("Sigmoid", "float64",
                new DerivativesLoss(definition, xs, alphas, [.. sweep.Select(p => p.Loss)], [.. sweep.Select(p => p.Gradient)], [.. sweep.Select(p => p.FiniteDifference)], worst),
                [.. panels.Select(s => new DerivativesPanel(s.Value, s.Peak, s.PeakAt, s.GradientAtZero, s.SensitivityAtZero))]);
            WriteResults(console, folder, results, "loss_vs_alpha.png", "grad_shapes.png");
            return worst <= 1e-6 ? 0 : 1;
        });
        return command;
    }
}
