using MetaSpike.Data.Generators;
using MetaSpike.Data.Readers;
using MetaSpike.Data.Transforms;

namespace MetaSpike.Data.FewShot;

/// <summary>A meta-learning dataset: class-disjoint splits and how its samples become frames.</summary>
/// <param name="Name">E.g. "double N-MNIST".</param>
/// <param name="Splits">Meta-train, meta-validation and meta-test classes.</param>
/// <param name="Binning">Events to frames [T, 2, H, W] (bin width, steps, down-sampling).</param>
public sealed record MetaDataset(string Name, FewShotSplits Splits, BinningOptions Binning);

/// <summary>
/// The meta-datasets of Stewart and Neftci (2022) over the real readers, and the generated ones that run offline.
/// Class splits are drawn from a seed (the paper gives only their sizes).
/// </summary>
public static class MetaDatasets
{
    /// <summary>
    /// Double N-MNIST: two N-MNIST digits side by side, each cropped to 32 x 32 (64 x 32), binned at 1 ms for 100 steps
    /// and down-sampled ÷2 to [100, 2, 16, 32]. The 100 two-digit classes split 64 / 16 / 20; meta-train samples
    /// come from N-MNIST's Train folder, validation and test from Test.
    /// </summary>
    public static MetaDataset DoubleNMnist(string root, int samplesPerClass = 100, int seed = 0) =>
        Double("double N-MNIST", new NMnistDataset(root, "Train"), new NMnistDataset(root, "Test"), samplesPerClass, seed,
            e => e.Crop(1, 1, 32, 32), 32, 32, new BinningOptions { Steps = 100, Downsample = 2 });

    /// <summary>
    /// Double ASL-DVS: two letters side by side (480 x 180), 576 ordered pairs split 369 / 92 / 115, binned at 1 ms for
    /// 100 steps and down-sampled ÷6 to [100, 2, 30, 80].
    /// </summary>
    public static MetaDataset DoubleAslDvs(string folder, int samplesPerClass = 20, int seed = 0)
    {
        var letters = new AslDvsDataset(folder);
        return Double("double ASL-DVS", letters, letters, samplesPerClass, seed, null, letters.Width, letters.Height,
            new BinningOptions { Steps = 100, Downsample = 6 });
    }

    /// <summary>
    /// Saccade-converted images (e.g. Fashion-MNIST from an IDX folder) doubled exactly like double N-MNIST: meta-train
    /// from the training images, validation and test from the test images, [100, 2, 16, 32] frames.
    /// </summary>
    public static MetaDataset DoubleSaccade(string idxFolder, int samplesPerClass = 100, int seed = 0) =>
        Double("double saccade " + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(idxFolder))),
            SaccadeDataset.FromFolder(idxFolder, train: true, seed), SaccadeDataset.FromFolder(idxFolder, train: false, seed), samplesPerClass, seed,
            e => e.Crop(1, 1, 32, 32), 32, 32, new BinningOptions { Steps = 100, Downsample = 2 });

    /// <summary>
    /// The double composition of any dataset with the paper's split rule: of the C² pair classes, 64 % (rounded) for
    /// meta-training, 16 % for validation and the rest for test (64 / 16 / 20 for N-MNIST's 100, 369 / 92 / 115 for
    /// ASL-DVS's 576), drawn from <paramref name="seed"/>. Meta-train samples come from <paramref name="train"/>,
    /// the others from <paramref name="test"/> (the same dataset where there is no separate test set).
    /// </summary>
    public static MetaDataset Double(string name, IEventDataset train, IEventDataset test, int samplesPerClass, int seed,
        Func<EventStream, EventStream>? side, int sideWidth, int sideHeight, BinningOptions binning)
    {
        var trainPairs = new DoubleDataset(train, samplesPerClass, seed, side, sideWidth, sideHeight);
        var testPairs = ReferenceEquals(train, test) ? trainPairs : new DoubleDataset(test, samplesPerClass, seed, side, sideWidth, sideHeight);
        int classes = trainPairs.ClassNames.Count;
        int nTrain = (int)Math.Round(0.64 * classes), nValidation = (int)Math.Round(0.16 * classes);
        var (tr, va, te) = ClassSplit.Partition(classes, nTrain, nValidation, classes - nTrain - nValidation, seed);
        return new MetaDataset(name, new FewShotSplits(new ClassSplit("meta-train", trainPairs, tr),
            new ClassSplit("meta-validation", testPairs, va), new ClassSplit("meta-test", testPairs, te)), binning);
    }

    /// <summary>
    /// N-Omniglot with Omniglot's split: background characters for meta-training, evaluation characters divided
    /// (by <paramref name="seed"/>) into meta-validation and meta-test halves. 100 ms of sensor time per 1 ms step
    /// (bins of 100 ms), down-sampled ÷10 to 35 x 26 (the sensor is 346 x 260).
    /// </summary>
    public static MetaDataset NOmniglot(string root, int steps = 20, int seed = 0)
    {
        var background = new NOmniglotDataset(root, "background");
        var evaluation = new NOmniglotDataset(root, "evaluation");
        int n = evaluation.ClassNames.Count;
        var (va, te, _) = ClassSplit.Partition(n, n / 2, n - n / 2, 0, seed);
        return new MetaDataset("N-Omniglot",
            new FewShotSplits(new ClassSplit("meta-train", background, Enumerable.Range(0, background.ClassNames.Count).ToArray()),
                new ClassSplit("meta-validation", evaluation, va), new ClassSplit("meta-test", evaluation, te)),
            new BinningOptions { BinWidthUs = 100_000, Steps = steps, Downsample = 10 });
    }

    /// <summary>
    /// Generated glyph strokes (the built-in few-shot default, offline): <paramref name="classes"/> characters at
    /// 34 x 26, split 64 / 16 / 20 % by class; 1 ms bins for 100 steps. <paramref name="options"/> sets how the
    /// characters are written (default <see cref="GlyphOptions"/>; e.g. <see cref="GlyphOptions.WithWriterVariation"/>).
    /// </summary>
    public static MetaDataset Glyphs(int classes = 1000, int samplesPerClass = 20, int seed = 0, GlyphOptions? options = null)
    {
        var glyphs = new GlyphStrokesDataset(classes, samplesPerClass, seed, options: options);
        ClassSplit Part(string name, MetaSplit split)
        {
            var range = ClassSplits.Of(classes, split);
            return new ClassSplit(name, glyphs, Enumerable.Range(range.Start, range.Count).ToArray());
        }
        return new MetaDataset("glyph strokes",
            new FewShotSplits(Part("meta-train", MetaSplit.Train), Part("meta-validation", MetaSplit.Validation), Part("meta-test", MetaSplit.Test)),
            new BinningOptions { Steps = 100 });
    }
}
