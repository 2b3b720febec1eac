namespace MetaSpike.Maml;

/// <summary>A mean and its sample standard deviation (n - 1; 0 for a single value), as reported "mean ± std".</summary>
/// <param name="Mean">The mean.</param>
/// <param name="Std">The sample standard deviation.</param>
public readonly record struct MeanStd(double Mean, double Std)
{
    /// <summary>The mean and sample standard deviation of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static MeanStd Of(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("mean ± std needs at least one value.", nameof(values));
        double mean = values.Average();
        double std = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new MeanStd(mean, std);
    }

    /// <summary>"mean ± std" with four significant digits.</summary>
    public override string ToString() => FormattableString.Invariant($"{Mean:G4} ± {Std:G4}");
}
