using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using MetaSpike.Data;
using MetaSpike.Data.Readers;

namespace MetaSpike.Bench;

/// <summary>
/// Reading and binning N-MNIST files: 200 synthetic files of 4,000 events (300 ms starting 150 ms before a
/// 2^23 µs timestamp overflow, so every file holds an overflow marker) written to a temporary folder. Each
/// benchmark handles all 200 files; one operation is one event, so the Events/s column is the throughput.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(EventsPerSecondConfig))]
public class EventBenchmarks
{
    private const int Files = 200;
    private const int EventsPerFile = 4_000;
    private const int TotalEvents = Files * EventsPerFile;
    private const long StartUs = NMnistFile.OverflowPeriodUs - 150_000;

    private static readonly BinningOptions Binning = new() { StartUs = StartUs, Steps = 300 };

    private string _folder = null!;
    private string[] _paths = null!;
    private byte[][] _bytes = null!;
    private float[] _frames = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("metaspike-bench-nmnist-").FullName;
        var random = new Random(1);
        _paths = new string[Files];
        _bytes = new byte[Files][];
        for (int f = 0; f < Files; f++)
        {
            var t = new long[EventsPerFile];
            var x = new ushort[EventsPerFile];
            var y = new ushort[EventsPerFile];
            var p = new byte[EventsPerFile];
            for (int i = 0; i < EventsPerFile; i++)
            {
                t[i] = StartUs + random.NextInt64(300_000);
                x[i] = (ushort)random.Next(NMnistFile.Width);
                y[i] = (ushort)random.Next(NMnistFile.Height);
                p[i] = (byte)random.Next(2);
            }
            Array.Sort(t);
            _bytes[f] = NMnistFile.Encode(new EventStream(t, x, y, p, NMnistFile.Width, NMnistFile.Height));
            _paths[f] = Path.Combine(_folder, $"{f:D5}.bin");
            File.WriteAllBytes(_paths[f], _bytes[f]);
        }
        _frames = new float[EventBinning.Shape(NMnistFile.Parse(_bytes[0], _paths[0]), Binning).Length];
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    /// <summary>(a) Parsing only: the files' bytes are already in memory.</summary>
    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int Parse()
    {
        int events = 0;
        for (int f = 0; f < Files; f++) events += NMnistFile.Parse(_bytes[f], _paths[f]).Count;
        return events;
    }

    /// <summary>(b) Reading each file from disk (the page cache, after the first run), then parsing it.</summary>
    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public int ReadAndParse()
    {
        int events = 0;
        for (int f = 0; f < Files; f++) events += NMnistFile.Read(_paths[f]).Count;
        return events;
    }

    /// <summary>(c) Parsing, then binning into [300, 2, 34, 34] count frames in a reused buffer (cleared per file).</summary>
    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public float ParseAndBin()
    {
        float sum = 0;
        for (int f = 0; f < Files; f++)
        {
            EventBinning.ToFrames(NMnistFile.Parse(_bytes[f], _paths[f]), Binning, _frames);
            sum += _frames[f];
        }
        return sum;
    }

    /// <summary>(c') As <see cref="ParseAndBin"/>, but each file gets its own frame tensor.</summary>
    [Benchmark(OperationsPerInvoke = TotalEvents)]
    public long ParseAndBinToTensor()
    {
        long cells = 0;
        for (int f = 0; f < Files; f++)
        {
            using var frames = EventBinning.ToFrames(NMnistFile.Parse(_bytes[f], _paths[f]), Binning);
            cells += frames.numel();
        }
        return cells;
    }

    /// <summary>Adds an Events/s column: each benchmark counts one operation per event.</summary>
    private sealed class EventsPerSecondConfig : ManualConfig
    {
        public EventsPerSecondConfig() => AddColumn(new EventsPerSecondColumn());
    }

    private sealed class EventsPerSecondColumn : IColumn
    {
        public string Id => nameof(EventsPerSecondColumn);
        public string ColumnName => "Events/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Events handled per second on one core (1 / mean time per event)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
            summary[benchmarkCase]?.ResultStatistics is { Mean: > 0 } stats ? $"{1e9 / stats.Mean / 1e6:F1} M" : "-";
    }
}
