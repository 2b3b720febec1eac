using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MetaSpike.Cli.Plotting;
using MetaSpike.IO;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using Spectre.Console;
using static TorchSharp.torch;

namespace MetaSpike.Cli.Commands;

/// <summary>Measured properties of one family at its defaults.</summary>
internal sealed record SurrogateCheck(string Name, string Repr, double GradientAtZero, double Peak, double Area,
    double MaxBackwardError, double? MaxOriginalSlopeError, double SecondDerivativeAtHalf);

/// <summary>
/// <c>metaspike demo</c>: the main job for now. For every surrogate family it measures G(0), the peak and the
/// area of G, checks that the spike's backward pass equals G and that dF/dx = G where F exists, and reads the
/// exact second derivative at x = 0.5 by double backward; it prints a table and writes a PNG and JSON results.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var out_ = new Option<string>("--out") { Description = "Folder for surrogates.png and results.json.", DefaultValueFactory = _ => "metaspike-demo" };
        var command = new Command("demo", "Run the surrogate-gradient demo: a table of measured properties, a PNG of every family, JSON results.") { out_ };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var folder = parse.GetValue(out_)!;
            Directory.CreateDirectory(folder);
            var checks = new List<SurrogateCheck>();
            var curves = new List<SurrogateCurve>();
            console.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask("measuring surrogate families", maxValue: SurrogateCatalog.All.Count);
                foreach (var entry in SurrogateCatalog.All)
                {
                    var family = entry.Create();
                    checks.Add(Measure(entry.Name, family));
                    curves.Add(SurrogateCurve.Sample(family, -4, 4, 401, family.ToString(), withOriginal: false));
                    task.Increment(1);
                }
            });
            console.Write(Table(checks));
            var png = Path.Combine(folder, "surrogates.png");
            var json = Path.Combine(folder, "results.json");
            AtomicFile.WriteAllBytes(png, SurrogatePlots.Grid(curves, columns: 4));
            AtomicFile.WriteAllText(json, JsonSerializer.Serialize(new { dtype = "float64", families = checks }, JsonOptions.Indented));
            console.MarkupLineInterpolated($"wrote [green]{png}[/] and [green]{json}[/]");
            var worst = checks.Max(c => c.MaxBackwardError);
            return worst == 0 ? 0 : 1;
        });
        return command;
    }

    internal static SurrogateCheck Measure(string name, SurrogateFunction family)
    {
        using var scope = NewDisposeScope();
        // An offset grid: no point falls exactly on a break point.
        var x = linspace(-4.0037, 4.0011, 2001, ScalarType.Float64).requires_grad_();
        var g = family.SurrogateGrad(x).detach();
        var backward = Autograd.Grad([family.forward(x)], [x], [ones_like(x)])[0];
        double? slopeError = null;
        if (family.HasOriginalFunction)
        {
            var slope = Autograd.Grad([family.OriginalFunction(x)], [x], [ones_like(x)])[0];
            slopeError = (slope - g).abs().max().item<double>();
        }
        var half = tensor(new[] { 0.5 }, ScalarType.Float64).requires_grad_();
        var first = Autograd.Grad([family.forward(half)], [half], [ones_like(half)], createGraph: true)[0];
        var second = Autograd.Grad(first.sum(), half).item<double>();

        var wide = linspace(-50.0, 50.0, 200001, ScalarType.Float64);
        var area = trapezoid(family.SurrogateGrad(wide), wide).item<double>();
        return new SurrogateCheck(name, family.ToString(),
            family.SurrogateGrad(tensor(0.0, ScalarType.Float64)).item<double>(),
            g.max().item<double>(), area, (backward - g).abs().max().item<double>(), slopeError, second);
    }

    private static Table Table(IEnumerable<SurrogateCheck> checks)
    {
        var table = new Table().Title("Surrogate families at their defaults (float64, measured)")
            .Caption("area: integral of G on [[-50, 50]]; |bwd-G|: max |spike backward - G|; |F'-G|: max |dF/dx - G|; G''(0.5): by double backward")
            .AddColumn("family").AddColumn(new TableColumn("G(0)").RightAligned()).AddColumn(new TableColumn("peak").RightAligned())
            .AddColumn(new TableColumn("area").RightAligned()).AddColumn(new TableColumn("|bwd-G|").RightAligned())
            .AddColumn(new TableColumn("|F'-G|").RightAligned()).AddColumn(new TableColumn("G'(0.5)").RightAligned());
        foreach (var c in checks)
            table.AddRow(Markup.Escape(c.Name), F(c.GradientAtZero), F(c.Peak), F(c.Area), F(c.MaxBackwardError),
                c.MaxOriginalSlopeError is { } e ? F(e) : "-", F(c.SecondDerivativeAtHalf));
        return table;
    }

    private static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
