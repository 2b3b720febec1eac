namespace MetaSpike.Data.Readers;

/// <summary>
/// The ASL-DVS dataset as downloaded: one folder per letter (<c>a/</c>, <c>b/</c>, ... <c>y/</c>, no <c>j</c>),
/// each holding <c>.mat</c> files (<see cref="AslDvsFile"/>). 24 classes, labels in alphabetical order. The
/// constructor lists the files (by letter, then by ordinal file name) without reading them.
/// </summary>
public sealed class AslDvsDataset : IEventDataset
{
    /// <summary>The 24 letters, by label: a..y without j.</summary>
    public static IReadOnlyList<string> Letters { get; } =
        Enumerable.Range('a', 'y' - 'a' + 1).Select(c => ((char)c).ToString()).Where(l => l != "j").ToArray();

    private readonly List<(string Path, int Label)> _files = [];
    private readonly List<(string Path, string Reason)> _skipped = [];

    /// <summary>Indexes the letter folders under <paramref name="folder"/> (letter folders may be missing; others are ignored).</summary>
    /// <param name="folder">The folder holding a/ .. y/.</param>
    /// <param name="skipBad">
    /// Leave out files whose 128-byte MAT v5 header does not read (listed in <see cref="SkippedFiles"/>); otherwise
    /// such a file throws <see cref="EventFormatException"/> when read. Problems past the header always throw at <see cref="Read"/>.
    /// </param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist, or has no letter folders.</exception>
    public AslDvsDataset(string folder, bool skipBad = false)
    {
        ArgumentNullException.ThrowIfNull(folder);
        DatasetFolder.Require(folder, "ASL-DVS");
        int letterFolders = 0;
        for (int label = 0; label < Letters.Count; label++)
        {
            if (DatasetFolder.Child(folder, Letters[label]) is not { } letterFolder) continue;
            letterFolders++;
            foreach (var file in DatasetFolder.Files(letterFolder, ".mat"))
            {
                if (skipBad && MatFile.HeaderProblem(DatasetFolder.Head(file, MatFile.HeaderBytes)) is { } problem)
                    _skipped.Add((file, problem));
                else
                    _files.Add((file, label));
            }
        }
        if (letterFolders == 0)
            throw new DirectoryNotFoundException($"ASL-DVS folder '{Path.GetFullPath(folder)}' has no letter folders a..y.");
    }

    /// <inheritdoc/>
    public string Name => "ASL-DVS";

    /// <inheritdoc/>
    public int Width => AslDvsFile.Width;

    /// <inheritdoc/>
    public int Height => AslDvsFile.Height;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => Letters;

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
        return new EventSample(AslDvsFile.Read(path), label, path);
    }
}
