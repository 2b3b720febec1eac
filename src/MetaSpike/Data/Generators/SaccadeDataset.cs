using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using MetaSpike.Data.Cache;

namespace MetaSpike.Data.Generators;

/// <summary>
/// An image dataset (MNIST, Fashion-MNIST, or images in memory) turned into events by the simulated N-MNIST
/// recording procedure of <see cref="SaccadeRecorder"/>, one image per sample, generated on read. Deterministic:
/// the sensor mismatch comes from the seed and the background activity of sample i from (seed, i).
/// </summary>
public sealed class SaccadeDataset : IEventDataset
{
    private const int GeneratorVersion = 1;
    private readonly byte[] _labels;

    /// <summary>The class names of MNIST.</summary>
    public static IReadOnlyList<string> DigitClassNames { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>The class names of Fashion-MNIST.</summary>
    public static IReadOnlyList<string> FashionMnistClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Creates the dataset over images and their labels (not copied).</summary>
    /// <param name="images">The images.</param>
    /// <param name="labels">One label per image.</param>
    /// <param name="seed">Seed of the sensor and of the samples' noise.</param>
    /// <param name="options">Recording settings (defaults: <see cref="SaccadeOptions"/>).</param>
    /// <param name="classNames">Class names (default "0" .. "9", or up to the largest label).</param>
    /// <param name="name">The dataset's name.</param>
    /// <exception cref="ArgumentException">Label and image counts differ, or a label has no class name.</exception>
    public SaccadeDataset(IdxImages images, byte[] labels, int seed, SaccadeOptions? options = null,
        IReadOnlyList<string>? classNames = null, string name = "saccade")
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(name);
        if (labels.Length != images.Count)
            throw new ArgumentException($"{labels.Length} labels for {images.Count} images.", nameof(labels));
        int classes = labels.Length == 0 ? 10 : Math.Max(10, labels.Max() + 1);
        ClassNames = classNames ?? Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= ClassNames.Count)
                throw new ArgumentException($"label {i} is {labels[i]}, but there are {ClassNames.Count} class names.", nameof(classNames));
        (Images, _labels, Seed, Name) = (images, labels, seed, name);
        Recorder = new SaccadeRecorder(SeedMix.Derive(seed, Purpose.Sensor), options);
        // The content (not a path) names the source, so in-memory images and moved files key the cache alike.
        var content = Convert.ToHexStringLower(SHA256.HashData([.. SHA256.HashData(images.Pixels), .. SHA256.HashData(labels)]))[..32];
        CacheIdentity = string.Create(CultureInfo.InvariantCulture,
            $"saccade/v{GeneratorVersion}({content},{images.Count}x{images.Rows}x{images.Columns},{JsonSerializer.Serialize(Recorder.Options)})");
    }

    /// <summary>
    /// Reads the images and labels of an MNIST-layout folder: train-images-idx3-ubyte and train-labels-idx1-ubyte
    /// (or t10k-… for the test set), each optionally gzip-compressed with a .gz suffix.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; names the paths looked for.</exception>
    /// <exception cref="EventFormatException">A file is truncated or corrupt.</exception>
    public static SaccadeDataset FromFolder(string folder, bool train, int seed, SaccadeOptions? options = null,
        IReadOnlyList<string>? classNames = null)
    {
        var (images, labels) = IdxFile.ReadFolder(folder, train);
        return new SaccadeDataset(images, labels, seed, options, classNames, $"saccade {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)))} {(train ? "train" : "t10k")}");
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Width => Recorder.Options.SensorWidth;

    /// <inheritdoc />
    public int Height => Recorder.Options.SensorHeight;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public int Count => Images.Count;

    /// <summary>The images.</summary>
    public IdxImages Images { get; }

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>The recorder (its sensor and settings).</summary>
    public SaccadeRecorder Recorder { get; }

    /// <summary>Names the image content and every setting that changes the events (seed excepted), for <see cref="CacheKey.ForGenerated"/>.</summary>
    public string CacheIdentity { get; }

    /// <inheritdoc />
    public int LabelOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _labels[index];
    }

    /// <inheritdoc />
    public EventSample Read(int index)
    {
        int label = LabelOf(index);
        var events = Recorder.Record(Images.Image(index), Images.Rows, Images.Columns, new Random(SeedMix.Derive(Seed, Purpose.Sample, index)));
        return new EventSample(events, label, string.Create(CultureInfo.InvariantCulture, $"{Name} (seed {Seed}): image {index}"));
    }

    /// <summary>The cache key of sample <paramref name="index"/> under a pipeline's <paramref name="parameters"/>.</summary>
    public CacheKey CacheKeyOf(int index, string parameters)
    {
        LabelOf(index);
        return CacheKey.ForGenerated(CacheIdentity, Seed, index, parameters);
    }

    /// <summary>The classes of a meta split, relabelled from 0 (for 10 classes: 0-5, 6-7, 8-9).</summary>
    public ClassSubsetDataset Split(MetaSplit split) => ClassSplits.Subset(this, split);
}
