namespace MetaSpike.Data.Readers;

/// <summary>Growable struct-of-arrays event storage for readers that learn the event count while decoding.</summary>
internal sealed class Aedat4EventBuffer(int capacity)
{
    private long[] _t = new long[Math.Max(capacity, 16)];
    private ushort[] _x = new ushort[Math.Max(capacity, 16)];
    private ushort[] _y = new ushort[Math.Max(capacity, 16)];
    private byte[] _p = new byte[Math.Max(capacity, 16)];

    /// <summary>Number of events added.</summary>
    public int Count { get; private set; }

    /// <summary>Appends one event.</summary>
    public void Add(long t, ushort x, ushort y, byte polarity)
    {
        if (Count == _t.Length) Grow();
        _t[Count] = t;
        _x[Count] = x;
        _y[Count] = y;
        _p[Count] = polarity;
        Count++;
    }

    /// <summary>The events as a stream; the arrays are trimmed to size and handed over.</summary>
    public EventStream ToStream(int width, int height)
    {
        Array.Resize(ref _t, Count);
        Array.Resize(ref _x, Count);
        Array.Resize(ref _y, Count);
        Array.Resize(ref _p, Count);
        return new EventStream(_t, _x, _y, _p, width, height);
    }

    private void Grow()
    {
        var size = checked(_t.Length * 2);
        Array.Resize(ref _t, size);
        Array.Resize(ref _x, size);
        Array.Resize(ref _y, size);
        Array.Resize(ref _p, size);
    }
}
