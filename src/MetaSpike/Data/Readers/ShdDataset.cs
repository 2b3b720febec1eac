namespace MetaSpike.Data.Readers;

/// <summary>
/// A Spiking Heidelberg Digits file (<c>shd_train.h5</c> or <c>shd_test.h5</c>) as a dataset: 700 x 1 sensor, the
/// 20 spoken digits (English and German) as classes. The constructor reads only the labels, speakers and class
/// names; <see cref="Read"/> reads one sample's spikes through <see cref="ShdFile.ReadSample"/>.
/// </summary>
public sealed class ShdDataset : IEventDataset
{
    private readonly int[] _records;
    private readonly ShdIndex _index;

    /// <summary>Indexes <paramref name="path"/>.</summary>
    /// <param name="path">The .h5 file.</param>
    /// <param name="skipBad">Leave out samples whose label is not a class index, listing them in <see cref="Skipped"/>,
    /// instead of throwing. Bad spikes are only seen when a sample is read, and still throw from <see cref="Read"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="EventFormatException">The file is not SHD HDF5, or a label is out of range and <paramref name="skipBad"/> is false.</exception>
    public ShdDataset(string path, bool skipBad = false)
    {
        _index = ShdFile.ReadIndex(path);
        var records = new List<int>(_index.Count);
        var skipped = new List<string>();
        for (var i = 0; i < _index.Count; i++)
        {
            var label = _index.Labels[i];
            if (label >= 0 && label < _index.ClassNames.Count)
            {
                records.Add(i);
                continue;
            }
            var error = new EventFormatException(path, $"label {label} is not a class index (0..{_index.ClassNames.Count - 1})", record: i);
            if (!skipBad) throw error;
            skipped.Add(error.Message);
        }
        (Path, _records, Skipped) = (path, records.ToArray(), skipped);
        Name = $"SHD {System.IO.Path.GetFileNameWithoutExtension(path)}";
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>What was left out with skipBad, one message per sample.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Width => ShdFile.Units;

    /// <inheritdoc />
    public int Height => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _index.ClassNames;

    /// <inheritdoc />
    public int Count => _records.Length;

    /// <inheritdoc />
    public int LabelOf(int index) => _index.Labels[Record(index)];

    /// <summary>The speaker of sample <paramref name="index"/> (<c>extra/speaker</c>), or null when the file has none.</summary>
    public int? SpeakerOf(int index) => _index.Speakers?[Record(index)];

    /// <summary>The sample's position in the file (differs from <paramref name="index"/> when samples were skipped).</summary>
    public int Record(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _records.Length);
        return _records[index];
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside 0 .. Count-1.</exception>
    public EventSample Read(int index)
    {
        var record = Record(index);
        return new EventSample(ShdFile.ReadSample(Path, record), _index.Labels[record], $"{Path} sample {record}");
    }
}
