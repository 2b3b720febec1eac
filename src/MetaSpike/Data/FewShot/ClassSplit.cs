namespace MetaSpike.Data.FewShot;

/// <summary>A set of classes of a dataset (meta-train, meta-validation or meta-test), with the sample indices of each.</summary>
public sealed class ClassSplit
{
    private readonly int[][] _samples;

    /// <summary>Creates the split and indexes the samples of each class (reading labels only).</summary>
    /// <exception cref="ArgumentException">A class is out of range, repeated, or has no samples.</exception>
    public ClassSplit(string name, IEventDataset source, IReadOnlyList<int> classes)
    {
        if (classes.Count == 0) throw new ArgumentException($"split '{name}' has no classes.", nameof(classes));
        if (classes.Distinct().Count() != classes.Count) throw new ArgumentException($"split '{name}' lists a class twice.", nameof(classes));
        foreach (var c in classes)
            if (c < 0 || c >= source.ClassNames.Count)
                throw new ArgumentException($"split '{name}': class {c} is outside [0, {source.ClassNames.Count}) of {source.Name}.", nameof(classes));
        (Name, Source, Classes) = (name, source, classes.ToArray());
        var position = new Dictionary<int, int>();
        for (int i = 0; i < Classes.Count; i++) position[Classes[i]] = i;
        var lists = Classes.Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < source.Count; i++)
            if (position.TryGetValue(source.LabelOf(i), out var p)) lists[p].Add(i);
        _samples = lists.Select(l => l.ToArray()).ToArray();
        for (int i = 0; i < _samples.Length; i++)
            if (_samples[i].Length == 0)
                throw new ArgumentException($"split '{name}': class {Classes[i]} ('{source.ClassNames[Classes[i]]}') has no samples in {source.Name}.", nameof(classes));
    }

    /// <summary>The split's name.</summary>
    public string Name { get; }

    /// <summary>The dataset the samples come from.</summary>
    public IEventDataset Source { get; }

    /// <summary>The classes (labels of <see cref="Source"/>).</summary>
    public IReadOnlyList<int> Classes { get; }

    /// <summary>Sample indices of the class at position <paramref name="position"/> in <see cref="Classes"/>.</summary>
    public IReadOnlyList<int> SamplesOf(int position) => _samples[position];

    /// <summary>The smallest number of samples of any class.</summary>
    public int MinSamplesPerClass => _samples.Min(s => s.Length);

    /// <summary>
    /// Splits classes 0..<paramref name="classes"/>-1 into three disjoint sets of the given sizes, by a permutation
    /// drawn from <paramref name="seed"/> (the same seed always gives the same split).
    /// </summary>
    public static (int[] Train, int[] Validation, int[] Test) Partition(int classes, int train, int validation, int test, int seed)
    {
        if (train < 1 || validation < 0 || test < 0 || train + validation + test != classes)
            throw new ArgumentException($"split sizes {train}/{validation}/{test} must be positive and add up to the {classes} classes.");
        var order = Enumerable.Range(0, classes).ToArray();
        new Random(seed).Shuffle(order);
        return (Sorted(order[..train]), Sorted(order[train..(train + validation)]), Sorted(order[(train + validation)..]));
    }

    private static int[] Sorted(int[] values)
    {
        Array.Sort(values);
        return values;
    }
}

/// <summary>Meta-train, meta-validation and meta-test splits with disjoint classes.</summary>
/// <param name="Train">Meta-training classes.</param>
/// <param name="Validation">Meta-validation classes.</param>
/// <param name="Test">Meta-test classes.</param>
public sealed record FewShotSplits(ClassSplit Train, ClassSplit Validation, ClassSplit Test);
