namespace MetaSpike.Bench.Common;

/// <summary>A plain-text table: the first column left-aligned, the others right-aligned, columns padded to fit.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a row (one cell per header).</summary>
    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException($"a row needs {headers.Length} cells, got {cells.Length}.", nameof(cells));
        _rows.Add(cells);
    }

    /// <summary>Writes the table.</summary>
    public void Write(TextWriter writer)
    {
        var widths = headers.Select((h, c) => _rows.Select(r => r[c].Length).Prepend(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd();
        writer.WriteLine(Line(headers));
        writer.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in _rows) writer.WriteLine(Line(row));
    }
}
