namespace MetaSpike.Data.Readers;

/// <summary>
/// One ASL-DVS sample (MATLAB v5 <c>.mat</c>, DAVIS240C, 240 x 180): variables <c>ts</c> (µs), <c>x</c>, <c>y</c>
/// and <c>pol</c>, each an N x 1 (or 1 x N) vector of any numeric class (pol may be logical). Times stored as
/// floating point are rounded to the nearest µs; x and y must be whole numbers inside the sensor; a positive pol
/// is ON (1), zero or negative is OFF (0). Coordinates are kept as stored (no flip).
/// </summary>
public static class AslDvsFile
{
    /// <summary>Sensor width.</summary>
    public const int Width = 240;

    /// <summary>Sensor height.</summary>
    public const int Height = 180;

    /// <summary>Reads one file.</summary>
    /// <exception cref="EventFormatException">The file is not MAT v5, is truncated or corrupt, lacks a variable, or holds an event outside the sensor.</exception>
    public static EventStream Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Parses the bytes of one file; <paramref name="pathForErrors"/> names it in errors.</summary>
    /// <exception cref="EventFormatException">The file is not MAT v5, is truncated or corrupt, lacks a variable, or holds an event outside the sensor.</exception>
    public static EventStream Parse(byte[] data, string pathForErrors)
    {
        var arrays = MatFile.Parse(data, pathForErrors);
        MatArray Vector(string name)
        {
            var a = arrays.LastOrDefault(v => v.Name == name)
                ?? throw new EventFormatException(pathForErrors,
                    $"variable '{name}' not found; an ASL-DVS file needs ts, x, y and pol (this one has: {(arrays.Count == 0 ? "no variables" : string.Join(", ", arrays.Select(v => v.Name)))}).");
            if (!a.IsNumeric || a.IsComplex)
                throw new EventFormatException(pathForErrors, $"variable '{name}' is a {(a.IsComplex ? "complex " : "")}{a.Class} array, not a real numeric vector.", byteOffset: a.ElementOffset);
            if (a.Count > 0 && a.Dimensions.Count(d => d != 1) > 1)
                throw new EventFormatException(pathForErrors, $"variable '{name}' is {string.Join(" x ", a.Dimensions)}, not an N x 1 vector.", byteOffset: a.ElementOffset);
            return a;
        }
        MatArray ts = Vector("ts"), xs = Vector("x"), ys = Vector("y"), pol = Vector("pol");
        foreach (var v in (MatArray[])[xs, ys, pol])
            if (v.Count != ts.Count)
                throw new EventFormatException(pathForErrors, $"variable '{v.Name}' has {v.Count} values but ts has {ts.Count}.", byteOffset: v.ElementOffset);

        var t = ts.ToInt64Array();
        var x = Coordinates(xs, Width);
        var y = Coordinates(ys, Height);
        var pd = pol.ToDoubleArray();
        var p = new byte[pd.Length];
        for (int i = 0; i < p.Length; i++) p[i] = pd[i] > 0 ? (byte)1 : (byte)0;
        return new EventStream(t, x, y, p, Width, Height);
    }

    private static ushort[] Coordinates(MatArray values, int size)
    {
        var v = values.ToDoubleArray();
        var result = new ushort[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            double c = v[i];
            if (!(c >= 0 && c < size) || c != Math.Floor(c))
                throw values.ValueError(i, $"coordinate {c} is not a whole number in 0..{size - 1}.");
            result[i] = (ushort)c;
        }
        return result;
    }
}
