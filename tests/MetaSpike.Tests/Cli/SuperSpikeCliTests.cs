using System.Text.Json;

namespace MetaSpike.Tests.Cli;

/// <summary><c>metaspike superspike</c> and <c>metaspike in-the-loop</c> at tiny sizes; <c>--threads 0</c> keeps libtorch's thread count.</summary>
public sealed class SuperSpikeCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-superspike-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Superspike_prints_losses_and_spike_timing_and_writes_the_figures_and_results()
    {
        var (code, output) = CliTests.Run("superspike", "--epochs", "3", "--threads", "0", "--out", _folder);
        Assert.True(code == 0, output);
        Assert.Contains("realistic chip (chip seed 1)", output);
        Assert.Contains("Loss per epoch", output);
        Assert.Contains("spike timing: max |dt|", output);
        foreach (var png in new[] { "epoch_first.png", "epoch_last.png", "loss.png" }) CliTests.AssertPng(Path.Combine(_folder, png));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "results.json")));
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("losses").GetArrayLength());
        Assert.Equal("realistic", root.GetProperty("chip").GetString());
        Assert.True(root.GetProperty("target_spikes_us").GetArrayLength() > 0);
        Assert.Equal(root.GetProperty("target_spikes_us").GetArrayLength(), root.GetProperty("matches").GetArrayLength());
        Assert.True(root.GetProperty("range_lsb").GetDouble() > 200);
    }

    [Fact]
    public void Superspike_on_the_ideal_chip_and_bad_options()
    {
        var (code, output) = CliTests.Run("superspike", "--epochs", "1", "--ideal", "--threads", "0", "--out", _folder);
        Assert.True(code == 0, output);
        Assert.Contains("ideal chip", output);
        var (bad, message) = CliTests.Run("superspike", "--epochs", "0", "--out", _folder);
        Assert.Equal(2, bad);
        Assert.Contains("--epochs must be >= 1", message);
        var (badRate, rateMessage) = CliTests.Run("superspike", "--rate-khz", "-1", "--threads", "0", "--out", _folder);
        Assert.Equal(2, badRate);
        Assert.Contains("Rate", rateMessage);
    }

    [Fact]
    public void In_the_loop_compares_both_methods_and_writes_results()
    {
        var (code, output) = CliTests.Run("in-the-loop", "--steps", "2", "--train", "12", "--test", "9", "--batch", "6", "--hidden", "8", "--threads", "0", "--out", _folder);
        Assert.True(code == 0, output);
        Assert.Contains("trained in the loop", output);
        Assert.Contains("deployed to the chip", output);
        CliTests.AssertPng(Path.Combine(_folder, "in_the_loop.png"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "results.json")));
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("in_the_loop_curve").GetArrayLength());
        Assert.Equal(2, root.GetProperty("software_curve").GetArrayLength());
        foreach (var key in new[] { "in_the_loop_chip_accuracy", "deployed_chip_accuracy", "software_model_accuracy", "deployed_ideal_chip_accuracy" })
            Assert.InRange(root.GetProperty(key).GetDouble(), 0, 1);
        var (bad, message) = CliTests.Run("in-the-loop", "--mismatch", "-1", "--out", _folder);
        Assert.Equal(2, bad);
        Assert.Contains("--mismatch must be finite and >= 0", message);
    }
}
