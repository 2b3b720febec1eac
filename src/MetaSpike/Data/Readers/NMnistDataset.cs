namespace MetaSpike.Data.Readers;

/// <summary>
/// The N-MNIST dataset as downloaded: <c>ROOT/Train/&lt;digit&gt;/&lt;id&gt;.bin</c> and <c>ROOT/Test/&lt;digit&gt;/&lt;id&gt;.bin</c>,
/// one file per sample (<see cref="NMnistFile"/>). The constructor lists the files (by digit, then by ordinal
/// file name) without reading their events; <see cref="FolderLabelledDataset.Read"/> reads one file.
/// </summary>
public sealed class NMnistDataset : FolderLabelledDataset
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Indexes split <paramref name="split"/> ("Train" or "Test", any case) of the dataset under <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding <c>Train/</c> and <c>Test/</c>.</param>
    /// <param name="split">"Train" or "Test".</param>
    /// <param name="skipBad">
    /// Leave out files whose length is not a whole number of events (listed in <see cref="FolderLabelledDataset.SkippedFiles"/>);
    /// otherwise such a file throws <see cref="EventFormatException"/> when read. Problems found only by reading
    /// the events (a pixel out of range) always throw when read.
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
            AddFolder(digitFolder, label, ".bin", skipBad, file => NMnistFile.LengthProblem(new FileInfo(file).Length));
        }
        if (digitFolders == 0)
            throw new DirectoryNotFoundException($"N-MNIST split folder '{Path.GetFullPath(folder)}' has no digit folders 0..9.");
        Name = $"N-MNIST {Path.GetFileName(folder)}";
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override int Width => NMnistFile.Width;

    /// <inheritdoc/>
    public override int Height => NMnistFile.Height;

    /// <inheritdoc/>
    public override IReadOnlyList<string> ClassNames => Digits;

    private protected override EventStream ReadFile(string path) => NMnistFile.Read(path);
}
