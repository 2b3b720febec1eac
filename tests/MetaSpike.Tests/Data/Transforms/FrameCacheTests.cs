using MetaSpike.Data.Cache;
using MetaSpike.Tests.Losses;

namespace MetaSpike.Tests.Data.Transforms;

public sealed class FrameCacheTests : IDisposable
{
    private static readonly long[] Shape = [2, 2, 3];
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-cache-").FullName;
    private readonly string _source;
    private readonly FrameCache _cache;
    private int _computed;

    public FrameCacheTests()
    {
        _source = Path.Combine(_folder, "sample.bin");
        File.WriteAllBytes(_source, [1, 2, 3, 4]);
        _cache = new FrameCache(Path.Combine(_folder, "cache"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private float[] Compute()
    {
        _computed++;
        return Enumerable.Range(0, 12).Select(i => i * 0.5f + _computed).ToArray();
    }

    private float[] Get(CacheKey key) => _cache.GetOrCreate(key, Compute, Shape);

    private CacheKey Key(string parameters = "crop(0,0,32,32);bins(10)") => CacheKey.ForFile(_source, parameters);

    [Fact]
    public void HitReturnsTheStoredValuesWithoutComputing()
    {
        var first = Get(Key());
        var second = Get(Key());
        Assert.Equal(1, _computed);
        Assert.Equal(first, second);
        Assert.Equal(1.0f, second[0]);
        Assert.Equal(6.5f, second[11]);
        Assert.Equal((1L, 1L), (_cache.Hits, _cache.Misses));
        Assert.Equal("MSFC"u8.ToArray(), File.ReadAllBytes(_cache.PathOf(Key()))[..4]);
    }

    [Fact]
    public void ChangedParametersMiss()
    {
        Get(Key("crop(0,0,32,32);bins(10)"));
        var other = Get(Key("crop(0,0,32,32);bins(20)"));
        Assert.Equal(2, _computed);
        Assert.Equal(2.0f, other[0]);
    }

    [Fact]
    public void TouchedOrResizedSourceMisses()
    {
        Get(Key());
        File.SetLastWriteTimeUtc(_source, File.GetLastWriteTimeUtc(_source).AddSeconds(-10));
        Get(Key());
        Assert.Equal(2, _computed);
        var time = File.GetLastWriteTimeUtc(_source);
        File.WriteAllBytes(_source, [1, 2, 3, 4, 5]);
        File.SetLastWriteTimeUtc(_source, time); // same time, new length
        Get(Key());
        Assert.Equal(3, _computed);
        Get(Key());
        Assert.Equal(3, _computed);
    }

    [Fact]
    public void GeneratedKeysDifferBySeedIndexAndGenerator()
    {
        var keys = new[]
        {
            CacheKey.ForGenerated("glyph-strokes/v1(a)", 1, 0, "p"), CacheKey.ForGenerated("glyph-strokes/v1(a)", 2, 0, "p"),
            CacheKey.ForGenerated("glyph-strokes/v1(a)", 1, 1, "p"), CacheKey.ForGenerated("glyph-strokes/v1(b)", 1, 0, "p"),
            CacheKey.ForGenerated("glyph-strokes/v1(a)", 1, 0, "q"),
        };
        Assert.Equal(keys.Length, keys.Select(k => k.Hash).Distinct().Count());
        Assert.Equal(CacheKey.ForGenerated("glyph-strokes/v1(a)", 1, 0, "p").Hash, keys[0].Hash);
        Assert.Equal(64, keys[0].Hash.Length);
    }

    [Fact]
    public void TruncatedEntryIsRecomputedAndRewritten()
    {
        var first = Get(Key());
        var path = _cache.PathOf(Key());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 7)]);
        var second = Get(Key());
        Assert.Equal(2, _computed);
        Assert.NotEqual(first, second); // the new computation, not the broken entry
        Assert.Equal(bytes.Length, new FileInfo(path).Length);
        Assert.Equal(second, Get(Key()));
        Assert.Equal(2, _computed);
    }

    [Theory]
    [InlineData(2)]     // in the magic
    [InlineData(50)]    // in the key text
    [InlineData(-40)]   // in the payload
    [InlineData(-1)]    // in the checksum
    public void FlippedByteIsRecomputed(int offset)
    {
        Get(Key());
        var path = _cache.PathOf(Key());
        var bytes = File.ReadAllBytes(path);
        int at = offset >= 0 ? offset : bytes.Length + offset;
        bytes[at] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var again = Get(Key());
        Assert.Equal(2, _computed);
        Assert.Equal(2.0f, again[0]);
    }

    [Fact]
    public void EmptyOrForeignEntryIsAMiss()
    {
        Directory.CreateDirectory(_cache.Folder);
        File.WriteAllBytes(_cache.PathOf(Key()), []);
        Get(Key());
        Assert.Equal(1, _computed);
        // An intact entry of another key copied over this key's file is no hit either.
        var other = CacheKey.ForFile(_source, "other");
        Get(other);
        File.Copy(_cache.PathOf(other), _cache.PathOf(Key()), overwrite: true);
        Get(Key());
        Assert.Equal(3, _computed);
    }

    [Fact]
    public void AnotherShapeMisses()
    {
        Get(Key());
        var flat = _cache.GetOrCreate(Key(), Compute, [12]);
        Assert.Equal(2, _computed);
        Assert.Equal(12, flat.Length);
    }

    [Fact]
    public void TensorHasTheShape()
    {
        Get(Key());
        using var tensor = _cache.GetOrCreateTensor(Key(), Compute, Shape);
        Assert.Equal(Shape, tensor.shape);
        Assert.Equal(6.5f, tensor[1, 1, 2].item<float>());
        Assert.Equal(1, _computed);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        ArgumentAssert.Throws(() => _cache.GetOrCreate(Key(), () => new float[5], Shape), "compute", "12");
        ArgumentAssert.Throws(() => _cache.GetOrCreate(Key(), Compute, [2, -1]), "shape");
        var missing = Path.Combine(_folder, "missing.aedat");
        var e = Assert.Throws<FileNotFoundException>(() => CacheKey.ForFile(missing, "p"));
        Assert.Contains(missing, e.Message);
        Assert.Throws<IOException>(() => new FrameCache(_source));
    }
}
