using System.Globalization;
using System.Text.Json;
using MetaSpike.Data.Generators;
using MetaSpike.Data.Readers;

namespace MetaSpike.Data;

/// <summary>
/// Opens an event dataset from a path or a generator spec, recognising the layout a researcher downloaded:
/// <list type="bullet">
/// <item><c>*.h5</c>: SHD; a folder with <c>Train/</c> or <c>Test/</c>: N-MNIST; with <c>background/</c> or
/// <c>evaluation/</c> (or <c>dvs_…</c>): N-Omniglot; with <c>*.aedat</c>: DVS Gesture; with letter folders of <c>*.mat</c>: ASL-DVS;</item>
/// <item>a folder written by <c>metaspike data generate</c> (it holds <see cref="ManifestName"/>);</item>
/// <item>generator specs: <c>glyphs[:classes=100,samples=20,seed=0,variation=1]</c>, <c>poisson[:classes=…,samples=…,channels=…,rate=…,duration=…,seed=…]</c>,
/// <c>saccade:FOLDER[,split=test][,seed=0]</c> (an MNIST-layout IDX folder, e.g. Fashion-MNIST).</item>
/// </list>
/// </summary>
public static class DatasetOpener
{
    /// <summary>The manifest file of a generated dataset folder.</summary>
    public const string ManifestName = "metaspike-dataset.json";

    /// <summary>Opens the dataset; <paramref name="split"/> picks train/test (or background/evaluation) where the format has splits.</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="ArgumentException">The layout is not recognised, or a generator spec is malformed.</exception>
    public static IEventDataset Open(string path, string? split = null, bool skipBad = false)
    {
        var (kind, settings) = ParseSpec(path);
        switch (kind)
        {
            case "glyphs":
                return new GlyphStrokesDataset(Int(settings, "classes", 100), Int(settings, "samples", 20), Int(settings, "seed", 0),
                    options: new GlyphOptions().WithWriterVariation(Double(settings, "variation", 1)));
            case "poisson":
                return new PoissonPatternDataset(Int(settings, "classes", 10), Int(settings, "samples", 20), Int(settings, "channels", 100),
                    Double(settings, "rate", 50), Int(settings, "duration", 100), Int(settings, "seed", 0));
            case "saccade":
                var folder = settings.GetValueOrDefault("folder") ?? throw new ArgumentException("saccade needs a folder: saccade:FOLDER[,split=test][,seed=0].");
                var test = (settings.GetValueOrDefault("split") ?? split ?? "train").Equals("test", StringComparison.OrdinalIgnoreCase);
                return SaccadeDataset.FromFolder(folder, train: !test, Int(settings, "seed", 0));
        }
        if (File.Exists(path))
            return path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase)
                ? new ShdDataset(path, skipBad)
                : throw new ArgumentException($"'{path}' is a file but not an SHD .h5 file; give the folder of the dataset instead.");
        if (!Directory.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist.", path);
        var manifest = Path.Combine(path, ManifestName);
        if (File.Exists(manifest)) return Open(ReadManifest(manifest), split, skipBad);
        bool Has(string sub) => Directory.Exists(Path.Combine(path, sub));
        if (Has("Train") || Has("Test")) return new NMnistDataset(path, split ?? (Has("Train") ? "Train" : "Test"), skipBad);
        if (Has("background") || Has("evaluation") || Has("dvs_background") || Has("dvs_evaluation"))
            return new NOmniglotDataset(path, split ?? (Has("background") || Has("dvs_background") ? "background" : "evaluation"), skipBad);
        if (Directory.EnumerateFiles(path, "*.aedat").Any()) return new DvsGestureDataset(path, split ?? "train", skipBad);
        if (Directory.EnumerateDirectories(path).Any(d => Path.GetFileName(d).Length == 1 && Directory.EnumerateFiles(d, "*.mat").Any()))
            return new AslDvsDataset(path, skipBad);
        throw new ArgumentException(
            $"'{path}' is not a dataset layout MetaSpike knows: expected an SHD .h5 file, or a folder with Train/Test (N-MNIST), background/evaluation (N-Omniglot), " +
            $"*.aedat + *_labels.csv (DVS Gesture), letter folders of .mat files (ASL-DVS) or {ManifestName}.");
    }

    /// <summary>The files an opened dataset left out (with <c>skipBad</c>) and why.</summary>
    public static IReadOnlyList<string> SkippedOf(IEventDataset dataset) => dataset switch
    {
        FolderLabelledDataset f => f.SkippedFiles.Select(s => $"{s.Path}: {s.Reason}").ToArray(),
        DvsGestureDataset d => d.SkippedFiles.Select(s => $"{s.Path}: {s.Reason}").ToArray(),
        ShdDataset s => s.Skipped,
        NOmniglotDataset n => n.Skipped,
        _ => [],
    };

    /// <summary>Writes the manifest that makes a generated dataset folder reopen as the same generator.</summary>
    public static void WriteManifest(string folder, string spec) =>
        IO.AtomicFile.WriteAllText(Path.Combine(folder, ManifestName), JsonSerializer.Serialize(new Dictionary<string, string> { ["generator"] = spec }));

    private static string ReadManifest(string path)
    {
        try
        {
            var values = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path));
            return values?.GetValueOrDefault("generator") ?? throw new InvalidDataException($"{path}: no \"generator\" entry.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid manifest ({e.Message}).", e);
        }
    }

    private static (string Kind, Dictionary<string, string> Settings) ParseSpec(string spec)
    {
        int colon = spec.IndexOf(':');
        var kind = (colon < 0 ? spec : spec[..colon]).ToLowerInvariant();
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (kind is not ("glyphs" or "poisson" or "saccade")) return ("", settings);
        if (colon < 0) return (kind, settings);
        foreach (var part in spec[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq < 0 && kind == "saccade" && !settings.ContainsKey("folder")) settings["folder"] = part;
            else if (eq <= 0) throw new ArgumentException($"'{part}' in '{spec}' is not NAME=VALUE.");
            else settings[part[..eq]] = part[(eq + 1)..];
        }
        return (kind, settings);
    }

    private static int Int(Dictionary<string, string> s, string name, int fallback) =>
        !s.TryGetValue(name, out var v) ? fallback
            : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
            : throw new ArgumentException($"{name}={v} is not an integer.");

    private static double Double(Dictionary<string, string> s, string name, double fallback) =>
        !s.TryGetValue(name, out var v) ? fallback
            : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new ArgumentException($"{name}={v} is not a number.");
}
