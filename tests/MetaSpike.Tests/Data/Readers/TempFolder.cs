namespace MetaSpike.Tests.Data.Readers;

/// <summary>A temporary folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix) => Root = Directory.CreateTempSubdirectory($"metaspike-{prefix}-").FullName;

    public string Root { get; }

    /// <summary>The path of <paramref name="parts"/> under the folder, its parent folder created.</summary>
    public string File(params string[] parts)
    {
        var path = Path.Combine([Root, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
