using System.Runtime.InteropServices;

namespace MetaSpike.Bench.Common;

/// <summary>
/// The process's resident memory (Linux: VmRSS and its high-water mark VmHWM from /proc/self/status; elsewhere
/// <see cref="Environment.WorkingSet"/>), and glibc's <c>malloc_trim</c>.
/// </summary>
internal static class ProcessMemory
{
    private const string StatusPath = "/proc/self/status";
    private const string ClearRefsPath = "/proc/self/clear_refs";

    /// <summary>Whether /proc/self/status can be read (Linux).</summary>
    public static bool HasProcStatus { get; } = File.Exists(StatusPath);

    /// <summary>Resident set size in bytes now.</summary>
    public static long Rss() => HasProcStatus ? Read().Rss : Environment.WorkingSet;

    /// <summary>VmRSS and VmHWM in bytes, from one read of /proc/self/status.</summary>
    public static (long Rss, long HighWaterMark) Read()
    {
        long rss = -1, hwm = -1;
        foreach (var line in File.ReadLines(StatusPath))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kilobytes(line);
        }
        if (rss < 0 || hwm < 0) throw new InvalidDataException($"{StatusPath} has no VmRSS/VmHWM lines.");
        return (rss, hwm);
    }

    /// <summary>
    /// Resets VmHWM to the current RSS (writing "5" to /proc/self/clear_refs, Linux 4.0+). Returns false where the
    /// kernel refuses or ignores it (the high-water mark then stays above the current RSS).
    /// </summary>
    public static bool TryResetHighWaterMark()
    {
        if (!HasProcStatus) return false;
        try
        {
            File.WriteAllText(ClearRefsPath, "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        var (rss, hwm) = Read();
        return hwm - rss < 1 << 20;
    }

    /// <summary>
    /// Gives memory that glibc's allocator holds free back to the system, so that an RSS baseline counts live
    /// memory only (otherwise a step reuses freed pages and its peak hides in the baseline). False without glibc.
    /// </summary>
    public static bool TryTrimAllocator()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
}
