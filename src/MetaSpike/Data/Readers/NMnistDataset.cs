namespace MetaSpike.Data.Readers;

/// <summary>
/// The N-MNIST dataset as downloaded: <c>ROOT/Train/&lt;digit&gt;/&lt;id&gt;.bin</c> and <c>ROOT/Test/&lt;digit&gt;/&lt;id&gt;.bin</c>,
/// one file per sample (<see cref="NMnistFile"/>). The constructor lists the files (by digit, then by ordinal
/// file name) without reading their events; <see cref="Read"/> reads one file.
/// </summary>
public sealed class NMnistDataset : IEventDataset
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    private readonly List<(string Path, int Label)> _files = [];
    private readonly List<(string Path, string Reason)> _skipped = [];

    /// <summary>Indexes split <paramref name="split"/> ("Train" or "Test", any case) of the dataset under <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding <c>Train/</c> and <c>Test/</c>.</param>
    /// <param name="split">"Train" or "Test".</param>
    /// <param name="skipBad">
    /// Leave out files whose length is not a whole number of events (listed in <see cref="SkippedFiles"/>);
    /// otherwise such a file throws <see cref="EventFormatException"/> when read. Problems found only by reading
    /// the events (a pixel out of range) always throw at <see cref="Read"/>.
    /// </param>
    /// <exception cref="DirectoryNotFoundException">The root or split folder does not exist, or has no digit folders.</exception>
    public NMnistDataset(string root, string split = "Train", bool skipBad = false)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(split);
        DatasetFolder.Require(root, "N-MNIST");
        var folder = DatasetFolder.Child(root, split)
            ?? throw new DirectoryNotFoundException($"N-MNIST split folder '{split}' not found under '{Path.GetFullPath(root)}' (expected Train/ and Test/).");
        int digitFolders = 0;
        for (int label = 0; label < Digits.Length; label++)
        {
            var digitFolder = Path.Combine(folder, Digits[label]);
            if (!Directory.Exists(digitFolder)) continue;
            digitFolders++;
            foreach (var file in DatasetFolder.Files(digitFolder, ".bin"))
            {
                if (skipBad && NMnistFile.LengthProblem(new FileInfo(file).Length) is { } problem)
                    _skipped.Add((file, problem));
                else
                    _files.Add((file, label));
            }
        }
        if (digitFolders == 0)
            throw new DirectoryNotFoundException($"N-MNIST split folder '{Path.GetFullPath(folder)}' has no digit folders 0..9.");
        Name = $"N-MNIST {Path.GetFileName(folder)}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Width => NMnistFile.Width;

    /// <inheritdoc/>
    public int Height => NMnistFile.Height;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => Digits;

    /// <inheritdoc/>
    public int Count => _files.Count;

    /// <summary>Files left out of the index by <c>skipBad</c>, with the reason.</summary>
    public IReadOnlyList<(string Path, string Reason)> SkippedFiles => _skipped;

    /// <summary>The file of sample <paramref name="index"/>.</summary>
    public string PathOf(int index)
    {
        DatasetFolder.CheckIndex(index, Count);
        return _files[index].Path;
    }

    /// <inheritdoc/>
    public int LabelOf(int index)
    {
        DatasetFolder.CheckIndex(index, Count);
        return _files[index].Label;
    }

    /// <inheritdoc/>
    public EventSample Read(int index)
    {
        DatasetFolder.CheckIndex(index, Count);
        var (path, label) = _files[index];
        return new EventSample(NMnistFile.Read(path), label, path);
    }
}
