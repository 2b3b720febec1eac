namespace MetaSpike.Data.Readers;

/// <summary>Folder look-ups shared by the dataset readers: every listing is sorted, so indexes are deterministic.</summary>
internal static class DatasetFolder
{
    /// <summary>Throws <see cref="DirectoryNotFoundException"/> naming <paramref name="folder"/> when it does not exist.</summary>
    public static void Require(string folder, string what)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{what} folder not found: '{Path.GetFullPath(folder)}'.");
    }

    /// <summary>The sub-folder of <paramref name="parent"/> named <paramref name="name"/> (exact match first, then ignoring case), or null.</summary>
    public static string? Child(string parent, string name)
    {
        var exact = Path.Combine(parent, name);
        if (Directory.Exists(exact)) return exact;
        return Directory.GetDirectories(parent)
            .Where(d => string.Equals(Path.GetFileName(d), name, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>The files in <paramref name="folder"/> whose name ends with <paramref name="extension"/> (ignoring case), in ordinal order.</summary>
    public static string[] Files(string folder, string extension)
    {
        var files = Directory.GetFiles(folder)
            .Where(f => f.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            .ToArray();
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 0 &lt;= index &lt; count.</summary>
    public static void CheckIndex(int index, int count)
    {
        if ((uint)index >= (uint)count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"sample index must be in 0..{count - 1}.");
    }

    /// <summary>The first <paramref name="count"/> bytes of a file (fewer when it is shorter).</summary>
    public static byte[] Head(string path, int count)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var head = new byte[Math.Min(count, stream.Length)];
        stream.ReadExactly(head);
        return head;
    }
}
