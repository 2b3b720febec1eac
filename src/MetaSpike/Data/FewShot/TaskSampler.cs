using MetaSpike.Runtime;

namespace MetaSpike.Data.FewShot;

/// <summary>One N-way K-shot task: labels are relabelled 0..N-1 in the order of <see cref="Classes"/>.</summary>
/// <param name="Classes">The source classes, task label i = Classes[i].</param>
/// <param name="Support">N·K (sample index in the source, task label) pairs, class by class.</param>
/// <param name="Query">N·Q (sample index, task label) pairs, class by class, disjoint from the support.</param>
public sealed record FewShotTask(IReadOnlyList<int> Classes, IReadOnlyList<(int Index, int Label)> Support, IReadOnlyList<(int Index, int Label)> Query);

/// <summary>
/// Samples N-way K-shot tasks with Q query samples per class from one split. Task i depends only on (seed, i):
/// the same seed and index always give the same task, whatever was sampled before.
/// </summary>
public sealed class TaskSampler
{
    /// <summary>Creates the sampler.</summary>
    /// <exception cref="ArgumentException">N exceeds the split's classes, or a class has fewer than K + Q samples.</exception>
    public TaskSampler(ClassSplit split, int ways, int shots, int queries, int seed)
    {
        if (ways < 1 || shots < 1 || queries < 0)
            throw new ArgumentException($"need ways >= 1, shots >= 1, queries >= 0; got {ways}-way {shots}-shot with {queries} queries.");
        if (ways > split.Classes.Count)
            throw new ArgumentException($"{ways}-way tasks need {ways} classes; split '{split.Name}' has {split.Classes.Count}.", nameof(ways));
        if (split.MinSamplesPerClass < shots + queries)
            throw new ArgumentException(
                $"{shots} shots + {queries} queries need {shots + queries} samples per class; a class of split '{split.Name}' has only {split.MinSamplesPerClass}.",
                nameof(shots));
        (Split, Ways, Shots, Queries, Seed) = (split, ways, shots, queries, seed);
    }

    /// <summary>The split tasks are drawn from.</summary>
    public ClassSplit Split { get; }

    /// <summary>N, classes per task.</summary>
    public int Ways { get; }

    /// <summary>K, support samples per class.</summary>
    public int Shots { get; }

    /// <summary>Q, query samples per class.</summary>
    public int Queries { get; }

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>Task number <paramref name="index"/>.</summary>
    public FewShotTask Sample(int index)
    {
        var rng = new Random(Seeds.Mix32(Seed, index));
        var positions = Enumerable.Range(0, Split.Classes.Count).ToArray();
        rng.Shuffle(positions);
        var chosen = positions[..Ways];
        var support = new List<(int, int)>(Ways * Shots);
        var query = new List<(int, int)>(Ways * Queries);
        for (int label = 0; label < Ways; label++)
        {
            var samples = Split.SamplesOf(chosen[label]).ToArray();
            rng.Shuffle(samples);
            for (int k = 0; k < Shots; k++) support.Add((samples[k], label));
            for (int q = 0; q < Queries; q++) query.Add((samples[Shots + q], label));
        }
        return new FewShotTask(chosen.Select(p => Split.Classes[p]).ToArray(), support, query);
    }
}
