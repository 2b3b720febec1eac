using System.Text.Json;
using MetaSpike.Cli;
using Spectre.Console;

namespace MetaSpike.Tests.Cli;

public sealed class CliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    internal static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        var code = MetaSpikeCli.Run(args, console);
        return (code, writer.ToString());
    }

    internal static void AssertPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 10_000, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }

    [Fact]
    public void List_prints_every_family_and_measured_gradient_at_zero()
    {
        var (code, output) = Run("surrogate", "list", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(19, rows.Count);
        var byName = rows.ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("gradient_at_zero").GetDouble());
        Assert.Equal(1.0, byName["sigmoid"], 12);                       // alpha / 4
        Assert.Equal(1 / Math.Sqrt(Math.PI), byName["erf"], 12);        // alpha / sqrt(pi)
        Assert.Equal(0.0, byName["log_tailed_relu"], 12);               // alpha = 0 at x = 0
        Assert.Equal(0.3, byName["relu_grad"], 12);                     // alpha * width

        var (tableCode, table) = Run("surrogate", "list");
        Assert.Equal(0, tableCode);
        Assert.Contains("squarewave_fourier_series", table);
        Assert.Contains("t_period=8.0", table);
    }

    [Fact]
    public void Plot_writes_a_png_with_one_curve_per_value()
    {
        var path = Path.Combine(_folder, "sg.png");
        var (code, output) = Run("surrogate", "plot", "--name", "sigmoid", "--alpha", "1,2,4,8", "--out", path);
        Assert.Equal(0, code);
        Assert.Contains("4 curve(s)", output);
        AssertPng(path);

        var sweep = Path.Combine(_folder, "s2nn.png");
        Assert.Equal(0, Run("surrogate", "plot", "--name", "s2nn", "--sweep", "beta=0.5,2", "--set", "alpha=2", "--original", "--out", sweep).Code);
        AssertPng(sweep);
    }

    [Theory]
    [InlineData("'alpha'", "surrogate", "plot", "--name", "sigmoid", "--alpha", "0,1")]
    [InlineData("unknown surrogate", "surrogate", "plot", "--name", "nosuch")]
    [InlineData("no hyperparameter 'gamma'", "surrogate", "plot", "--name", "sigmoid", "--set", "gamma=1")]
    [InlineData("not a number", "surrogate", "plot", "--name", "sigmoid", "--alpha", "1,x")]
    [InlineData("does not exist", "surrogate", "plot", "--name", "sigmoid", "--out", "/nonexistent-folder/a.png")]
    public void Bad_input_gives_a_clear_message_and_exit_code_2(string expected, params string[] args)
    {
        var (code, output) = Run(args);
        Assert.Equal(MetaSpikeCli.UsageError, code);
        Assert.Contains("error:", output);
        Assert.Contains(expected, output);
    }

    [Fact]
    public void Demo_writes_results_and_a_figure_of_every_family()
    {
        var (code, output) = Run("demo", "--out", _folder);
        Assert.Equal(0, code);
        Assert.Contains("fast_sigmoid", output);
        AssertPng(Path.Combine(_folder, "surrogates.png"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "results.json")));
        var families = doc.RootElement.GetProperty("families").EnumerateArray().ToList();
        Assert.Equal(19, families.Count);
        foreach (var f in families)
        {
            Assert.Equal(0.0, f.GetProperty("max_backward_error").GetDouble());
            // dF/dx = G exactly, except S2NN whose F carries epsilon = 1e-8 inside its logarithm (as in braintools).
            if (f.GetProperty("max_original_slope_error").ValueKind == JsonValueKind.Number)
                Assert.True(f.GetProperty("max_original_slope_error").GetDouble() < 2e-8, f.GetProperty("name").GetString());
        }
        var sigmoid = families.Single(f => f.GetProperty("name").GetString() == "sigmoid");
        Assert.Equal(1.0, sigmoid.GetProperty("area").GetDouble(), 6);
    }
}
