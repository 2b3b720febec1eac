using System.Text.Json;
using MetaSpike.Cli;

namespace MetaSpike.Tests.Cli;

[Collection(GlobalRandomCollection.Name)]
public sealed class SurrogateMetaPerLayerS2nnCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-sm-b-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Per_layer_writes_both_figures_the_comparison_and_per_neuron_histograms()
    {
        var (code, output) = CliTests.Run("surrogate-meta", "per-layer", "--steps", "3", "--hidden", "6,6,6", "--fixed", "4", "--per-neuron", "--out", _folder);
        Assert.Equal(0, code);
        Assert.Contains("Learned alphas (one per neuron", output);
        Assert.Contains("fixed alpha = 4", output);
        CliTests.AssertPng(Path.Combine(_folder, "per_layer_alphas.png"));
        CliTests.AssertPng(Path.Combine(_folder, "per_layer_training.png"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "results.json")));
        Assert.Equal("per-layer", doc.RootElement.GetProperty("scenario").GetString());
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(2, runs.Length);
        Assert.True(runs[0].GetProperty("per_neuron").GetBoolean());
        Assert.Equal(3, runs[0].GetProperty("final_alphas").GetArrayLength());
        Assert.Equal(6, runs[0].GetProperty("final_alphas")[0].GetArrayLength());
        Assert.Equal(4, runs[1].GetProperty("fixed_alpha").GetDouble());
        Assert.InRange(runs[1].GetProperty("test_accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void S2nn_from_extreme_starts_writes_two_runs_without_nan()
    {
        var (code, output) = CliTests.Run("surrogate-meta", "s2nn", "--steps", "20", "--start", "extreme", "--out", _folder);
        Assert.Equal(0, code);
        Assert.Contains("tiny alpha, huge beta", output);
        CliTests.AssertPng(Path.Combine(_folder, "s2nn.png"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "results.json")));
        Assert.Equal(0, doc.RootElement.GetProperty("steps_with_non_finite_values").GetInt32());
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(2, runs.Length);
        Assert.Equal(1e3, runs[1].GetProperty("start").GetProperty("alpha").GetDouble());
        Assert.Equal(20, runs[0].GetProperty("history").GetArrayLength());
    }

    [Theory]
    [InlineData("--hyper-gradient", "per-layer", "--hyper-gradient", "steep")]
    [InlineData("--fixed", "per-layer", "--fixed", "4,0")]
    [InlineData("--hidden", "per-layer", "--hidden", "8,x")]
    [InlineData("TrainingSteps", "per-layer", "--steps", "0")]
    [InlineData("--start", "s2nn", "--start", "wild")]
    [InlineData("HyperLearningRate", "s2nn", "--hyper-lr", "-1")]
    public void Bad_options_give_a_clear_message_and_exit_code_2(string expected, params string[] args)
    {
        var (code, output) = CliTests.Run(["surrogate-meta", .. args, "--out", _folder]);
        Assert.Equal(MetaSpikeCli.UsageError, code);
        Assert.Contains("error:", output);
        Assert.Contains(expected, output);
    }
}
