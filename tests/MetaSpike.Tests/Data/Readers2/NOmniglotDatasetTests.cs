using MetaSpike.Data;
using MetaSpike.Data.Readers;

namespace MetaSpike.Tests.Data.Readers2;

public sealed class NOmniglotDatasetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("metaspike-nomniglot-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Writes SPLIT/ALPHABET/CHARACTER/NAME.aedat4 (+ .csv when given) and returns the character folder.</summary>
    private string Character(string split, string alphabet, string character, string name, Aedat4Writer writer, string? csv)
    {
        var folder = Path.Combine(_root, split, alphabet, character);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, name + ".aedat4"), writer.Build());
        if (csv is not null) File.WriteAllText(Path.Combine(folder, name + ".csv"), csv);
        return folder;
    }

    /// <summary>Three characters in two alphabets, seven samples, three CSV styles.</summary>
    private void Background()
    {
        // Windows [1000, 2000) and [2000, 3000); the event at 3000 belongs to neither.
        Character("background", "Alphabet_A", "character01", "0001",
            new Aedat4Writer().Events(1, new(1000, 1, 2, true), new(1999, 3, 4, false))
                .Events(1, new(2000, 5, 6, true), new(2500, 7, 8, true), new(3000, 9, 9, false)),
            "index,startTime,endTime\n0,1000,2000\n1,2000,3000\n");
        Character("background", "Alphabet_A", "character02", "0002",
            new Aedat4Writer { Compression = Aedat4Compression.Zstd }.Events(1, new(50, 10, 10, true), new(70, 11, 11, false)),
            "0,50,60\n1,60,80\n");
        Character("background", "Alphabet_B", "character01", "0003",
            new Aedat4Writer { Compression = Aedat4Compression.Lz4, WithDataTable = true }
                .Events(1, new TestEvent(100, 0, 0, true)).Events(1, new TestEvent(200, 1, 0, true)).Events(1, new TestEvent(300, 2, 0, false)),
            "start_ts,end_ts\n100,200\n200.0,300\n300,301\n");
    }

    [Fact]
    public void IndexesCharactersAsClasses_AndReadsEachWindowRelativeToItsStart()
    {
        Background();
        var data = new NOmniglotDataset(_root);
        Assert.Equal("N-Omniglot background", data.Name);
        Assert.Equal((346, 260), (data.Width, data.Height));
        Assert.Equal(["Alphabet_A/character01", "Alphabet_A/character02", "Alphabet_B/character01"], data.ClassNames);
        Assert.Equal(7, data.Count);
        Assert.Equal([0, 0, 1, 1, 2, 2, 2], Enumerable.Range(0, 7).Select(data.LabelOf));

        var first = data.Read(0);
        Assert.Equal(0, first.Label);
        Assert.Equal([0L, 999L], first.Events.TimesUs);
        Assert.Equal([(ushort)1, (ushort)3], first.Events.X);
        Assert.Equal([(ushort)2, (ushort)4], first.Events.Y);
        Assert.Equal([(byte)1, (byte)0], first.Events.Polarity);
        Assert.Contains("0001.aedat4 sample 0", first.Source);

        var second = data.Read(1);
        Assert.Equal([0L, 500L], second.Events.TimesUs);
        Assert.Equal([(ushort)5, (ushort)7], second.Events.X);

        Assert.Equal([0L], data.Read(2).Events.TimesUs);
        Assert.Equal([10L], data.Read(3).Events.TimesUs);
        Assert.Equal([(ushort)1], data.Read(5).Events.X);
        var last = data.Read(6);
        Assert.Equal(2, last.Label);
        Assert.Equal([0L], last.Events.TimesUs);
        Assert.Equal([(byte)0], last.Events.Polarity);
        Assert.Equal((300L, 301L), (data.WindowOf(6).StartUs, data.WindowOf(6).EndUs));
    }

    [Fact]
    public void PublishedFolderName_AndTheEvaluationSplit()
    {
        Character("dvs_evaluation", "Alphabet_Z", "character07", "1500",
            new Aedat4Writer().Events(1, new(10, 1, 1, true), new(20, 2, 2, true)), "startTime,endTime\n10,20\n20,30\n");
        var data = new NOmniglotDataset(_root, "evaluation");
        Assert.Equal("N-Omniglot evaluation", data.Name);
        Assert.EndsWith("dvs_evaluation", data.Folder);
        Assert.Equal(["Alphabet_Z/character07"], data.ClassNames);
        Assert.Equal([0L], data.Read(1).Events.TimesUs);
        Assert.Equal([(ushort)2], data.Read(1).Events.X);
    }

    [Fact]
    public void BadArguments_AndMissingFolders_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new NOmniglotDataset(_root, "train"));
        var missingRoot = Path.Combine(_root, "nothing");
        Assert.Contains(missingRoot, Assert.Throws<DirectoryNotFoundException>(() => new NOmniglotDataset(missingRoot)).Message);
        var e = Assert.Throws<DirectoryNotFoundException>(() => new NOmniglotDataset(_root));
        Assert.Contains(Path.Combine(_root, "dvs_background"), e.Message);
        Background();
        var data = new NOmniglotDataset(_root);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Read(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.LabelOf(-1));
    }

    [Fact]
    public void CharacterWithoutCsv_ThrowsOrIsSkipped()
    {
        Background();
        var lonely = Character("background", "Alphabet_A", "character03", "0004", new Aedat4Writer().Events(1, new TestEvent(1, 1, 1, true)), csv: null);
        Assert.Contains(lonely, Assert.Throws<FileNotFoundException>(() => new NOmniglotDataset(_root)).Message);
        var data = new NOmniglotDataset(_root, skipBad: true);
        Assert.Equal(3, data.ClassNames.Count);
        Assert.Equal(7, data.Count);
        Assert.Contains(lonely, Assert.Single(data.Skipped));
    }

    [Fact]
    public void MalformedCsvRow_ThrowsNamingTheCsvAndRow_OrIsSkipped()
    {
        Background();
        var folder = Character("background", "Alphabet_C", "character01", "0005",
            new Aedat4Writer().Events(1, new TestEvent(10, 1, 1, true)), "startTime,endTime\n10,20\n30,abc\n40,35\n");
        var e = Assert.Throws<EventFormatException>(() => new NOmniglotDataset(_root));
        Assert.Equal(Path.Combine(folder, "0005.csv"), e.Path);
        Assert.Equal(1, e.Record);
        Assert.Contains("abc", e.Message);

        var data = new NOmniglotDataset(_root, skipBad: true);
        Assert.Equal(8, data.Count);
        Assert.Equal(2, data.Skipped.Count);
        Assert.Contains("at record 2", data.Skipped[1]);
        Assert.Equal(3, data.LabelOf(7));
    }

    [Fact]
    public void RecordingOfAnotherSensor_IsRejectedWhenRead()
    {
        var info = Aedat4Writer.Davis346Info.Replace(">346<", ">640<").Replace(">260<", ">480<");
        Character("background", "Alphabet_A", "character01", "0001",
            new Aedat4Writer { InfoNode = info }.Events(1, new TestEvent(10, 600, 1, true)), "startTime,endTime\n10,20\n");
        var data = new NOmniglotDataset(_root);
        Assert.Contains("640 x 480", Assert.Throws<EventFormatException>(() => data.Read(0)).Message);
    }
}
