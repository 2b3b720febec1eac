using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MetaSpike.Runtime;

/// <summary>
/// Runs the parallel parts of MetaSpike's raw CPU kernels on libtorch's own OpenMP threads. After each parallel
/// libtorch operation its OpenMP workers spin for a while waiting for the next one; a kernel that ran on .NET pool
/// threads in between competed with that spinning for the same cores (a quarter of workload (c)'s CPU time was
/// libgomp spinning). Handing the parts to the same OpenMP team instead puts the spinning threads to work. Where no
/// libgomp is loaded (another build of libtorch) the .NET thread pool runs them.
/// </summary>
internal static unsafe class KernelThreads
{
    private static readonly delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void> GompParallel;
    private static readonly delegate* unmanaged<int> ThreadNumber, TeamSize;

    static KernelThreads()
    {
        if (!OperatingSystem.IsLinux() || FindLoadedLibgomp() is not { } path || !NativeLibrary.TryLoad(path, out var library)) return;
        if (NativeLibrary.TryGetExport(library, "GOMP_parallel", out var parallel)
            && NativeLibrary.TryGetExport(library, "omp_get_thread_num", out var number)
            && NativeLibrary.TryGetExport(library, "omp_get_num_threads", out var size))
        {
            GompParallel = (delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void>)parallel;
            ThreadNumber = (delegate* unmanaged<int>)number;
            TeamSize = (delegate* unmanaged<int>)size;
        }
    }

    /// <summary>Whether parts run on libtorch's OpenMP threads (else on the .NET thread pool).</summary>
    public static bool UsesOpenMp => GompParallel != null;

    /// <summary>
    /// Runs <paramref name="body"/> for parts 0 .. <paramref name="parts"/> - 1, at most torch's thread count at once,
    /// and returns when all are done. The body must not create tensors (dispose scopes belong to the calling thread).
    /// </summary>
    public static void For(int parts, Action<int> body)
    {
        int threads = Math.Min(parts, get_num_threads());
        if (threads <= 1)
        {
            for (int p = 0; p < parts; p++) body(p);
            return;
        }
        if (GompParallel == null)
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
            return;
        }
        var work = new Work(body, parts);
        var handle = GCHandle.Alloc(work);
        try
        {
            GompParallel(&RunTeamMember, GCHandle.ToIntPtr(handle), (uint)threads, 0);
        }
        finally
        {
            handle.Free();
        }
        if (work.Error is { } error) ExceptionDispatchInfo.Capture(error).Throw();
    }

    /// <summary>Runs <paramref name="range"/>(0, <paramref name="middle"/>) and (<paramref name="middle"/>, <paramref name="end"/>) as two parts (see <see cref="For"/>).</summary>
    public static void TwoParts(int middle, int end, Action<int, int> range) =>
        For(2, part => range(part == 0 ? 0 : middle, part == 0 ? middle : end));

    /// <summary>
    /// Whether a kernel over <paramref name="items"/> independent items (samples, planes, rows) doing
    /// <paramref name="work"/> units in all is worth two threads: two items or more, at least
    /// <paramref name="minimumWork"/>, and torch allowed two threads.
    /// </summary>
    public static bool Splits(int items, long work, long minimumWork) => items >= 2 && work >= minimumWork && get_num_threads() >= 2;

    /// <summary>
    /// Runs <paramref name="range"/>(0, <paramref name="end"/>) on this thread, or, when <paramref name="split"/>, as
    /// the two parts (0, <paramref name="middle"/>) and (<paramref name="middle"/>, <paramref name="end"/>) (see <see cref="TwoParts"/>).
    /// </summary>
    public static void OneOrTwoParts(bool split, int middle, int end, Action<int, int> range)
    {
        if (split) TwoParts(middle, end, range);
        else range(0, end);
    }

    /// <summary>
    /// Runs ranges of items 0 .. <paramref name="end"/> - 1 on this thread, or, when <paramref name="split"/>, on two
    /// threads that each take the next range as they become free, a quarter of what is left (at least one item): the
    /// ranges shrink towards the end, so neither thread waits long for the other. For items whose work varies (the
    /// spikes of samples differ), where fixed halves left one thread waiting. Each thread that takes a range first
    /// asks <paramref name="worker"/> for its own range function, once: per-thread scratch buffers belong there, made
    /// once per call rather than once per range (there are about a dozen).
    /// </summary>
    public static void Shared(bool split, int end, Func<Action<int, int>> worker)
    {
        if (!split)
        {
            worker()(0, end);
            return;
        }
        int next = 0;
        For(2, _ =>
        {
            Action<int, int>? range = null;
            for (int start; (start = Volatile.Read(ref next)) < end;)
            {
                int stop = start + Math.Max(1, (end - start) / 4);
                if (Interlocked.CompareExchange(ref next, stop, start) == start) (range ??= worker())(start, stop);
            }
        });
    }

    /// <summary>
    /// A sum over items 0 .. <paramref name="end"/> - 1 added into zeroed tensors of <paramref name="shape"/>: one
    /// filled on this thread, or, when <paramref name="split"/>, one per thread taking ranges as in
    /// <see cref="Shared"/> (no two threads add into the same memory), the second added to the first at the end. Each
    /// thread asks <paramref name="worker"/> once, with its tensor's memory, for the function that adds a range. The
    /// tensors are made here, on the calling thread.
    /// </summary>
    public static Tensor SumOverShared(bool split, int end, long[] shape, ScalarType dtype, Func<nint, Action<int, int>> worker)
    {
        var parts = new Tensor[split ? 2 : 1];
        for (int i = 0; i < parts.Length; i++) parts[i] = zeros(shape, dtype);
        var memory = parts.Select(t => (nint)TensorMemory.Pointer<byte>(t)).ToArray();
        int taken = 0;
        Shared(split, end, () => worker(memory[Interlocked.Increment(ref taken) - 1]));
        return split ? parts[0].add_(parts[1]) : parts[0];
    }

    /// <summary>One OpenMP team member: parts member, member + team size, ...; exceptions are kept for the caller (they cannot cross native frames).</summary>
    [UnmanagedCallersOnly]
    private static void RunTeamMember(nint data)
    {
        var work = (Work)GCHandle.FromIntPtr(data).Target!;
        int member = ThreadNumber(), team = TeamSize();
        for (int p = member; p < work.Parts; p += team)
        {
            try
            {
                work.Body(p);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref work.Error, e, null);
            }
        }
    }

    /// <summary>The path of the libgomp this process has mapped (libtorch's), from /proc/self/maps.</summary>
    private static string? FindLoadedLibgomp()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash >= 0 && line.AsSpan(slash).ToString() is var path && Path.GetFileName(path).StartsWith("libgomp", StringComparison.Ordinal))
                    return path;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private sealed class Work(Action<int> body, int parts)
    {
        public readonly Action<int> Body = body;
        public readonly int Parts = parts;
        public Exception? Error;
    }
}
