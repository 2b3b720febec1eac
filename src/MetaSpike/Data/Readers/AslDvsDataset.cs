namespace MetaSpike.Data.Readers;

/// <summary>
/// The ASL-DVS dataset as downloaded: one folder per letter (<c>a/</c>, <c>b/</c>, ... <c>y/</c>, no <c>j</c>),
/// each holding <c>.mat</c> files (<see cref="AslDvsFile"/>). 24 classes, labels in alphabetical order. The
/// constructor lists the files (by letter, then by ordinal file name) without reading them.
/// </summary>
public sealed class AslDvsDataset : FolderLabelledDataset
{
    /// <summary>The 24 letters, by label: a..y without j.</summary>
    public static IReadOnlyList<string> Letters { get; } =
        Enumerable.Range('a', 'y' - 'a' + 1).Select(c => ((char)c).ToString()).Where(l => l != "j").ToArray();

    /// <summary>Indexes the letter folders under <paramref name="folder"/> (letter folders may be missing; others are ignored).</summary>
    /// <param name="folder">The folder holding a/ .. y/.</param>
    /// <param name="skipBad">
    /// Leave out files whose 128-byte MAT v5 header does not read (listed in <see cref="FolderLabelledDataset.SkippedFiles"/>);
    /// otherwise such a file throws <see cref="EventFormatException"/> when read. Problems past the header always
    /// throw when read.
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
            AddFolder(letterFolder, label, ".mat", skipBad, file => MatFile.HeaderProblem(DatasetFolder.Head(file, MatFile.HeaderBytes)));
        }
        if (letterFolders == 0)
            throw new DirectoryNotFoundException($"ASL-DVS folder '{Path.GetFullPath(folder)}' has no letter folders a..y.");
    }

    /// <inheritdoc/>
    public override string Name => "ASL-DVS";

    /// <inheritdoc/>
    public override int Width => AslDvsFile.Width;

    /// <inheritdoc/>
    public override int Height => AslDvsFile.Height;

    /// <inheritdoc/>
    public override IReadOnlyList<string> ClassNames => Letters;

    private protected override EventStream ReadFile(string path) => AslDvsFile.Read(path);
}
