namespace MetaSpike.Data.Readers;

/// <summary>Collects events of unknown count into growing arrays, then trims them into an <see cref="EventStream"/>.</summary>
internal sealed class EventStreamBuilder(int capacity = 1024)
{
    private long[] _t = new long[capacity];
    private ushort[] _x = new ushort[capacity];
    private ushort[] _y = new ushort[capacity];
    private byte[] _p = new byte[capacity];
    private int _count;

    public void Add(long t, int x, int y, int polarity)
    {
        if (_count == _t.Length)
        {
            int grown = Math.Max(16, _t.Length * 2);
            Array.Resize(ref _t, grown);
            Array.Resize(ref _x, grown);
            Array.Resize(ref _y, grown);
            Array.Resize(ref _p, grown);
        }
        _t[_count] = t;
        _x[_count] = (ushort)x;
        _y[_count] = (ushort)y;
        _p[_count] = (byte)polarity;
        _count++;
    }

    public EventStream ToStream(int width, int height)
    {
        Array.Resize(ref _t, _count);
        Array.Resize(ref _x, _count);
        Array.Resize(ref _y, _count);
        Array.Resize(ref _p, _count);
        return new EventStream(_t, _x, _y, _p, width, height);
    }
}
