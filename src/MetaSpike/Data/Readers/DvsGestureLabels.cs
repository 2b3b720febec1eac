using System.Globalization;
using System.Text;

namespace MetaSpike.Data.Readers;

/// <summary>One labelled gesture of a DVS Gesture recording: the events with StartUs &lt;= t &lt; EndUs.</summary>
/// <param name="Label">0-based class (the CSV's 1-based class minus 1).</param>
/// <param name="StartUs">Start time in µs, in the recording's clock.</param>
/// <param name="EndUs">End time in µs (exclusive).</param>
public readonly record struct GestureSegment(int Label, long StartUs, long EndUs);

/// <summary>
/// The <c>&lt;recording&gt;_labels.csv</c> files of DVS Gesture: a header line
/// <c>class,startTime_usec,endTime_usec</c>, then one row per gesture with a 1-based class (1..11).
/// </summary>
public static class DvsGestureLabels
{
    /// <summary>The header line.</summary>
    public const string Header = "class,startTime_usec,endTime_usec";

    /// <summary>The labels file beside <paramref name="aedatPath"/>: <c>&lt;file&gt;_labels.csv</c>.</summary>
    public static string PathFor(string aedatPath) =>
        Path.Combine(Path.GetDirectoryName(aedatPath) ?? "", Path.GetFileNameWithoutExtension(aedatPath) + "_labels.csv");

    /// <summary>Reads a labels file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist (the message names it).</exception>
    /// <exception cref="EventFormatException">The header is missing or a row is malformed (the record is the line number).</exception>
    public static IReadOnlyList<GestureSegment> Read(string csvPath)
    {
        if (!File.Exists(csvPath))
            throw new FileNotFoundException($"DVS Gesture labels file not found: '{Path.GetFullPath(csvPath)}'.", csvPath);
        var lines = File.ReadAllLines(csvPath);
        if (lines.Length == 0 || !string.Equals(lines[0].Replace(" ", "").Trim(), Header, StringComparison.OrdinalIgnoreCase))
            throw new EventFormatException(csvPath, $"the first line must be '{Header}'.", record: 1);
        var segments = new List<GestureSegment>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var fields = lines[i].Split(',');
            if (fields.Length != 3
                || !int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int cls)
                || !long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long start)
                || !long.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out long end))
                throw new EventFormatException(csvPath, $"line {i + 1} '{lines[i]}' is not 'class,startTime_usec,endTime_usec' integers.", record: i + 1);
            if (cls < 1 || cls > DvsGestureDataset.GestureNames.Count)
                throw new EventFormatException(csvPath, $"line {i + 1}: class {cls} is outside 1..{DvsGestureDataset.GestureNames.Count}.", record: i + 1);
            if (end < start)
                throw new EventFormatException(csvPath, $"line {i + 1}: end {end} µs is before start {start} µs.", record: i + 1);
            segments.Add(new GestureSegment(cls - 1, start, end));
        }
        return segments;
    }

    /// <summary>Writes a labels file (classes written 1-based).</summary>
    public static void Write(string csvPath, IEnumerable<GestureSegment> segments)
    {
        var text = new StringBuilder(Header).Append("\r\n");
        foreach (var s in segments)
            text.Append(CultureInfo.InvariantCulture, $"{s.Label + 1},{s.StartUs},{s.EndUs}\r\n");
        File.WriteAllText(csvPath, text.ToString());
    }
}
