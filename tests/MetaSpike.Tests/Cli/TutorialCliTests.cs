using System.Text.Json;

namespace MetaSpike.Tests.Cli;

[Collection(GlobalRandomCollection.Name)]
public sealed class TutorialCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-tutorial-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Train_snn_writes_figures_logs_a_checkpoint_and_resumes_from_it()
    {
        var (code, output) = CliTests.Run("tutorial", "train-snn", "--epochs", "4", "--out", _folder);
        Assert.Equal(0, code);
        Assert.Contains("accuracy before training:", output);
        CliTests.AssertPng(Path.Combine(_folder, "loss.png"));
        CliTests.AssertPng(Path.Combine(_folder, "raster.png"));
        Assert.Equal(5, File.ReadAllLines(Path.Combine(_folder, "metrics.csv")).Length);
        Assert.True(File.Exists(Path.Combine(_folder, "checkpoint.msck")));
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "results.json"))))
        {
            Assert.Equal(4, doc.RootElement.GetProperty("epochs").GetInt32());
            Assert.Equal(4, doc.RootElement.GetProperty("losses").GetArrayLength());
        }

        // Asking for more epochs continues from the checkpoint, keeping the first four losses.
        var first = File.ReadAllLines(Path.Combine(_folder, "metrics.csv"))[1..].Select(l => l.Split(',')[1]).ToArray();
        var (again, resumed) = CliTests.Run("tutorial", "train-snn", "--epochs", "6", "--out", _folder);
        Assert.Equal(0, again);
        Assert.Contains("resumed from the checkpoint after epoch 4", resumed);
        var lines = File.ReadAllLines(Path.Combine(_folder, "metrics.csv"));
        Assert.Equal(7, lines.Length);
        Assert.Equal(first, lines[1..5].Select(l => l.Split(',')[1]).ToArray());
    }

    [Fact]
    public void Train_snn_rejects_a_non_positive_epoch_count()
    {
        var (code, output) = CliTests.Run("tutorial", "train-snn", "--epochs", "0", "--out", _folder);
        Assert.Equal(2, code);
        Assert.Contains("--epochs must be >= 1", output);
    }
}
