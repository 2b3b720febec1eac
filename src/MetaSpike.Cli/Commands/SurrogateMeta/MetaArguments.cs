using System.Globalization;
using MetaSpike.Surrogates;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>Parsing of option values shared by the per-layer and S2NN scenarios; bad values throw <see cref="ArgumentException"/>.</summary>
internal static class MetaArguments
{
    /// <summary>The accepted names of <see cref="HyperGradientMode"/> values.</summary>
    public const string HyperGradientNames = "braintools, straight-through, none";

    /// <summary>braintools | straight-through | none.</summary>
    public static HyperGradientMode HyperGradient(string text) => text.Trim().ToLowerInvariant() switch
    {
        "braintools" => HyperGradientMode.BraintoolsCompatible,
        "straight-through" => HyperGradientMode.StraightThrough,
        "none" => HyperGradientMode.None,
        _ => throw new ArgumentException($"--hyper-gradient must be one of {HyperGradientNames}; got '{text}'."),
    };

    /// <summary>The command-line name of a mode.</summary>
    public static string Name(HyperGradientMode mode) => mode switch
    {
        HyperGradientMode.BraintoolsCompatible => "braintools",
        HyperGradientMode.StraightThrough => "straight-through",
        _ => "none",
    };

    /// <summary>A comma-separated list of numbers, e.g. "0.5,4,16"; an empty text gives an empty list.</summary>
    public static double[] Numbers(string option, string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v : throw new ArgumentException($"{option}: '{part}' is not a finite number."))
            .ToArray();

    /// <summary>A comma-separated list of positive layer sizes, e.g. "48,48,48".</summary>
    public static int[] Sizes(string option, string text)
    {
        var sizes = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 1
                ? v : throw new ArgumentException($"{option}: '{part}' is not a layer size (a whole number >= 1)."))
            .ToArray();
        return sizes.Length > 0 ? sizes : throw new ArgumentException($"{option}: give at least one layer size.");
    }

    /// <summary>Invariant formatting for tables, with a lower-case exponent (1e-08).</summary>
    public static string F(double value, string format = "G4") => value.ToString(format, CultureInfo.InvariantCulture).Replace('E', 'e');
}
