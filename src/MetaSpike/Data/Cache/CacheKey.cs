using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MetaSpike.Data.Cache;

/// <summary>
/// What a cached entry was computed from: the identity of its source (a file's full path, length and last-write
/// time, or a generator's configuration, seed and sample index) and the parameters of the computation (transform
/// keys, binning). Any change of either gives a different <see cref="Hash"/>, hence a cache miss.
/// </summary>
public sealed class CacheKey
{
    private CacheKey(string source, string parameters)
    {
        if (parameters.Contains('\n')) throw new ArgumentException("the parameters must be one line.", nameof(parameters));
        (Source, Parameters) = (source, parameters);
        Text = $"{source}\n{parameters}";
        Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text)));
    }

    /// <summary>The source identity.</summary>
    public string Source { get; }

    /// <summary>The computation's parameters.</summary>
    public string Parameters { get; }

    /// <summary>Source and parameters on two lines: the text that is hashed and stored in the entry.</summary>
    public string Text { get; }

    /// <summary>SHA-256 of <see cref="Text"/> as 64 lower-case hex digits.</summary>
    public string Hash { get; }

    /// <summary>A key for data computed from a file: its full path, length and last-write time (UTC ticks).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static CacheKey ForFile(string path, string parameters)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(parameters);
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"cannot key '{path}': the file does not exist.", path);
        return new CacheKey(string.Create(CultureInfo.InvariantCulture,
            $"file:{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}"), parameters);
    }

    /// <summary>
    /// A key for a generated sample: the generator's name (including every setting that changes its output, e.g. a
    /// generator's <c>CacheIdentity</c>), its seed and the sample index.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="generator"/> is empty or spans lines.</exception>
    public static CacheKey ForGenerated(string generator, int seed, int index, string parameters)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(parameters);
        if (generator.Length == 0 || generator.Contains('\n'))
            throw new ArgumentException("the generator name must be one non-empty line.", nameof(generator));
        return new CacheKey(string.Create(CultureInfo.InvariantCulture, $"generated:{generator}|seed={seed}|index={index}"), parameters);
    }

    /// <inheritdoc />
    public override string ToString() => Text.Replace('\n', ' ');
}
