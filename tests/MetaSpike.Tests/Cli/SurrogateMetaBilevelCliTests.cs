using System.Text.Json;
using MetaSpike.Cli;
using MetaSpike.Data.Generators;
using MetaSpike.Tests.MetaLearning;

namespace MetaSpike.Tests.Cli;

/// <summary>
/// <c>surrogate-meta bilevel</c> and <c>surrogate-meta fashion-mnist</c> at tiny sizes. They seed torch's global
/// generator; <c>--threads 0</c> keeps libtorch's thread count, which other tests' results may depend on.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public sealed class SurrogateMetaBilevelCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-sm-bilevel-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Methods = ["fixed", "joint", "bilevel"];

    [Fact]
    public void Bilevel_compares_fixed_joint_and_bilevel_alpha_and_writes_the_figure_and_results()
    {
        var (code, output) = CliTests.Run("surrogate-meta", "bilevel", "--steps", "2", "--k", "2", "--samples", "8", "--hidden", "8",
            "--threads", "0", "--out", _folder);
        Assert.True(code == 0, output);
        Assert.Contains("bilevel", output);
        CliTests.AssertPng(Path.Combine(_folder, "bilevel.png"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "results.json")));
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("settings").GetProperty("weight_updates").GetInt32());
        var runs = root.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(Methods, runs.Select(r => r.GetProperty("method").GetString()));
        foreach (var run in runs)
        {
            foreach (var key in new[] { "initial_alpha", "final_alpha", "final_validation_loss", "final_validation_accuracy", "test_accuracy", "seconds" })
                Assert.True(double.IsFinite(run.GetProperty(key).GetDouble()), key);
            var curve = run.GetProperty("curve").EnumerateArray().ToArray();
            Assert.Equal(3, curve.Length); // the start and after each outer step
            Assert.Equal(4, curve[^1].GetProperty("step").GetInt32());
        }
        Assert.Equal(0.5, runs[0].GetProperty("final_alpha").GetDouble(), 1e-5);
        Assert.NotEqual(0.5, runs[2].GetProperty("final_alpha").GetDouble());
    }

    [Fact]
    public void Fashion_mnist_runs_offline_on_generated_images()
    {
        var (code, output) = CliTests.Run("surrogate-meta", "fashion-mnist", "--train", "60", "--validation", "20", "--test", "20", "--hidden", "16",
            "--batch", "20", "--time-steps", "5", "--steps", "2", "--k", "2", "--seeds", "2", "--coding", "latency", "--threads", "0", "--out", _folder);
        Assert.True(code == 0, output);
        Assert.Contains("data set: generated shape images", output);
        CliTests.AssertPng(Path.Combine(_folder, "fashion_mnist.png"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "results.json")));
        var root = doc.RootElement;
        Assert.Equal("generated shape images", root.GetProperty("dataset").GetProperty("name").GetString());
        Assert.Equal(40, root.GetProperty("dataset").GetProperty("train_images").GetInt32());
        Assert.Equal("latency", root.GetProperty("settings").GetProperty("coding").GetString());
        var methods = root.GetProperty("methods").EnumerateArray().ToArray();
        Assert.Equal(Methods, methods.Select(m => m.GetProperty("method").GetString()));
        foreach (var m in methods)
        {
            Assert.Equal(2, m.GetProperty("test_accuracies").GetArrayLength());
            Assert.InRange(m.GetProperty("test_accuracy_mean").GetDouble(), 0, 1);
            Assert.True(m.GetProperty("test_accuracy_std").GetDouble() >= 0);
            Assert.True(double.IsFinite(m.GetProperty("final_alpha_mean").GetDouble()));
        }
        Assert.Equal(6, root.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public void Fashion_mnist_reads_an_idx_folder_given_with_data()
    {
        var data = Directory.CreateDirectory(Path.Combine(_folder, "idx")).FullName;
        var (train, trainLabels) = ShapeImages.Generate(50, seed: 7);
        var (test, testLabels) = ShapeImages.Generate(10, seed: 8);
        ImageClassificationDataTests.WriteIdxFolder(data, "train", train, trainLabels, gzip: true);
        ImageClassificationDataTests.WriteIdxFolder(data, "t10k", test, testLabels, gzip: true);
        var outFolder = Path.Combine(_folder, "out");
        var (code, output) = CliTests.Run("surrogate-meta", "fashion-mnist", "--data", data, "--train", "50", "--validation", "10", "--test", "10",
            "--hidden", "8", "--batch", "10", "--time-steps", "4", "--steps", "1", "--k", "1", "--seeds", "1", "--threads", "0", "--out", outFolder);
        Assert.True(code == 0, output);
        Assert.Contains("data set: Fashion-MNIST", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outFolder, "results.json")));
        Assert.Equal(Path.GetFullPath(data), doc.RootElement.GetProperty("dataset").GetProperty("source").GetString());

        var (tooMany, message) = CliTests.Run("surrogate-meta", "fashion-mnist", "--data", data, "--train", "500", "--validation", "10", "--threads", "0", "--out", outFolder);
        Assert.Equal(MetaSpikeCli.UsageError, tooMany);
        Assert.Contains("has only 50 images", message);
    }

    [Fact]
    public void A_missing_data_folder_says_how_to_install_fashion_mnist()
    {
        var (code, output) = CliTests.Run("surrogate-meta", "fashion-mnist", "--data", Path.Combine(_folder, "no-such-folder"), "--out", _folder);
        Assert.Equal(MetaSpikeCli.UsageError, code);
        Assert.Contains("does not exist", output);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", output);
        Assert.Contains("/usr/share/datasets/fashion-mnist", output);
    }

    [Theory]
    [InlineData("--coding must be rate or latency", "fashion-mnist", "--coding", "phase")]
    [InlineData("--train must be >=", "fashion-mnist", "--train", "100", "--validation", "100")]
    [InlineData("--k must be >= 1", "fashion-mnist", "--k", "0")]
    [InlineData("--alpha must be finite and above 0.1", "bilevel", "--alpha", "0.05")]
    [InlineData("--lr must be positive", "bilevel", "--lr", "-1")]
    [InlineData("--threads must be >= 0", "bilevel", "--threads", "-2")]
    public void Bad_options_give_a_clear_message_and_exit_code_2(string expected, string scenario, params string[] args)
    {
        var (code, output) = CliTests.Run(["surrogate-meta", scenario, .. args, "--out", _folder]);
        Assert.Equal(MetaSpikeCli.UsageError, code);
        Assert.Contains("error:", output);
        Assert.Contains(expected, output);
    }
}
