using MetaSpike.Data;
using MetaSpike.Data.Readers;
using PureHDF;

namespace MetaSpike.Tests.Data.Readers2;

public sealed class ShdTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-shd-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Keys = Enumerable.Range(0, 10).Select(d => $"english-{d}")
        .Concat(Enumerable.Range(0, 10).Select(d => $"german-{d}")).ToArray();

    /// <summary>Writes an SHD-layout file with PureHDF; jagged arrays become HDF5 variable-length sequences.</summary>
    private string Write(object times, object units, object? labels, object? speakers = null, string name = "shd_train.h5")
    {
        var extra = new H5Group { ["keys"] = Keys };
        if (speakers is not null) extra["speaker"] = speakers;
        var file = new H5File
        {
            ["spikes"] = new H5Group { ["times"] = times, ["units"] = units },
            ["extra"] = extra,
        };
        if (labels is not null) file["labels"] = labels;
        var path = Path.Combine(_folder, name);
        file.Write(path);
        return path;
    }

    /// <summary>Three samples: float32 seconds, int16 units, uint16 labels; the middle one is empty.</summary>
    private string Float32Int16() => Write(
        new[] { new[] { 0.0005f, 0.25f, 1.0f }, Array.Empty<float>(), new[] { 0.1f } },
        new[] { new short[] { 0, 699, 42 }, Array.Empty<short>(), new short[] { 7 } },
        new ushort[] { 3, 0, 19 },
        new ushort[] { 1, 2, 3 });

    [Fact]
    public void Float32TimesAndInt16Units_MapToMicrosecondEventsOnA700x1Sensor()
    {
        var path = Float32Int16();
        var s = ShdFile.ReadSample(path, 0);
        // float32 0.0005 is 0.000500000024 s and 0.1 is 0.100000001 s: both round to whole µs.
        Assert.Equal([500L, 250_000L, 1_000_000L], s.TimesUs);
        Assert.Equal([(ushort)0, (ushort)699, (ushort)42], s.X);
        Assert.Equal(new ushort[3], s.Y);
        Assert.Equal(new byte[3], s.Polarity);
        Assert.Equal((700, 1), (s.Width, s.Height));
        Assert.Equal(0, ShdFile.ReadSample(path, 1).Count);
        Assert.Equal([100_000L], ShdFile.ReadSample(path, 2).TimesUs);

        var index = ShdFile.ReadIndex(path);
        Assert.Equal(3, index.Count);
        Assert.Equal([3, 0, 19], index.Labels);
        Assert.Equal([1, 2, 3], index.Speakers!);
        Assert.Equal(Keys, index.ClassNames);
    }

    [Fact]
    public void Float64TimesAndInt32Units_AndFloat16Times_AreAccepted()
    {
        var path = Write(
            new[] { new[] { 1.234567, 2e-6 } }, new[] { new[] { 5, 6 } }, new long[] { 12 }, name: "f64.h5");
        var s = ShdFile.ReadSample(path, 0);
        Assert.Equal([1_234_567L, 2L], s.TimesUs);
        Assert.Equal([(ushort)5, (ushort)6], s.X);
        Assert.Null(ShdFile.ReadIndex(path).Speakers);

        var half = Write(new[] { new[] { (Half)0.5, (Half)0.25 } }, new[] { new byte[] { 1, 2 } }, new byte[] { 4 }, name: "f16.h5");
        Assert.Equal([500_000L, 250_000L], ShdFile.ReadSample(half, 0).TimesUs);
    }

    [Fact]
    public void Dataset_ExposesLabelsClassesAndReadsSamples()
    {
        var path = Float32Int16();
        var data = new ShdDataset(path);
        Assert.Equal("SHD shd_train", data.Name);
        Assert.Equal((700, 1), (data.Width, data.Height));
        Assert.Equal(20, data.ClassNames.Count);
        Assert.Equal("german-9", data.ClassNames[19]);
        Assert.Equal(3, data.Count);
        Assert.Equal([3, 0, 19], Enumerable.Range(0, 3).Select(data.LabelOf));
        Assert.Equal(2, data.SpeakerOf(1));
        var sample = data.Read(2);
        Assert.Equal(19, sample.Label);
        Assert.Equal([(ushort)7], sample.Events.X);
        Assert.Equal($"{path} sample 2", sample.Source);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Read(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShdFile.ReadSample(path, 3));
    }

    [Fact]
    public void MismatchedLengths_NameTheFileAndSample()
    {
        var path = Write(
            new[] { new[] { 0.1f }, new[] { 0.1f, 0.2f } }, new[] { new short[] { 1 }, new short[] { 1 } }, new ushort[] { 0, 1 });
        Assert.Single(ShdFile.ReadSample(path, 0).TimesUs);
        var data = new ShdDataset(path);
        var e = Assert.Throws<EventFormatException>(() => data.Read(1));
        Assert.Equal(path, e.Path);
        Assert.Equal(1, e.Record);
        Assert.Contains("2 entries", e.Message);
    }

    [Fact]
    public void MissingLabels_NamesTheDataset()
    {
        var path = Write(new[] { new[] { 0.1f } }, new[] { new short[] { 1 } }, labels: null);
        var e = Assert.Throws<EventFormatException>(() => new ShdDataset(path));
        Assert.Contains("'labels' is missing", e.Message);
        Assert.StartsWith(path, e.Message);
    }

    [Theory]
    [InlineData(0.1f, (short)700, "unit 700")]
    [InlineData(-0.001f, (short)3, "-0.001")]
    [InlineData(float.NaN, (short)3, "NaN")]
    [InlineData(float.PositiveInfinity, (short)3, "spike 1")]
    public void BadSpikes_AreErrorsOfTheSample(float time, short unit, string shown)
    {
        var path = Write(new[] { new[] { 0.5f, time } }, new[] { new short[] { 1, unit } }, new ushort[] { 0 });
        var e = Assert.Throws<EventFormatException>(() => ShdFile.ReadSample(path, 0));
        Assert.Equal(0, e.Record);
        Assert.Contains(shown, e.Message);
    }

    [Fact]
    public void LabelOutsideTheClasses_ThrowsOrIsSkipped()
    {
        var path = Write(
            new[] { new[] { 0.1f }, new[] { 0.2f }, new[] { 0.3f } },
            new[] { new short[] { 1 }, new short[] { 2 }, new short[] { 3 } },
            new ushort[] { 5, 20, 6 });
        var e = Assert.Throws<EventFormatException>(() => new ShdDataset(path));
        Assert.Equal(1, e.Record);
        var data = new ShdDataset(path, skipBad: true);
        Assert.Equal(2, data.Count);
        Assert.Equal(2, data.Record(1));
        Assert.Equal(6, data.LabelOf(1));
        Assert.Equal([(ushort)3], data.Read(1).Events.X);
        Assert.Contains("label 20", Assert.Single(data.Skipped));
    }

    [Fact]
    public void MissingOrNonHdf5File_IsRejected()
    {
        var missing = Path.Combine(_folder, "none.h5");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => new ShdDataset(missing)).Message);
        var text = Path.Combine(_folder, "text.h5");
        File.WriteAllText(text, "not hdf5");
        Assert.Equal(text, Assert.Throws<EventFormatException>(() => ShdFile.ReadSample(text, 0)).Path);
    }
}
