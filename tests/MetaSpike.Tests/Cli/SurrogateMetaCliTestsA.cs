using System.Text.Json;
using MetaSpike.Cli;

namespace MetaSpike.Tests.Cli;

/// <summary>The surrogate-meta scenarios derivatives, basic, fixed-vs-learned, multi-parameter and schedules, run briefly.</summary>
public sealed class SurrogateMetaCliTestsA : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-meta-a-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private JsonElement RunScenario(string scenario, string[] pngs, params string[] args)
    {
        var folder = Path.Combine(_folder, scenario);
        var (code, output) = CliTests.Run(["surrogate-meta", scenario, "--out", folder, .. args]);
        Assert.True(code == 0, $"exit code {code}: {output}");
        foreach (var png in pngs) CliTests.AssertPng(Path.Combine(folder, png));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Derivatives_writes_both_figures_and_autograd_matches_finite_differences()
    {
        var json = RunScenario("derivatives", ["loss_vs_alpha.png", "grad_shapes.png"], "--count", "6");
        var loss = json.GetProperty("loss");
        Assert.Contains("original function", loss.GetProperty("definition").GetString());
        Assert.Equal(6, loss.GetProperty("alphas").GetArrayLength());
        Assert.Equal(6, loss.GetProperty("gradients").GetArrayLength());
        Assert.Equal(6, loss.GetProperty("finite_differences").GetArrayLength());
        Assert.True(loss.GetProperty("max_abs_gradient_error").GetDouble() < 1e-6);
        var shapes = json.GetProperty("shapes").EnumerateArray().ToList();
        Assert.Equal([1.0, 2.0, 4.0, 8.0], shapes.Select(s => s.GetProperty("alpha").GetDouble()));
        Assert.All(shapes, s => Assert.Equal(s.GetProperty("alpha").GetDouble() / 4, s.GetProperty("peak").GetDouble(), 9));
        Assert.All(shapes, s => Assert.Equal(0.25, s.GetProperty("dg_dalpha_at_zero").GetDouble(), 9));
    }

    [Fact]
    public void Basic_records_loss_alpha_and_weight_norm_per_step()
    {
        var json = RunScenario("basic", ["basic.png"], "--steps", "4");
        Assert.Equal(4, json.GetProperty("steps").GetInt32());
        Assert.Equal(5, json.GetProperty("losses").GetArrayLength());
        Assert.Equal(5, json.GetProperty("alphas").GetArrayLength());
        Assert.Equal(4, json.GetProperty("alpha_gradients").GetArrayLength());
        Assert.Equal(4, json.GetProperty("weight_norms").GetArrayLength());
        Assert.Equal(2.0, json.GetProperty("initial_alpha").GetDouble());
        Assert.True(json.GetProperty("final_alpha").GetDouble() > 0);
        Assert.Equal("braintools", json.GetProperty("hyper_gradient").GetString());
        Assert.Equal(16, json.GetProperty("task").GetProperty("targets").GetArrayLength());
        Assert.True(json.GetProperty("final_loss").GetDouble() < json.GetProperty("initial_loss").GetDouble());
    }

    [Fact]
    public void Fixed_vs_learned_compares_every_fixed_alpha_with_the_learned_one()
    {
        var json = RunScenario("fixed-vs-learned", ["fixed_vs_learned.png", "final_losses.png"], "--steps", "3", "--alphas", "1,8", "--hyper-gradient", "straight-through");
        var runs = json.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["fixed", "fixed", "learned"], runs.Select(r => r.GetProperty("kind").GetString()));
        Assert.All(runs, r => Assert.Equal(4, r.GetProperty("losses").GetArrayLength()));
        // Same task and initial weights: every run starts from the same loss.
        Assert.Single(runs.Select(r => r.GetProperty("losses")[0].GetDouble()).Distinct());
        Assert.Equal("straight-through", json.GetProperty("hyper_gradient").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("best").GetString()));
    }

    [Fact]
    public void Multi_parameter_records_the_alpha_beta_trajectory()
    {
        var json = RunScenario("multi-parameter", ["trajectory.png"], "--steps", "3");
        Assert.Equal(4, json.GetProperty("alphas").GetArrayLength());
        Assert.Equal(4, json.GetProperty("betas").GetArrayLength());
        Assert.Equal(0.1, json.GetProperty("initial_alpha").GetDouble());
        Assert.Equal(1.0, json.GetProperty("initial_beta").GetDouble());
        Assert.StartsWith("LeakyRelu(", json.GetProperty("surrogate").GetString());
        Assert.All(json.GetProperty("alphas").EnumerateArray(), a => Assert.True(a.GetDouble() > 0));
    }

    [Fact]
    public void Schedules_runs_each_schedule_and_the_learned_alpha()
    {
        var json = RunScenario("schedules", ["schedules.png"], "--steps", "3", "--schedules", "linear:1:8,cosine:8:1,exp:1:4");
        var runs = json.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["linear:1:8", "cosine:8:1", "exponential:1:4", "learned:2"], runs.Select(r => r.GetProperty("spec").GetString()));
        Assert.Equal([1.0, 4.5, 8.0, 8.0], runs[0].GetProperty("alphas").EnumerateArray().Select(a => a.GetDouble()));
        Assert.Equal([8.0, 4.5, 1.0, 1.0], runs[1].GetProperty("alphas").EnumerateArray().Select(a => a.GetDouble()));
        Assert.All(runs, r => Assert.True(r.TryGetProperty("final_loss", out _)));
    }

    [Theory]
    [InlineData("--hyper-gradient must be", "basic", "--hyper-gradient", "nope")]
    [InlineData("--steps must be >= 1", "basic", "--steps", "0")]
    [InlineData("unknown schedule 'warm'", "schedules", "--schedules", "warm:1:2")]
    [InlineData("alpha must stay > 0", "schedules", "--schedules", "linear:-1:2")]
    [InlineData("alpha must be > 0", "fixed-vs-learned", "--alphas", "0,2")]
    [InlineData("--beta must be finite and > 0", "multi-parameter", "--beta", "0")]
    [InlineData("--alpha must be finite and > 0", "basic", "--alpha", "-1")]
    [InlineData("--alpha-min", "derivatives", "--alpha-min", "0")]
    public void Bad_input_exits_with_code_2_and_says_why(string expected, string scenario, params string[] args)
    {
        var (code, output) = CliTests.Run(["surrogate-meta", scenario, "--out", Path.Combine(_folder, "bad"), .. args]);
        Assert.Equal(MetaSpikeCli.UsageError, code);
        Assert.Contains("error:", output);
        Assert.Contains(expected, output);
    }
}
