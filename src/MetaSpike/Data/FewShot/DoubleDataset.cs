using MetaSpike.Runtime;

namespace MetaSpike.Data.FewShot;

/// <summary>
/// The "double" composition of Stewart and Neftci (2022): a sample of class (a, b) shows a sample of class a and
/// one of class b side by side (b shifted right by the first sensor's width, events merged in time order). The
/// classes are the ordered pairs (C² of them; class a·C + b, named "a|b"). Samples are chosen deterministically
/// from (seed, class, instance), each side through an optional transform (e.g. crop to 32 x 32), so sample i
/// is the same whatever was read before.
/// </summary>
public sealed class DoubleDataset : IEventDataset
{
    private readonly IEventDataset _source;
    private readonly int[][] _byClass;
    private readonly int _samplesPerClass;
    private readonly int _seed;
    private readonly Func<EventStream, EventStream>? _side;
    private readonly string[] _names;

    /// <summary>Creates the composition.</summary>
    /// <param name="source">The single-sample dataset.</param>
    /// <param name="samplesPerClass">Virtual samples per pair class.</param>
    /// <param name="seed">Chooses the two source samples of each virtual sample.</param>
    /// <param name="side">Transform applied to each side before composing (null: none); both sides must come out the same size.</param>
    /// <param name="sideWidth">Width of one side after <paramref name="side"/> (default: the source's width).</param>
    /// <param name="sideHeight">Height of one side after <paramref name="side"/> (default: the source's height).</param>
    public DoubleDataset(IEventDataset source, int samplesPerClass, int seed, Func<EventStream, EventStream>? side = null, int? sideWidth = null, int? sideHeight = null)
    {
        if (samplesPerClass < 1) throw new ArgumentException($"samplesPerClass must be >= 1, got {samplesPerClass}.", nameof(samplesPerClass));
        int c = source.ClassNames.Count;
        var lists = Enumerable.Range(0, c).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < source.Count; i++) lists[source.LabelOf(i)].Add(i);
        _byClass = lists.Select(l => l.ToArray()).ToArray();
        for (int k = 0; k < c; k++)
            if (_byClass[k].Length == 0) throw new ArgumentException($"{source.Name}: class '{source.ClassNames[k]}' has no samples to compose.", nameof(source));
        (_source, _samplesPerClass, _seed, _side) = (source, samplesPerClass, seed, side);
        SideWidth = sideWidth ?? source.Width;
        Height = sideHeight ?? source.Height;
        _names = new string[c * c];
        for (int a = 0; a < c; a++)
        for (int b = 0; b < c; b++)
            _names[a * c + b] = $"{source.ClassNames[a]}|{source.ClassNames[b]}";
    }

    /// <inheritdoc />
    public string Name => $"double {_source.Name}";

    /// <summary>Width of one side.</summary>
    public int SideWidth { get; }

    /// <inheritdoc />
    public int Width => 2 * SideWidth;

    /// <inheritdoc />
    public int Height { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _names;

    /// <inheritdoc />
    public int Count => _names.Length * _samplesPerClass;

    /// <inheritdoc />
    public int LabelOf(int index) => CheckIndex(index) / _samplesPerClass;

    /// <inheritdoc />
    public EventSample Read(int index)
    {
        int label = LabelOf(index);
        int c = _source.ClassNames.Count;
        var rng = new Random(Seeds.Mix32(_seed, label, index % _samplesPerClass));
        var first = _byClass[label / c];
        var second = _byClass[label % c];
        var left = _source.Read(first[rng.Next(first.Length)]);
        var right = _source.Read(second[rng.Next(second.Length)]);
        var l = _side is null ? left.Events : _side(left.Events);
        var r = _side is null ? right.Events : _side(right.Events);
        return new EventSample(SideBySide(l, r, SideWidth, Height), label, $"{left.Source} | {right.Source}");
    }

    /// <summary>Places <paramref name="right"/> to the right of <paramref name="left"/> (x + sideWidth), merging events in time order.</summary>
    /// <exception cref="ArgumentException">A side does not fit the given side size.</exception>
    public static EventStream SideBySide(EventStream left, EventStream right, int sideWidth, int height)
    {
        if (left.Width > sideWidth || right.Width > sideWidth || left.Height > height || right.Height > height)
            throw new ArgumentException($"sides of {left.Width} x {left.Height} and {right.Width} x {right.Height} do not fit {sideWidth} x {height}.");
        int n = left.Count + right.Count;
        var t = new long[n];
        var x = new ushort[n];
        var y = new ushort[n];
        var p = new byte[n];
        int i = 0, j = 0;
        for (int k = 0; k < n; k++)
        {
            bool takeLeft = j >= right.Count || (i < left.Count && left.TimesUs[i] <= right.TimesUs[j]);
            if (takeLeft)
            {
                (t[k], x[k], y[k], p[k]) = (left.TimesUs[i], left.X[i], left.Y[i], left.Polarity[i]);
                i++;
            }
            else
            {
                (t[k], x[k], y[k], p[k]) = (right.TimesUs[j], (ushort)(right.X[j] + sideWidth), right.Y[j], right.Polarity[j]);
                j++;
            }
        }
        return new EventStream(t, x, y, p, 2 * sideWidth, height);
    }

    private int CheckIndex(int index) =>
        index >= 0 && index < Count ? index : throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} samples.");
}
