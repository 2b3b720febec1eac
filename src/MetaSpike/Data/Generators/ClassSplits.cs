namespace MetaSpike.Data.Generators;

/// <summary>The three class-disjoint parts of a few-shot (meta-learning) dataset.</summary>
public enum MetaSplit
{
    /// <summary>Classes to meta-train on (the first 64 %).</summary>
    Train,

    /// <summary>Classes to select models on (the next 16 %).</summary>
    Validation,

    /// <summary>Classes to report on (the last 20 %).</summary>
    Test,
}

/// <summary>A contiguous range of class labels.</summary>
/// <param name="Start">The first label.</param>
/// <param name="Count">How many labels.</param>
public readonly record struct ClassRange(int Start, int Count)
{
    /// <summary>One past the last label.</summary>
    public int End => Start + Count;

    /// <summary>Whether <paramref name="label"/> is in the range.</summary>
    public bool Contains(int label) => label >= Start && label < End;
}

/// <summary>
/// Class splits for meta-learning: labels 0 .. n-1 are cut, in order, into train (the rest: about 64 %),
/// validation (round(16 %), at least 1) and test (round(20 %), at least 1) — for 1,000 classes 640 / 160 / 200,
/// for 10 classes 6 / 2 / 2. Generators draw every class independently, so contiguous ranges are unbiased.
/// </summary>
public static class ClassSplits
{
    /// <summary>The label range of <paramref name="split"/> among <paramref name="classes"/> classes.</summary>
    /// <exception cref="ArgumentException">Fewer than 3 classes, or an unknown split.</exception>
    public static ClassRange Of(int classes, MetaSplit split)
    {
        if (classes < 3) throw new ArgumentException($"a meta split needs at least 3 classes, got {classes}.", nameof(classes));
        int validation = Math.Max(1, (int)Math.Round(0.16 * classes, MidpointRounding.AwayFromZero));
        int test = Math.Max(1, (int)Math.Round(0.20 * classes, MidpointRounding.AwayFromZero));
        int train = classes - validation - test;
        return split switch
        {
            MetaSplit.Train => new ClassRange(0, train),
            MetaSplit.Validation => new ClassRange(train, validation),
            MetaSplit.Test => new ClassRange(train + validation, test),
            _ => throw new ArgumentException($"unknown split {split}.", nameof(split)),
        };
    }

    /// <summary>The samples of <paramref name="dataset"/> whose classes are in <paramref name="split"/>, relabelled from 0.</summary>
    public static ClassSubsetDataset Subset(IEventDataset dataset, MetaSplit split)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new ClassSubsetDataset(dataset, Of(dataset.ClassNames.Count, split), $"{dataset.Name} ({split.ToString().ToLowerInvariant()})");
    }
}

/// <summary>
/// A view of the samples of a contiguous class range of another dataset; labels are shifted to start at 0, and
/// the class names follow. Builds its index from the source's labels (no events read).
/// </summary>
public sealed class ClassSubsetDataset : IEventDataset
{
    private readonly int[] _indices;

    /// <summary>Creates the view.</summary>
    /// <exception cref="ArgumentException">The range is empty or outside the source's classes.</exception>
    public ClassSubsetDataset(IEventDataset source, ClassRange classes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (classes.Count < 1 || classes.Start < 0 || classes.End > source.ClassNames.Count)
            throw new ArgumentException($"classes {classes.Start} .. {classes.End - 1} are not a non-empty range of the {source.ClassNames.Count} classes of {source.Name}.", nameof(classes));
        (Source, Classes, Name) = (source, classes, name ?? $"{source.Name} (classes {classes.Start}..{classes.End - 1})");
        var indices = new List<int>();
        for (int i = 0; i < source.Count; i++)
            if (classes.Contains(source.LabelOf(i))) indices.Add(i);
        _indices = [.. indices];
        ClassNames = source.ClassNames.Skip(classes.Start).Take(classes.Count).ToArray();
    }

    /// <summary>The underlying dataset.</summary>
    public IEventDataset Source { get; }

    /// <summary>The source labels in this view.</summary>
    public ClassRange Classes { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Width => Source.Width;

    /// <inheritdoc />
    public int Height => Source.Height;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public int Count => _indices.Length;

    /// <summary>The index in <see cref="Source"/> of sample <paramref name="index"/>.</summary>
    public int SourceIndexOf(int index) => _indices[CheckIndex(index)];

    /// <inheritdoc />
    public int LabelOf(int index) => Source.LabelOf(SourceIndexOf(index)) - Classes.Start;

    /// <inheritdoc />
    public EventSample Read(int index)
    {
        var sample = Source.Read(SourceIndexOf(index));
        return sample with { Label = sample.Label - Classes.Start };
    }

    private int CheckIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return index;
    }
}
