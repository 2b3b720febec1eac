using MetaSpike.Data.FewShot;
using MetaSpike.Data.Generators;
using MetaSpike.Maml;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Cli.Commands.Maml;

/// <summary>Builds the meta-dataset, the network and the learner that a <see cref="MamlConfig"/> describes.</summary>
internal static class MamlSetup
{
    public static readonly string[] Datasets = ["glyphs", "double-fashion-mnist", "double-nmnist", "double-asl-dvs", "n-omniglot"];

    public static readonly string[] Networks = ["conv", "dense", "cnn"];

    private const string FashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The meta-dataset with the configured binning (glyphs default to 50 steps of 2 ms; the others keep the paper's 100 x 1 ms).</summary>
    public static MetaDataset Dataset(MamlConfig c)
    {
        var dataset = c.Dataset switch
        {
            "glyphs" => MetaDatasets.Glyphs(c.GlyphClasses, samplesPerClass: 20, seed: (int)c.Seed,
                new GlyphOptions().WithWriterVariation(c.WriterVariation)),
            "double-fashion-mnist" => MetaDatasets.DoubleSaccade(RequireFolder(c.DataPath ?? FashionMnistFolder, c.Dataset), samplesPerClass: 40, seed: (int)c.Seed),
            "double-nmnist" => MetaDatasets.DoubleNMnist(RequireFolder(c.DataPath, c.Dataset), seed: (int)c.Seed),
            "double-asl-dvs" => MetaDatasets.DoubleAslDvs(RequireFolder(c.DataPath, c.Dataset), seed: (int)c.Seed),
            "n-omniglot" => MetaDatasets.NOmniglot(RequireFolder(c.DataPath, c.Dataset), seed: (int)c.Seed),
            _ => throw new ArgumentException($"unknown --dataset '{c.Dataset}'; use one of {string.Join(", ", Datasets)}."),
        };
        int? steps = c.TimeSteps ?? (c.Dataset == "glyphs" ? 50 : null);
        double? binMs = c.BinMs ?? (c.Dataset == "glyphs" ? 2.0 : null);
        var binning = dataset.Binning;
        if (steps is { } s) binning = binning with { Steps = s };
        if (binMs is { } b) binning = binning with { BinWidthUs = (long)Math.Round(b * 1000) };
        return dataset with { Binning = binning };
    }

    /// <summary>The loader of N-way K-shot tasks with Q queries per class.</summary>
    public static FewShotTaskLoader Loader(MamlConfig c, MetaDataset dataset, int? shots = null) =>
        new(dataset, c.Ways, shots ?? c.Shots, c.Queries, (int)c.Seed);

    /// <summary>The gradient window: the configured one, else the paper's 30 steps (20 of the glyphs' 50), at most T.</summary>
    public static int Window(MamlConfig c, FewShotTaskLoader loader) => Math.Min(c.Window ?? (c.Dataset == "glyphs" ? 20 : 30), loader.FrameShape.Steps);

    /// <summary>A freshly initialised network for <paramref name="ways"/> classes, seeded, on the configured device.</summary>
    public static FewShotNetwork Network(MamlConfig c, FewShotTaskLoader loader, int ways, string? kind = null)
    {
        var s = loader.FrameShape;
        manual_seed(Seeds.Mix(c.Seed, 7));
        var network = (kind ?? c.Network) switch
        {
            "conv" => FewShotNetworks.StewartNeftciConv(s.Channels, s.Height, s.Width, ways, c.Filters ?? DefaultFilters(c), gradientWindow: Window(c, loader), inputGain: c.Gain, fused: c.Fused),
            "dense" => FewShotNetworks.Dense((long)s.Channels * s.Height * s.Width, ways, c.Hidden, Window(c, loader), c.Gain, fused: c.Fused),
            "cnn" => FewShotNetworks.EventCountCnn(s.Channels, s.Height, s.Width, ways, c.Filters ?? DefaultFilters(c)),
            _ => throw new ArgumentException($"unknown --network '{kind ?? c.Network}'; use one of {string.Join(", ", Networks)}."),
        };
        if (network.Kind == FewShotInput.Spiking && c.InitRate > 0)
        {
            using var sample = loader.Load(Data.Generators.MetaSplit.Train, int.MaxValue / 2);
            ActivityInitialization.Apply(network, sample.QueryFrames, c.InitRate);
        }
        network.to(Device(c));
        return network;
    }

    /// <summary>The torch device named by --device.</summary>
    public static Device Device(MamlConfig c) => c.Device switch
    {
        "cpu" => CPU,
        var d when d.StartsWith("cuda", StringComparison.Ordinal) && cuda.is_available() => torch.device(d),
        var d => throw new ArgumentException($"--device '{d}' is not available (this TorchSharp build: {(cuda.is_available() ? "CUDA" : "CPU only")})."),
    };

    /// <summary>The glyph default is the paper's stack at half width (16, 32, 64), sized for a 2-core CPU; the others use the paper's 32, 64, 128.</summary>
    public static IReadOnlyList<int> DefaultFilters(MamlConfig c) => c.Dataset == "glyphs" ? [16, 32, 64] : FewShotNetworks.PaperFilters;

    private static string RequireFolder(string? path, string dataset)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"--dataset {dataset} needs --data FOLDER (the downloaded dataset).");
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"--data folder '{path}' does not exist.");
        return path;
    }
}
