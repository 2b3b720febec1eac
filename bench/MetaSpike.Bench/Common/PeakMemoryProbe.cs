namespace MetaSpike.Bench.Common;

/// <summary>How <see cref="PeakMemoryProbe"/> finds the peak.</summary>
internal enum PeakMethod
{
    /// <summary>The kernel's high-water mark VmHWM, reset before each step: exact, costs nothing during the step.</summary>
    HighWaterMark,

    /// <summary>RSS read on a background thread about every millisecond: misses peaks shorter than that.</summary>
    Sampling,
}

/// <summary>The resident memory just before a step and the highest resident memory during it, in bytes.</summary>
internal readonly record struct PeakReading(long BaselineBytes, long PeakBytes)
{
    /// <summary>What the step needed beyond what was resident when it started.</summary>
    public long ExtraBytes => PeakBytes - BaselineBytes;
}

/// <summary>
/// Peak process memory over a stretch of code: <see cref="Begin"/> before it, <see cref="End"/> after. Uses the
/// resettable high-water mark where the kernel supports it, else samples RSS on a background thread.
/// </summary>
internal sealed class PeakMemoryProbe : IDisposable
{
    private readonly bool _trim;
    private long _baseline;
    private long _sampledPeak;
    private volatile bool _sampling;
    private Thread? _sampler;

    /// <summary>Creates the probe and finds out which method works here.</summary>
    /// <param name="trim">Return glibc's free memory to the system before each baseline (see <see cref="ProcessMemory.TryTrimAllocator"/>).</param>
    public PeakMemoryProbe(bool trim)
    {
        _trim = trim && ProcessMemory.TryTrimAllocator();
        Method = ProcessMemory.TryResetHighWaterMark() ? PeakMethod.HighWaterMark : PeakMethod.Sampling;
    }

    /// <summary>The method in use.</summary>
    public PeakMethod Method { get; }

    /// <summary>Whether the allocator is trimmed before each baseline.</summary>
    public bool Trims => _trim;

    /// <summary>The resident memory now, after trimming the allocator where enabled: what is live between steps.</summary>
    public long SettledRss()
    {
        if (_trim) ProcessMemory.TryTrimAllocator();
        return ProcessMemory.Rss();
    }

    /// <summary>Takes the baseline and starts watching.</summary>
    public void Begin()
    {
        _baseline = SettledRss();
        if (Method == PeakMethod.HighWaterMark)
        {
            ProcessMemory.TryResetHighWaterMark();
            return;
        }
        Interlocked.Exchange(ref _sampledPeak, _baseline);
        _sampling = true;
        _sampler = new Thread(Sample) { IsBackground = true, Name = "rss-sampler" };
        _sampler.Start();
    }

    /// <summary>Stops watching and returns the baseline and the peak.</summary>
    public PeakReading End()
    {
        if (Method == PeakMethod.HighWaterMark) return new PeakReading(_baseline, Math.Max(_baseline, ProcessMemory.Read().HighWaterMark));
        _sampling = false;
        _sampler?.Join();
        _sampler = null;
        long last = ProcessMemory.Rss();
        return new PeakReading(_baseline, Math.Max(Interlocked.Read(ref _sampledPeak), last));
    }

    /// <summary>Stops a sampler left running.</summary>
    public void Dispose()
    {
        _sampling = false;
        _sampler?.Join();
    }

    private void Sample()
    {
        while (_sampling)
        {
            long rss = ProcessMemory.Rss();
            if (rss > Interlocked.Read(ref _sampledPeak)) Interlocked.Exchange(ref _sampledPeak, rss);
            Thread.Sleep(1);
        }
    }
}
