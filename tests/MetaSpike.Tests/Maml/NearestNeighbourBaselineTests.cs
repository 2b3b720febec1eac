using MetaSpike.Data.FewShot;
using MetaSpike.Data.Generators;
using MetaSpike.Maml;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

public class NearestNeighbourBaselineTests
{
    [Fact]
    public void Each_query_takes_the_label_of_the_support_sample_with_the_most_similar_counts()
    {
        // Frames [T = 2, samples, 3 pixels]. Support counts: class 0 [2, 0, 0], class 1 [0, 1, 1].
        var support = tensor(new float[] { 1, 0, 0, /**/ 0, 1, 0, /**/ 1, 0, 0, /**/ 0, 0, 1 }, [2, 2, 3]);
        // Query counts [3, 1, 0] (cosine 0.95 with class 0, 0.22 with 1: right), [0, 0, 2] (0 vs 0.71: class 1, right),
        // and [1, 1, 1] labelled 0 (0.58 vs 0.82: class 1, wrong).
        var query = tensor(new float[] { 2, 1, 0, /**/ 0, 0, 1, /**/ 1, 1, 0, /**/ 1, 0, 0, /**/ 0, 0, 1, /**/ 0, 0, 1 }, [2, 3, 3]);
        using var task = new TaskData(support, tensor(new long[] { 0, 1 }), query, tensor(new long[] { 0, 1, 0 }));
        Assert.Equal(2.0 / 3, NearestNeighbourBaseline.Accuracy(task), 12);
    }

    [Fact]
    public void Identical_writers_are_solved_and_more_writer_variation_makes_matching_harder()
    {
        double Score(double variation)
        {
            var dataset = MetaDatasets.Glyphs(classes: 60, samplesPerClass: 4, seed: 2, new GlyphOptions().WithWriterVariation(variation));
            var loader = new FewShotTaskLoader(dataset with { Binning = dataset.Binning with { Steps = 25, BinWidthUs = 4000 } }, 5, 1, 2, seed: 0);
            return NearestNeighbourBaseline.Evaluate(loader, MetaSplit.Test, trials: 2, tasksPerTrial: 10).Mean;
        }
        var (none, neat, messy) = (Score(0), Score(1), Score(4));
        Assert.True(none > 0.95, $"identical instances: {none:P1}");
        Assert.True(none >= neat && neat > messy, $"nearest neighbour at variation 0, 1, 4: {none:P1}, {neat:P1}, {messy:P1}");
    }

    [Fact]
    public void Mismatched_frames_are_refused_with_their_shapes()
    {
        using var task = new TaskData(zeros(2, 2, 3), tensor(new long[] { 0, 1 }), zeros(2, 3, 4), tensor(new long[] { 0, 1, 0 }));
        var e = Assert.Throws<ArgumentException>(() => NearestNeighbourBaseline.Accuracy(task));
        Assert.Contains("[2, 3, 4]", e.Message);
    }
}
