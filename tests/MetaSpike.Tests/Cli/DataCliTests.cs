using System.Text.Json;
using MetaSpike.Data;
using MetaSpike.Data.FewShot;
using MetaSpike.Data.Readers;

namespace MetaSpike.Tests.Cli;

public sealed class DataCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-data-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string NMnistFolder(bool withCorruptFile)
    {
        var root = Path.Combine(_folder, "nmnist");
        for (int digit = 0; digit < 2; digit++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, "Train", digit.ToString())).FullName;
            for (int k = 0; k < 3; k++)
            {
                var n = 10 + k;
                var events = new EventStream(Enumerable.Range(0, n).Select(i => (long)i * 1000).ToArray(),
                    Enumerable.Range(0, n).Select(i => (ushort)(i % 34)).ToArray(), Enumerable.Range(0, n).Select(i => (ushort)(digit + 3)).ToArray(),
                    Enumerable.Range(0, n).Select(i => (byte)(i % 2)).ToArray(), 34, 34);
                NMnistFile.Write(Path.Combine(dir, $"{k}.bin"), events);
            }
        }
        if (withCorruptFile)
            File.WriteAllBytes(Path.Combine(root, "Train", "1", "9.bin"), [1, 2, 0, 0, 5, 200, 2, 0, 0, 9]); // second event: x = 200
        return root;
    }

    [Fact]
    public void Info_reports_counts_and_event_statistics_of_an_n_mnist_folder()
    {
        var (code, output) = CliTests.Run("data", "info", NMnistFolder(false), "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.Equal(6, r.GetProperty("samples").GetInt32());
        Assert.Equal(10, r.GetProperty("classes").GetInt32());
        Assert.Equal(11.0, r.GetProperty("mean_events").GetDouble(), 12);
        Assert.Equal(10, r.GetProperty("min_events").GetInt64());
        Assert.Equal(12, r.GetProperty("max_events").GetInt64());
        Assert.Equal(10.0, r.GetProperty("mean_duration_ms").GetDouble(), 12);
    }

    [Fact]
    public void A_corrupt_file_is_named_with_its_byte_offset_or_skipped_and_counted()
    {
        var root = NMnistFolder(true);
        var (code, output) = CliTests.Run("data", "info", root);
        Assert.Equal(2, code);
        Assert.Contains("9.bin", output);
        Assert.Contains("at byte 5", output);
        var (skipCode, skipOutput) = CliTests.Run("data", "info", root, "--skip-bad", "--json");
        Assert.Equal(0, skipCode);
        using var doc = JsonDocument.Parse(skipOutput);
        Assert.Equal(1, doc.RootElement.GetProperty("bad").GetInt32());
        Assert.Equal(6, doc.RootElement.GetProperty("read").GetInt32());
    }

    [Fact]
    public void Generate_writes_a_folder_that_reopens_as_the_same_generator_and_show_draws_it()
    {
        var target = Path.Combine(_folder, "glyphs");
        var (code, output) = CliTests.Run("data", "generate", "glyphs", "--classes", "5", "--samples", "3", "--seed", "7", "--out", target);
        Assert.Equal(0, code);
        Assert.Contains("15 samples, 5 classes", output);
        var reopened = DatasetOpener.Open(target);
        var direct = DatasetOpener.Open("glyphs:classes=5,samples=3,seed=7");
        Assert.Equal(direct.Read(4).Events.TimesUs, reopened.Read(4).Events.TimesUs);
        var onDisk = NMnistFile.Read(Path.Combine(target, "events", "0001", "0000004.bin"));
        Assert.Equal(direct.Read(4).Events.X, onDisk.X);
        Assert.Equal(direct.Read(4).Events.TimesUs, onDisk.TimesUs);

        var png = Path.Combine(_folder, "g.png");
        Assert.Equal(0, CliTests.Run("data", "show", target, "--sample", "4", "--out", png).Code);
        CliTests.AssertPng(png);
        var gif = Path.Combine(_folder, "g.gif");
        Assert.Equal(0, CliTests.Run("data", "show", "poisson:classes=2,samples=2,channels=30", "--sample", "1", "--out", gif).Code);
        Assert.Equal("GIF89a"u8.ToArray(), File.ReadAllBytes(gif)[..6]);
    }

    [Fact]
    public void Unknown_layouts_and_bad_arguments_are_explained()
    {
        var (code, output) = CliTests.Run("data", "info", _folder);
        Assert.Equal(2, code);
        Assert.Contains("not a dataset layout", output);
        Assert.Equal(2, CliTests.Run("data", "info", Path.Combine(_folder, "missing")).Code);
        var (showCode, showOutput) = CliTests.Run("data", "show", "glyphs:classes=2,samples=1", "--sample", "5", "--out", Path.Combine(_folder, "x.png"));
        Assert.Equal(2, showCode);
        Assert.Contains("--sample must be in [0, 2)", showOutput);
        Assert.Equal(2, CliTests.Run("data", "info", "glyphs:classes=x").Code);
    }

    [Fact]
    public void Glyph_meta_dataset_has_disjoint_splits_and_tasks_from_each()
    {
        var meta = MetaDatasets.Glyphs(classes: 50, samplesPerClass: 6, seed: 2);
        var s = meta.Splits;
        Assert.Equal(50, s.Train.Classes.Count + s.Validation.Classes.Count + s.Test.Classes.Count);
        Assert.Empty(s.Train.Classes.Intersect(s.Validation.Classes).Concat(s.Train.Classes.Intersect(s.Test.Classes)).Concat(s.Validation.Classes.Intersect(s.Test.Classes)));
        var task = new TaskSampler(s.Test, ways: 5, shots: 1, queries: 3, seed: 0).Sample(0);
        Assert.All(task.Classes, c => Assert.Contains(c, s.Test.Classes));
        var frames = EventBinning.ToFrames(s.Test.Source.Read(task.Support[0].Index).Events, meta.Binning);
        Assert.Equal(new long[] { 100, 2, 26, 34 }, frames.shape);
    }
}
