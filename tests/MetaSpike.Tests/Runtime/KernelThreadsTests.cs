using MetaSpike.Runtime;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Runtime;

/// <summary><see cref="KernelThreads"/>: every part runs exactly once, on libtorch's OpenMP team where there is one, and errors reach the caller.</summary>
[Collection(GlobalRandomCollection.Name)]
public class KernelThreadsTests
{
    [Fact]
    public void Every_part_runs_once_on_the_openmp_team()
    {
        TorchRuntime.EnsureLoaded();
        // TorchSharp-cpu on Linux ships libgomp, so the parts run on libtorch's OpenMP threads there.
        if (OperatingSystem.IsLinux()) Assert.True(KernelThreads.UsesOpenMp, "libtorch's libgomp was not found");
        int before = get_num_threads();
        try
        {
            set_num_threads(2);
            var counts = new int[37];
            var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
            KernelThreads.For(counts.Length, p =>
            {
                Interlocked.Increment(ref counts[p]);
                threads[Environment.CurrentManagedThreadId] = true;
                Thread.SpinWait(20_000);
            });
            Assert.All(counts, c => Assert.Equal(1, c));
            Assert.Equal(2, threads.Count);
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void One_or_two_parts_cover_the_range_once()
    {
        var calls = new System.Collections.Concurrent.ConcurrentBag<(int, int)>();
        KernelThreads.OneOrTwoParts(false, 3, 10, (a, b) => calls.Add((a, b)));
        Assert.Equal([(0, 10)], calls);
        calls.Clear();
        KernelThreads.OneOrTwoParts(true, 3, 10, (a, b) => calls.Add((a, b)));
        Assert.Equal([(0, 3), (3, 10)], calls.OrderBy(c => c.Item1));
    }

    [Fact]
    public void Shared_ranges_cover_the_items_once_and_shrink_towards_the_end()
    {
        var calls = new System.Collections.Concurrent.ConcurrentBag<(int Start, int Stop)>();
        int workers = 0;
        Func<Action<int, int>> worker = () =>
        {
            Interlocked.Increment(ref workers);
            int thread = Environment.CurrentManagedThreadId;
            return (a, b) =>
            {
                Assert.Equal(thread, Environment.CurrentManagedThreadId);
                calls.Add((a, b));
            };
        };
        KernelThreads.Shared(false, 10, worker);
        Assert.Equal([(0, 10)], calls);
        Assert.Equal(1, workers);
        int before = get_num_threads();
        try
        {
            set_num_threads(2);
            calls.Clear();
            workers = 0;
            KernelThreads.Shared(true, 100, worker);
            var ranges = calls.OrderBy(c => c.Start).ToArray();
            // Each range is a quarter of what was left when it was taken: 25 of 100, then 18 of 75, 14 of 57, ...
            Assert.Equal((0, 25), ranges[0]);
            Assert.Equal((25, 43), ranges[1]);
            Assert.Equal(100, ranges[^1].Stop);
            for (int i = 1; i < ranges.Length; i++)
            {
                Assert.Equal(ranges[i - 1].Stop, ranges[i].Start);
                Assert.True(ranges[i].Stop - ranges[i].Start <= ranges[i - 1].Stop - ranges[i - 1].Start);
            }
            // One worker per thread that took a range, however many ranges it took.
            Assert.InRange(workers, 1, 2);
            Assert.True(ranges.Length > 2);
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void A_shared_sum_adds_each_threads_ranges_into_its_own_part()
    {
        // Items 0..99, item i adds i to element i % 3 of a [3] float64 part: sums 0+3+..+99, 1+4+..+97, 2+5+..+98.
        int before = get_num_threads();
        try
        {
            set_num_threads(2);
            foreach (bool split in new[] { false, true })
            {
                var owners = new System.Collections.Concurrent.ConcurrentDictionary<nint, int>();
                var sum = KernelThreads.SumOverShared(split, 100, [3], ScalarType.Float64, part =>
                {
                    // One worker per part, and each part only ever touched by the thread that asked for it.
                    Assert.True(owners.TryAdd(part, Environment.CurrentManagedThreadId));
                    return (i0, i1) =>
                    {
                        Assert.Equal(owners[part], Environment.CurrentManagedThreadId);
                        var values = new double[3];
                        System.Runtime.InteropServices.Marshal.Copy(part, values, 0, 3);
                        for (int i = i0; i < i1; i++) values[i % 3] += i;
                        System.Runtime.InteropServices.Marshal.Copy(values, 0, part, 3);
                    };
                });
                Assert.Equal([1683.0, 1617.0, 1650.0], sum.data<double>().ToArray());
                Assert.InRange(owners.Count, 1, split ? 2 : 1);
            }
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void Splitting_needs_two_items_enough_work_and_two_threads()
    {
        int before = get_num_threads();
        try
        {
            set_num_threads(2);
            Assert.True(KernelThreads.Splits(2, 100, 100));
            Assert.False(KernelThreads.Splits(1, 100, 100));
            Assert.False(KernelThreads.Splits(2, 99, 100));
            set_num_threads(1);
            Assert.False(KernelThreads.Splits(2, 100, 100));
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void An_exception_in_a_part_reaches_the_caller()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            KernelThreads.For(4, p => { if (p == 3) throw new InvalidOperationException("part 3 failed"); }));
        Assert.Equal("part 3 failed", error.Message);
    }
}
