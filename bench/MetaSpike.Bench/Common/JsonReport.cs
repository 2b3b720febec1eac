using System.Text.Encodings.Web;
using System.Text.Json;

namespace MetaSpike.Bench.Common;

/// <summary>Writes a mode's report as indented camelCase JSON, creating the folder.</summary>
internal static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serialises <paramref name="report"/> to <paramref name="path"/>; returns the full path.</summary>
    public static string Write<T>(T report, string path)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full);
        if (folder is not null) Directory.CreateDirectory(folder);
        File.WriteAllText(full, JsonSerializer.Serialize(report, Options));
        return full;
    }
}
