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

/// <summary><c>metaspike surrogate list|plot</c>.</summary>
internal static class SurrogateCommands
{
    public static Command Create(IAnsiConsole console)
    {
        var command = new Command("surrogate", "Inspect and plot the surrogate-gradient spike functions.");
        command.Subcommands.Add(List(console));
        command.Subcommands.Add(Plot(console));
        return command;
    }

    private static Command List(IAnsiConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON instead of a table." };
        var command = new Command("list", "List every surrogate family with its hyperparameters, defaults and G(0).") { json };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var rows = SurrogateSummary.All();
            if (parse.GetValue(json))
            {
                console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(rows, JsonOptions.Indented));
                return 0;
            }
            var table = new Table().Title("Surrogate spike functions (forward: H(x) = [[x >= 0]])")
                .AddColumn("name").AddColumn("class").AddColumn("hyperparameters (defaults)")
                .AddColumn(new TableColumn("G(0)").RightAligned()).AddColumn("F");
            foreach (var r in rows)
                table.AddRow(Markup.Escape(r.Name), r.Class,
                    Markup.Escape(string.Join("\n", r.Hyperparameters.Select(h => $"{h.Name}={h.Default}"))),
                    r.GradientAtZero.ToString("G10", CultureInfo.InvariantCulture), r.HasOriginalFunction ? "yes" : "-");
            console.Write(table);
            console.MarkupLine("G(0) is measured by evaluating each family at its defaults. F: has a smooth original function.");
            return 0;
        });
        return command;
    }

    private static Command Plot(IAnsiConsole console)
    {
        var name = new Option<string>("--name") { Description = "Family name, e.g. sigmoid (see 'surrogate list').", Required = true };
        var alpha = new Option<string?>("--alpha") { Description = "Comma-separated alpha values, one curve each (shortcut for --sweep alpha=...)." };
        var sweep = new Option<string?>("--sweep") { Description = "NAME=V1,V2,... : one curve per value of any hyperparameter." };
        var set = new Option<string[]>("--set") { Description = "NAME=VALUE : fix a hyperparameter (repeatable).", AllowMultipleArgumentsPerToken = true };
        var out_ = new Option<string>("--out") { Description = "PNG file to write.", DefaultValueFactory = _ => "surrogate.png" };
        var xmin = new Option<double>("--xmin") { Description = "Left end of the x range.", DefaultValueFactory = _ => -3 };
        var xmax = new Option<double>("--xmax") { Description = "Right end of the x range.", DefaultValueFactory = _ => 3 };
        var original = new Option<bool>("--original") { Description = "Also draw the smooth original function F (dashed), where the family has one." };
        var command = new Command("plot", "Draw the surrogate derivative G(x) for one or more hyperparameter values.")
            { name, alpha, sweep, set, out_, xmin, xmax, original };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var entry = SurrogateCatalog.Find(parse.GetValue(name)!);
            var fixedValues = ParseSettings(parse.GetValue(set) ?? []);
            var (sweepName, sweepValues) = ParseSweep(parse.GetValue(sweep), parse.GetValue(alpha));
            var (lo, hi) = (parse.GetValue(xmin), parse.GetValue(xmax));
            if (!(lo < hi) || !double.IsFinite(lo) || !double.IsFinite(hi))
                throw new ArgumentException($"--xmin ({lo}) must be finite and below --xmax ({hi}).");
            var curves = new List<SurrogateCurve>();
            foreach (var value in sweepValues ?? [double.NaN])
            {
                var settings = new Dictionary<string, double>(fixedValues);
                if (sweepName is not null) settings[sweepName] = value;
                var family = entry.Create(settings);
                curves.Add(SurrogateCurve.Sample(family, lo, hi, 601, family.ToString(), parse.GetValue(original)));
            }
            var path = parse.GetValue(out_)!;
            AtomicFile.WriteAllBytes(path, SurrogatePlots.Curves($"{entry.Type.Name}: surrogate derivative G(x)", curves));
            console.MarkupLineInterpolated($"wrote [green]{path}[/] ({curves.Count} curve(s) of {entry.Type.Name})");
            return 0;
        });
        return command;
    }

    internal static Dictionary<string, double> ParseSettings(IEnumerable<string> items)
    {
        var settings = new Dictionary<string, double>();
        foreach (var item in items)
        {
            var parts = item.Split('=', 2);
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                throw new ArgumentException($"--set expects NAME=NUMBER, got '{item}'.");
            settings[parts[0].Trim()] = v;
        }
        return settings;
    }

    private static (string? Name, double[]? Values) ParseSweep(string? sweep, string? alpha)
    {
        if (sweep is not null && alpha is not null) throw new ArgumentException("give either --alpha or --sweep, not both.");
        if (alpha is not null) return ("alpha", ParseList(alpha, "--alpha"));
        if (sweep is null) return (null, null);
        var parts = sweep.Split('=', 2);
        if (parts.Length != 2) throw new ArgumentException($"--sweep expects NAME=V1,V2,..., got '{sweep}'.");
        return (parts[0].Trim(), ParseList(parts[1], "--sweep"));
    }

    private static double[] ParseList(string text, string option) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v : throw new ArgumentException($"{option}: '{s}' is not a number.")).ToArray();
}
