using System.Globalization;
using System.Reflection;

namespace MetaSpike.Surrogates;

/// <summary>One surrogate family as listed by <see cref="SurrogateCatalog"/>.</summary>
/// <param name="Name">The snake_case name (braintools' functional name), e.g. "sigmoid".</param>
/// <param name="Type">The family's class.</param>
public sealed record SurrogateEntry(string Name, Type Type)
{
    /// <summary>
    /// Creates the family with the given settings (by hyperparameter name, e.g. "alpha" or "t_period";
    /// "n" for the number of harmonics); unnamed ones keep their defaults.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not a setting of this family, or a value is invalid.</exception>
    public SurrogateFunction Create(IReadOnlyDictionary<string, double>? settings = null)
    {
        settings ??= new Dictionary<string, double>();
        var ctor = Type.GetConstructors().Single();
        var parameters = ctor.GetParameters();
        var args = new object?[parameters.Length];
        var used = new HashSet<string>();
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var match = settings.Keys.FirstOrDefault(k => Normalize(k) == Normalize(p.Name!));
            if (match is null || p.ParameterType == typeof(bool) || p.ParameterType == typeof(HyperGradientMode))
            {
                args[i] = p.DefaultValue;
                continue;
            }
            used.Add(match);
            var v = settings[match];
            if (p.ParameterType == typeof(int))
            {
                if (v != Math.Floor(v)) throw new ArgumentException($"{Type.Name}: '{match}' must be an integer, got {v.ToString(CultureInfo.InvariantCulture)}.");
                args[i] = (int)v;
            }
            else
            {
                args[i] = (HyperValue?)v;
            }
        }
        var unknown = settings.Keys.Where(k => !used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"{Type.Name} has no hyperparameter {string.Join(", ", unknown.Select(u => $"'{u}'"))}; it has {string.Join(", ", SettingNames())}.");
        try
        {
            return (SurrogateFunction)ctor.Invoke(args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    /// <summary>The names of all settings: integer settings first, then the tensor hyperparameters.</summary>
    public IEnumerable<string> SettingNames() =>
        Type.GetConstructors().Single().GetParameters()
            .Where(p => p.ParameterType != typeof(bool) && p.ParameterType != typeof(HyperGradientMode))
            .Select(p => ToSnake(p.Name!));

    private static string Normalize(string name) => name.Replace("_", "").Replace("-", "").ToLowerInvariant();

    private static string ToSnake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary>Every surrogate family, by name, for tools and tests.</summary>
public static class SurrogateCatalog
{
    /// <summary>The families in the order of the specification (the 18 braintools families, then the fast sigmoid).</summary>
    public static IReadOnlyList<SurrogateEntry> All { get; } =
    [
        new("sigmoid", typeof(Sigmoid)),
        new("piecewise_quadratic", typeof(PiecewiseQuadratic)),
        new("piecewise_exp", typeof(PiecewiseExp)),
        new("soft_sign", typeof(SoftSign)),
        new("arctan", typeof(Arctan)),
        new("nonzero_sign_log", typeof(NonzeroSignLog)),
        new("erf", typeof(Erf)),
        new("piecewise_leaky_relu", typeof(PiecewiseLeakyRelu)),
        new("squarewave_fourier_series", typeof(SquarewaveFourierSeries)),
        new("s2nn", typeof(S2NN)),
        new("q_pseudo_spike", typeof(QPseudoSpike)),
        new("leaky_relu", typeof(LeakyRelu)),
        new("log_tailed_relu", typeof(LogTailedRelu)),
        new("relu_grad", typeof(ReluGrad)),
        new("gaussian_grad", typeof(GaussianGrad)),
        new("multi_gaussian_grad", typeof(MultiGaussianGrad)),
        new("inv_square_grad", typeof(InvSquareGrad)),
        new("slayer_grad", typeof(SlayerGrad)),
        new("fast_sigmoid", typeof(FastSigmoid)),
    ];

    /// <summary>Finds a family by snake_case, kebab-case or class name (case-insensitive); "superspike" is the fast sigmoid.</summary>
    /// <exception cref="ArgumentException">No family has that name.</exception>
    public static SurrogateEntry Find(string name)
    {
        var key = name.Replace("-", "_").Trim().ToLowerInvariant();
        if (key == "superspike") key = "fast_sigmoid";
        return All.FirstOrDefault(e => e.Name == key || e.Type.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown surrogate '{name}'; known: {string.Join(", ", All.Select(e => e.Name))}.");
    }
}
