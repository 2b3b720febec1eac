namespace MetaSpike.Data;

/// <summary>Growable struct-of-arrays buffer that readers, transforms and generators fill event by event.</summary>
internal sealed class EventStreamBuilder(int capacity = 256)
{
    private long[] _t = new long[Math.Max(capacity, 4)];
    private ushort[] _x = new ushort[Math.Max(capacity, 4)];
    private ushort[] _y = new ushort[Math.Max(capacity, 4)];
    private byte[] _p = new byte[Math.Max(capacity, 4)];
    private long[] _keys = [];
    private int[] _order = [];

    /// <summary>Events added so far.</summary>
    public int Count { get; private set; }

    /// <summary>Appends one event; the caller guarantees 0 ≤ x, y &lt; 65536.</summary>
    public void Add(long timeUs, int x, int y, int polarity)
    {
        if (Count == _t.Length) Grow();
        _t[Count] = timeUs;
        _x[Count] = (ushort)x;
        _y[Count] = (ushort)y;
        _p[Count] = (byte)polarity;
        Count++;
    }

    /// <summary>
    /// Sorts the events from <paramref name="start"/> on by time, ties kept in insertion order (so the result
    /// does not depend on the sort algorithm).
    /// </summary>
    public void SortFrom(int start)
    {
        int n = Count - start;
        if (n < 2) return;
        long min = long.MaxValue, max = long.MinValue;
        bool sorted = true;
        for (int i = start; i < Count; i++)
        {
            min = Math.Min(min, _t[i]);
            max = Math.Max(max, _t[i]);
            if (i > start && _t[i] < _t[i - 1]) sorted = false;
        }
        if (sorted) return;
        if (_keys.Length < n)
        {
            _keys = new long[n];
            _order = new int[n];
        }
        // A composite key (time, insertion index) makes the unstable sort stable; plain times if it could overflow.
        bool composite = max - min < long.MaxValue / n;
        for (int j = 0; j < n; j++)
        {
            _keys[j] = composite ? (_t[start + j] - min) * n + j : _t[start + j];
            _order[j] = j;
        }
        Array.Sort(_keys, _order, 0, n);
        Permute(_t, start, n);
        Permute(_x, start, n);
        Permute(_y, start, n);
        Permute(_p, start, n);
    }

    /// <summary>Returns the events as a stream with exactly-sized arrays and empties the builder.</summary>
    public EventStream Build(int width, int height)
    {
        var stream = new EventStream(_t[..Count], _x[..Count], _y[..Count], _p[..Count], width, height);
        Count = 0;
        return stream;
    }

    private void Permute<T>(T[] values, int start, int n)
    {
        var copy = values.AsSpan(start, n).ToArray();
        for (int j = 0; j < n; j++) values[start + j] = copy[_order[j]];
    }

    private void Grow()
    {
        int size = _t.Length * 2;
        Array.Resize(ref _t, size);
        Array.Resize(ref _x, size);
        Array.Resize(ref _y, size);
        Array.Resize(ref _p, size);
    }
}
