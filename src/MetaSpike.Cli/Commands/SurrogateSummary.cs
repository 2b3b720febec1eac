using MetaSpike.Surrogates;
using static TorchSharp.torch;

namespace MetaSpike.Cli.Commands;

/// <summary>One hyperparameter as shown by <c>surrogate list</c>.</summary>
internal sealed record HyperparameterRow(string Name, string Default, string Domain);

/// <summary>One family as shown by <c>surrogate list</c>; G(0) is measured, not copied.</summary>
internal sealed record SurrogateSummary(string Name, string Class, IReadOnlyList<HyperparameterRow> Hyperparameters,
    double GradientAtZero, bool HasOriginalFunction, string Repr)
{
    public static IReadOnlyList<SurrogateSummary> All()
    {
        using var scope = NewDisposeScope();
        var zero = tensor(0.0, ScalarType.Float64);
        return SurrogateCatalog.All.Select(entry =>
        {
            var family = entry.Create();
            var rows = new List<HyperparameterRow>();
            if (family is SquarewaveFourierSeries s) rows.Add(new("n", s.Harmonics.ToString(), "integer >= 1"));
            rows.AddRange(family.HyperparameterInfos.Select(h => new HyperparameterRow(h.Name, HyperValue.FromNumber(h.Default).ToString(), h.DomainText)));
            return new SurrogateSummary(entry.Name, entry.Type.Name, rows, family.SurrogateGrad(zero).item<double>(),
                family.HasOriginalFunction, family.ToString());
        }).ToList();
    }
}
