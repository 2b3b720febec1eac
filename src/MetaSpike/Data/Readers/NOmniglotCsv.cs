using System.Globalization;

namespace MetaSpike.Data.Readers;

/// <summary>
/// The CSV beside an N-Omniglot recording: one row per drawer with the start and end time (µs, the clock of the
/// .aedat4 file) of that sample. Columns are found by a header naming them (containing "start" and "end"), else by
/// position: columns 1 and 2 when there are three or more (the layout the N-Omniglot authors' loader reads),
/// columns 0 and 1 when there are two.
/// </summary>
internal static class NOmniglotCsv
{
    /// <summary>The sample windows of <paramref name="path"/>, in row order with their row numbers (0-based data rows).
    /// Bad rows throw, or with <paramref name="skipBad"/> are left out and described in <paramref name="skipped"/>.</summary>
    /// <exception cref="EventFormatException">A row is malformed (and <paramref name="skipBad"/> is false), or the file has no usable columns.</exception>
    public static List<(int Row, long StartUs, long EndUs)> Read(string path, bool skipBad, List<string> skipped)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select(Split).ToList();
        if (lines.Count == 0) throw new EventFormatException(path, "the CSV has no rows");
        var hasHeader = lines[0].Any(f => !TryParseTime(f, out _));
        var (startColumn, endColumn) = Columns(path, lines[0], hasHeader);
        var windows = new List<(int, long, long)>();
        for (var row = 0; row < lines.Count - (hasHeader ? 1 : 0); row++)
        {
            var fields = lines[row + (hasHeader ? 1 : 0)];
            var problem = Check(fields, startColumn, endColumn, out var start, out var end);
            if (problem is null)
            {
                windows.Add((row, start, end));
                continue;
            }
            var error = new EventFormatException(path, $"sample row {problem}", record: row);
            if (!skipBad) throw error;
            skipped.Add(error.Message);
        }
        return windows;
    }

    /// <summary>What is wrong with a data row, or null when it holds a valid window.</summary>
    private static string? Check(string[] fields, int startColumn, int endColumn, out long start, out long end)
    {
        start = end = 0;
        var needed = Math.Max(startColumn, endColumn) + 1;
        if (fields.Length < needed) return $"has {fields.Length} columns, needs {needed}";
        if (!TryParseTime(fields[startColumn], out start)) return $"start time '{fields[startColumn]}' is not an integer µs time";
        if (!TryParseTime(fields[endColumn], out end)) return $"end time '{fields[endColumn]}' is not an integer µs time";
        return start < 0 || end <= start ? $"window {start}..{end} µs is empty or negative" : null;
    }

    private static (int Start, int End) Columns(string path, string[] first, bool hasHeader)
    {
        if (hasHeader)
        {
            var start = Array.FindIndex(first, f => f.Contains("start", StringComparison.OrdinalIgnoreCase));
            var end = Array.FindIndex(first, f => f.Contains("end", StringComparison.OrdinalIgnoreCase));
            if (start >= 0 && end >= 0 && start != end) return (start, end);
        }
        return first.Length switch
        {
            >= 3 => (1, 2),
            2 => (0, 1),
            _ => throw new EventFormatException(path, $"the CSV needs a start and an end time column, its first row has {first.Length} column(s)"),
        };
    }

    private static string[] Split(string line) => line.Split(',').Select(f => f.Trim().Trim('"').Trim()).ToArray();

    /// <summary>Parses an integer time, also written as a float with no fraction (e.g. "1613980000123.0").</summary>
    private static bool TryParseTime(string text, out long value)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return true;
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d)
            && d >= long.MinValue && d <= long.MaxValue)
        {
            value = (long)d;
            return true;
        }
        value = 0;
        return false;
    }
}
