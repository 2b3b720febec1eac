namespace MetaSpike.Data.Readers;

/// <summary>
/// N-Omniglot (Li et al. 2022): the 1623 Omniglot characters (964 in "background", 659 in "evaluation") redrawn on
/// a screen and recorded with a DAVIS346 (346 x 260). Folder layout <c>ROOT/SPLIT/ALPHABET/CHARACTER/NAME.aedat4</c>
/// with <c>NAME.csv</c> beside it listing one time window per drawer (usually 20); SPLIT may also be spelled
/// <c>dvs_background</c> / <c>dvs_evaluation</c> as in the published archive. The class is the character,
/// named "ALPHABET/CHARACTER"; classes are ordered by alphabet, then character (ordinal).
/// </summary>
/// <remarks>
/// The constructor reads the folder tree and the CSVs, never the recordings. <see cref="Read"/> opens the sample's
/// .aedat4 once (its packet index is then kept) and decodes only the packets overlapping the sample's window
/// [start, end); event times are relative to the window start.
/// </remarks>
public sealed class NOmniglotDataset : IEventDataset
{
    /// <summary>DAVIS346 width.</summary>
    public const int SensorWidth = 346;

    /// <summary>DAVIS346 height.</summary>
    public const int SensorHeight = 260;

    private readonly string[] _files;
    private readonly Aedat4File?[] _opened;
    private readonly Sample[] _samples;
    private readonly string[] _classes;

    private readonly record struct Sample(int File, int Row, long StartUs, long EndUs, int Label);

    /// <summary>Indexes the split <paramref name="split"/> ("background" or "evaluation") under <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding the split folders.</param>
    /// <param name="split">"background" (training alphabets) or "evaluation".</param>
    /// <param name="skipBad">Leave out character folders without a .aedat4 + .csv pair and malformed CSV rows,
    /// listing them in <see cref="Skipped"/>, instead of throwing. Corrupt recordings still throw from <see cref="Read"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="split"/> is neither "background" nor "evaluation".</exception>
    /// <exception cref="DirectoryNotFoundException">The root or the split folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A character folder has no .aedat4 with a .csv of the same name, or the split holds no samples.</exception>
    /// <exception cref="EventFormatException">A CSV row is malformed.</exception>
    public NOmniglotDataset(string root, string split = "background", bool skipBad = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (split is not ("background" or "evaluation"))
            throw new ArgumentException($"split must be \"background\" or \"evaluation\", got \"{split}\".", nameof(split));
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"N-Omniglot root '{root}' does not exist.");
        var folder = Path.Combine(root, split);
        if (!Directory.Exists(folder))
        {
            var published = Path.Combine(root, "dvs_" + split);
            if (!Directory.Exists(published))
                throw new DirectoryNotFoundException($"N-Omniglot split folder not found: neither '{folder}' nor '{published}' exists.");
            folder = published;
        }

        var files = new List<string>();
        var samples = new List<Sample>();
        var classes = new List<string>();
        var skipped = new List<string>();
        foreach (var alphabet in SortedFolders(folder))
            foreach (var character in SortedFolders(alphabet))
            {
                var recordings = Directory.GetFiles(character, "*.aedat4")
                    .Where(f => File.Exists(Path.ChangeExtension(f, ".csv")))
                    .Order(StringComparer.Ordinal).ToArray();
                if (recordings.Length == 0)
                {
                    var problem = $"N-Omniglot character folder '{character}' has no .aedat4 file with a .csv of the same name.";
                    if (!skipBad) throw new FileNotFoundException(problem, character);
                    skipped.Add(problem);
                    continue;
                }
                var label = classes.Count;
                classes.Add($"{Path.GetFileName(alphabet)}/{Path.GetFileName(character)}");
                foreach (var recording in recordings)
                {
                    foreach (var (row, start, end) in NOmniglotCsv.Read(Path.ChangeExtension(recording, ".csv"), skipBad, skipped))
                        samples.Add(new Sample(files.Count, row, start, end, label));
                    files.Add(recording);
                }
            }
        if (samples.Count == 0)
            throw new FileNotFoundException($"N-Omniglot split folder '{folder}' holds no samples (ALPHABET/CHARACTER/NAME.aedat4 + NAME.csv).", folder);

        (Folder, Skipped, _files, _samples, _classes) = (folder, skipped, files.ToArray(), samples.ToArray(), classes.ToArray());
        _opened = new Aedat4File?[_files.Length];
        Name = $"N-Omniglot {split}";
    }

    /// <summary>The split folder that was indexed.</summary>
    public string Folder { get; }

    /// <summary>What was left out with skipBad, one message per character folder or CSV row.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Width => SensorWidth;

    /// <inheritdoc />
    public int Height => SensorHeight;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _classes;

    /// <inheritdoc />
    public int Count => _samples.Length;

    /// <inheritdoc />
    public int LabelOf(int index) => _samples[CheckIndex(index)].Label;

    /// <summary>The recording and the time window (µs, file clock) of sample <paramref name="index"/>.</summary>
    public (string Path, long StartUs, long EndUs) WindowOf(int index)
    {
        var sample = _samples[CheckIndex(index)];
        return (_files[sample.File], sample.StartUs, sample.EndUs);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside 0 .. Count-1.</exception>
    public EventSample Read(int index)
    {
        var sample = _samples[CheckIndex(index)];
        var path = _files[sample.File];
        var file = Volatile.Read(ref _opened[sample.File]);
        if (file is null)
        {
            file = Aedat4File.Open(path);
            Volatile.Write(ref _opened[sample.File], file);
        }
        if (file.Width != SensorWidth || file.Height != SensorHeight)
            throw new EventFormatException(path, $"the sensor is {file.Width} x {file.Height}, but N-Omniglot was recorded with a DAVIS346 ({SensorWidth} x {SensorHeight})");
        var events = file.Read(sample.StartUs, sample.EndUs);
        var times = events.TimesUs;
        for (var i = 0; i < times.Length; i++) times[i] -= sample.StartUs;
        return new EventSample(events, sample.Label, $"{path} sample {sample.Row}");
    }

    private int CheckIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _samples.Length);
        return index;
    }

    private static IEnumerable<string> SortedFolders(string folder) =>
        Directory.GetDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal);
}
