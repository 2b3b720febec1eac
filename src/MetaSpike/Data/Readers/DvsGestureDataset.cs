namespace MetaSpike.Data.Readers;

/// <summary>
/// The DVS Gesture dataset as downloaded: a folder of AEDAT 3.1 recordings (<see cref="Aedat31File"/>), each with
/// a <c>&lt;file&gt;_labels.csv</c> beside it (<see cref="DvsGestureLabels"/>), and the lists
/// <c>trials_to_train.txt</c> / <c>trials_to_test.txt</c> naming the recordings of each split. Every CSV row is
/// one sample: the events of its recording with start &lt;= t &lt; end, times relative to the row's start.
/// The constructor reads the lists and the CSVs (recordings in ordinal order, rows in file order), never the
/// events; <see cref="Read"/> streams one recording and keeps only its sample's events.
/// </summary>
public sealed class DvsGestureDataset : IEventDataset
{
    /// <summary>The 11 gesture names, by 0-based label.</summary>
    public static IReadOnlyList<string> GestureNames { get; } =
    [
        "hand clap", "right hand wave", "left hand wave", "right arm clockwise", "right arm counter clockwise",
        "left arm clockwise", "left arm counter clockwise", "arm roll", "air drums", "air guitar", "other gestures",
    ];

    private readonly List<(string Path, int Row, GestureSegment Segment)> _samples = [];
    private readonly List<(string Path, string Reason)> _skipped = [];

    /// <summary>Indexes one split of the recordings in <paramref name="folder"/>.</summary>
    /// <param name="folder">The folder holding the .aedat files, their labels CSVs and the trial lists.</param>
    /// <param name="split">
    /// "train" or "test" (any case): the recordings named in <c>trials_to_&lt;split&gt;.txt</c>. When the folder has
    /// neither list, every *.aedat file in it is used, whatever the split.
    /// </param>
    /// <param name="skipBad">
    /// Leave out recordings that are missing, whose AEDAT header does not read, or whose labels CSV is malformed
    /// (listed in <see cref="SkippedFiles"/>); otherwise a missing recording or malformed CSV throws here and a bad
    /// header throws <see cref="EventFormatException"/> when a sample is read. Problems inside the packets always
    /// throw at <see cref="Read"/>.
    /// </param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A recording's labels CSV, or the split's trial list (when the other exists), is missing.</exception>
    public DvsGestureDataset(string folder, string split = "train", bool skipBad = false)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(split);
        DatasetFolder.Require(folder, "DVS Gesture");
        split = split.ToLowerInvariant();
        if (split is not ("train" or "test"))
            throw new ArgumentException($"DVS Gesture split must be 'train' or 'test', got '{split}'.", nameof(split));

        var list = Path.Combine(folder, $"trials_to_{split}.txt");
        var other = Path.Combine(folder, $"trials_to_{(split == "train" ? "test" : "train")}.txt");
        string[] recordings;
        if (File.Exists(list))
        {
            recordings = File.ReadAllLines(list).Select(l => l.Trim()).Where(l => l.Length > 0)
                .Select(l => Path.Combine(folder, l)).Distinct().Order(StringComparer.Ordinal).ToArray();
            Name = $"DVS Gesture {split}";
        }
        else if (File.Exists(other))
            throw new FileNotFoundException($"DVS Gesture trial list not found: '{Path.GetFullPath(list)}' (the folder has '{Path.GetFileName(other)}').", list);
        else
        {
            recordings = DatasetFolder.Files(folder, ".aedat");
            Name = "DVS Gesture (all recordings)";
        }

        foreach (var path in recordings)
        {
            if (!File.Exists(path))
            {
                if (!skipBad) throw new FileNotFoundException($"DVS Gesture recording listed in '{list}' not found: '{Path.GetFullPath(path)}'.", path);
                _skipped.Add((path, "file not found."));
                continue;
            }
            IReadOnlyList<GestureSegment> segments;
            try
            {
                segments = DvsGestureLabels.Read(DvsGestureLabels.PathFor(path));
            }
            catch (EventFormatException e) when (skipBad)
            {
                _skipped.Add((path, e.Message));
                continue;
            }
            if (skipBad && Aedat31File.HeaderProblem(path) is { } problem)
            {
                _skipped.Add((path, problem));
                continue;
            }
            for (int row = 0; row < segments.Count; row++)
                _samples.Add((path, row, segments[row]));
        }
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Width => Aedat31File.Width;

    /// <inheritdoc/>
    public int Height => Aedat31File.Height;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => GestureNames;

    /// <inheritdoc/>
    public int Count => _samples.Count;

    /// <summary>Recordings left out of the index by <c>skipBad</c>, with the reason.</summary>
    public IReadOnlyList<(string Path, string Reason)> SkippedFiles => _skipped;

    /// <summary>The recording and labelled segment of sample <paramref name="index"/>.</summary>
    public (string Path, GestureSegment Segment) SegmentOf(int index)
    {
        DatasetFolder.CheckIndex(index, Count);
        return (_samples[index].Path, _samples[index].Segment);
    }

    /// <inheritdoc/>
    public int LabelOf(int index)
    {
        DatasetFolder.CheckIndex(index, Count);
        return _samples[index].Segment.Label;
    }

    /// <inheritdoc/>
    public EventSample Read(int index)
    {
        DatasetFolder.CheckIndex(index, Count);
        var (path, row, segment) = _samples[index];
        var events = Aedat31File.Read(path, segment.StartUs, segment.EndUs);
        return new EventSample(events, segment.Label, $"{path} (gesture {row + 1} of {Path.GetFileName(DvsGestureLabels.PathFor(path))})");
    }
}
