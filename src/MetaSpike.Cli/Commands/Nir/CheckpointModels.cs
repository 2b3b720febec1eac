using System.Text.Json.Nodes;
using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Training;
using MetaSpike.Tutorials;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Cli.Commands.Nir;

/// <summary>A network rebuilt from a checkpoint, with the input shape its export needs.</summary>
internal sealed record CheckpointModel(nn.Module<Tensor, Tensor> Model, long[] InputShape, string Recipe);

/// <summary>
/// The architecture descriptions that <c>tutorial train-snn</c> and <c>maml</c> save in their checkpoints (user data
/// "model"), and the networks rebuilt from them with the checkpoint's weights.
/// </summary>
internal static class CheckpointModels
{
    public const string MamlRecipe = "maml";

    /// <summary>The description of a MAML network (the arguments of its <see cref="FewShotNetworks"/> factory).</summary>
    public static JsonObject DescribeMaml(string network, long channels, long height, long width, int ways, IReadOnlyList<int> filters, int hidden, int window, double gain) => new()
    {
        ["recipe"] = MamlRecipe,
        ["network"] = network,
        ["channels"] = channels,
        ["height"] = height,
        ["width"] = width,
        ["ways"] = ways,
        ["filters"] = new JsonArray(filters.Select(f => (JsonNode)f).ToArray()),
        ["hidden"] = hidden,
        ["window"] = window,
        ["gain"] = gain,
    };

    /// <summary>Rebuilds the network a checkpoint describes and loads its weights.</summary>
    /// <exception cref="ArgumentException">The checkpoint records no known architecture, or its weights do not fit it.</exception>
    public static CheckpointModel Load(string path)
    {
        var metadata = Checkpoint.ReadMetadata(path);
        if (metadata.UserData["model"] is not JsonObject description)
            throw new ArgumentException(
                $"checkpoint '{path}' does not record its architecture (user data 'model'). Checkpoints of `metaspike tutorial train-snn` " +
                "and `metaspike maml` record it (re-run the command with --fresh if the file predates this); for other models, export from code with NirExport.ToGraph.");
        var recipe = description["recipe"]?.GetValue<string>();
        CheckpointModel model;
        string prefix;
        switch (recipe)
        {
            case TrainSnnTutorial.Recipe:
                var options = TrainSnnTutorial.FromDescription(description);
                model = new CheckpointModel(TrainSnnTutorial.BuildNetwork(options), [options.Inputs], recipe);
                prefix = "";
                break;
            case MamlRecipe:
                model = new CheckpointModel(MamlSetupNetwork(description), [Field<long>(description, "channels"), Field<long>(description, "height"), Field<long>(description, "width")], recipe);
                prefix = "network.";
                break;
            default:
                throw new ArgumentException($"checkpoint '{path}' records an unknown architecture '{recipe}' (known: {TrainSnnTutorial.Recipe}, {MamlRecipe}).");
        }
        Checkpoint.LoadModel(path, model.Model, prefix);
        return model;
    }

    private static FewShotNetwork MamlSetupNetwork(JsonObject d)
    {
        long c = Field<long>(d, "channels"), h = Field<long>(d, "height"), w = Field<long>(d, "width");
        int ways = Field<int>(d, "ways"), window = Field<int>(d, "window");
        var filters = (d["filters"] as JsonArray ?? throw Missing("filters")).Select(f => f!.GetValue<int>()).ToArray();
        var network = Field<string>(d, "network") switch
        {
            "conv" => FewShotNetworks.StewartNeftciConv(c, h, w, ways, filters, gradientWindow: window, inputGain: Field<double>(d, "gain")),
            "dense" => FewShotNetworks.Dense(c * h * w, ways, Field<int>(d, "hidden"), window, Field<double>(d, "gain")),
            "cnn" => FewShotNetworks.EventCountCnn(c, h, w, ways, filters),
            var other => throw new ArgumentException($"the checkpoint's MAML network '{other}' is unknown (conv, dense, cnn)."),
        };
        return network;
    }

    private static T Field<T>(JsonObject d, string name) => d[name] is { } node ? node.GetValue<T>() : throw Missing(name);

    private static ArgumentException Missing(string name) => new($"the checkpoint's model description lacks '{name}'.");
}
