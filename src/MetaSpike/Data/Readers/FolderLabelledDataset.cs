namespace MetaSpike.Data.Readers;

/// <summary>
/// A dataset of one file per sample, labelled by the folder it sits in (N-MNIST, ASL-DVS): the index of
/// (file, label) pairs, the files left out by <c>skipBad</c>, and reading one file.
/// </summary>
public abstract class FolderLabelledDataset : IEventDataset
{
    private readonly List<(string Path, int Label)> _files = [];
    private readonly List<(string Path, string Reason)> _skipped = [];

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract int Width { get; }

    /// <inheritdoc/>
    public abstract int Height { get; }

    /// <inheritdoc/>
    public abstract IReadOnlyList<string> ClassNames { get; }

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
        return new EventSample(ReadFile(path), label, path);
    }

    /// <summary>Reads one file's events.</summary>
    private protected abstract EventStream ReadFile(string path);

    /// <summary>
    /// Adds the files of <paramref name="folder"/> ending with <paramref name="extension"/>, in ordinal order, with
    /// <paramref name="label"/>; with <paramref name="skipBad"/>, a file for which <paramref name="problem"/> returns
    /// a reason goes to <see cref="SkippedFiles"/> instead.
    /// </summary>
    private protected void AddFolder(string folder, int label, string extension, bool skipBad, Func<string, string?> problem)
    {
        foreach (var file in DatasetFolder.Files(folder, extension))
        {
            if (skipBad && problem(file) is { } reason)
                _skipped.Add((file, reason));
            else
                _files.Add((file, label));
        }
    }
}
