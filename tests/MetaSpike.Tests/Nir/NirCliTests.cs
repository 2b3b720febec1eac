using MetaSpike.Cli;
using MetaSpike.Nir;
using MetaSpike.Tests.Cli;
using MetaSpike.Tests.Data.Readers;

namespace MetaSpike.Tests.Nir;

[Collection(GlobalRandomCollection.Name)]
public sealed class NirCliTests : IDisposable
{
    private readonly TempFolder _folder = new("nir-cli");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Tutorial_checkpoint_exports_with_extensions_and_imports_and_runs()
    {
        var run = Path.Combine(_folder.Root, "tutorial");
        Assert.Equal(0, CliTests.Run("tutorial", "train-snn", "--epochs", "1", "--out", run).Code);
        var checkpoint = Path.Combine(run, "checkpoint.msck");
        var nir = _folder.File("tutorial.nir");

        var (refused, message) = CliTests.Run("nir", "export", checkpoint, nir);
        Assert.Equal(MetaSpikeCli.UsageError, refused);
        Assert.Contains("reset mode Subtract", message);
        Assert.False(File.Exists(nir));

        var (code, output) = CliTests.Run("nir", "export", checkpoint, nir, "--metaspike-extensions");
        Assert.Equal(0, code);
        Assert.Contains("CubaLIF", output);
        Assert.Equal(["Input", "Affine", "CubaLIF", "Affine", "LI", "Output"], NirFile.Read(nir).Nodes.Select(n => n.Value.Type));

        var (imported, table) = CliTests.Run("nir", "import", nir, "--steps", "5");
        Assert.Equal(0, imported);
        Assert.Contains("Linear(100, 4, bias=True)", table);
        Assert.Contains("output [5, 2, 2]", table.ReplaceLineEndings(" ").Replace("  ", " "));
    }

    [Fact]
    public void A_checkpoint_without_an_architecture_and_a_missing_file_are_usage_errors()
    {
        Assert.Equal(MetaSpikeCli.UsageError, CliTests.Run("nir", "import", _folder.File("absent.nir")).Code);
        var bare = _folder.File("bare.msck");
        using (var model = new MetaSpike.Layers.Linear(2, 2))
            MetaSpike.Training.Checkpoint.Save(bare, model, null, new MetaSpike.Training.CheckpointMetadata());
        var (code, output) = CliTests.Run("nir", "export", bare, _folder.File("x.nir"));
        Assert.Equal(MetaSpikeCli.UsageError, code);
        Assert.Contains("does not record its architecture", output);
    }
}
