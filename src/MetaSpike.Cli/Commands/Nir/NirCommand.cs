using System.CommandLine;
using System.Globalization;
using MetaSpike.Modules;
using MetaSpike.Nir;
using MetaSpike.Runtime;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Cli.Commands.Nir;

/// <summary><c>metaspike nir export|import</c>: NIR interchange with other SNN frameworks and neuromorphic toolchains.</summary>
internal static class NirCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var nir = new Command("nir", "Export a trained network to NIR (Neuromorphic Intermediate Representation) or import a NIR file.");
        nir.Subcommands.Add(Export(console));
        nir.Subcommands.Add(Import(console));
        return nir;
    }

    private static Command Export(IAnsiConsole console)
    {
        var model = new Argument<string>("MODEL") { Description = "A checkpoint of `tutorial train-snn` (checkpoint.msck) or `maml` (checkpoint.msck, best.msck)." };
        var output = new Argument<string>("OUT") { Description = "The NIR file to write (HDF5)." };
        var dt = new Option<double?>("--dt") { Description = "Time step in ms to state in the file (default: the model's); time constants are scaled so every decay stays exp(-dt/tau)." };
        var extensions = new Option<bool>("--metaspike-extensions") { Description = "Keep what NIR cannot express (a LIF's soft reset) as MetaSpike node metadata instead of refusing." };
        var command = new Command("export", "Write a checkpoint's network as a NIR graph.") { model, output, dt, extensions };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var path = parse.GetValue(model)!;
            var target = parse.GetValue(output)!;
            var loaded = CheckpointModels.Load(path);
            var graph = NirExport.ToGraph(loaded.Model, new NirExportOptions
            {
                InputShape = loaded.InputShape,
                Dt = parse.GetValue(dt) is { } ms ? ms : null,
                MetaSpikeExtensions = parse.GetValue(extensions),
            });
            RequireFolder(target);
            NirFile.Write(graph, target);
            var table = new Table().Title($"NIR graph of {Markup.Escape(path)} ({loaded.Recipe})").AddColumns("node", "type", "parameters");
            foreach (var (name, node) in graph.Nodes)
                table.AddRow(Markup.Escape(name), node.Type, Markup.Escape(Describe(node)));
            console.Write(table);
            console.MarkupLineInterpolated($"edges: {string.Join(", ", graph.Edges)}");
            var extended = graph.Nodes.Where(n => n.Value.Metadata.ContainsKey(NirExport.ResetExtensionKey)).Select(n => n.Key).ToList();
            if (extended.Count > 0)
                console.MarkupLineInterpolated($"[yellow]note:[/] {string.Join(", ", extended)} keep MetaSpike's reset in node metadata ({NirExport.ResetExtensionKey}); other tools read them as LIFs that reset to v_reset.");
            console.MarkupLineInterpolated($"wrote [green]{target}[/] (dt = {graph.Dt?.ToString("G6", CultureInfo.InvariantCulture)} ms)");
            return 0;
        });
        return command;
    }

    private static Command Import(IAnsiConsole console)
    {
        var input = new Argument<string>("IN") { Description = "The NIR file to read." };
        var dt = new Option<double?>("--dt") { Description = "Time step in ms (default: the file's metadata 'dt'; required when the file has none)." };
        var steps = new Option<int>("--steps") { Description = "Time steps of the random test input.", DefaultValueFactory = _ => 20 };
        var seed = new Option<long>("--seed") { Description = "Seed of the random test input.", DefaultValueFactory = _ => 0 };
        var command = new Command("import", "Read a NIR graph, print its nodes and the MetaSpike layers they become, and run it on random input spikes.") { input, dt, steps, seed };
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureLoaded();
            var stepCount = parse.GetValue(steps);
            if (stepCount < 1) throw new ArgumentException($"--steps must be at least 1, got {stepCount}.");
            var result = NirImport.Load(parse.GetValue(input)!, new NirImportOptions { Dt = parse.GetValue(dt) is { } ms ? ms : null });
            var table = new Table().Title("Imported NIR graph").AddColumns("node", "NIR type", "input", "output", "MetaSpike layers");
            foreach (var node in result.Nodes)
                table.AddRow(Markup.Escape(node.Name), node.Type, Markup.Escape(Shape(node.InputShape)), Markup.Escape(Shape(node.OutputShape)), Markup.Escape(node.Layers));
            console.Write(table);

            using var scope = NewDisposeScope();
            using var _ = no_grad();
            manual_seed(parse.GetValue(seed));
            const int batch = 2;
            var spikes = rand([stepCount, batch, .. result.InputShape]).lt(0.2).to_type(float32);
            result.Model.ResetState(batch);
            var output = result.Model.forward(spikes);
            var mean = output.mean().ToDouble();
            var nonZero = output.ne(0).to_type(float32).mean().ToDouble();
            var dtText = result.Dt.Milliseconds.ToString("G6", CultureInfo.InvariantCulture);
            var shapeText = string.Join(", ", output.shape);
            console.MarkupLineInterpolated(
                $"ran {stepCount} steps of dt = {dtText} ms on {batch} random spike trains (rate 0.2 per step): output [[{shapeText}]], mean {mean:G4}, non-zero fraction {nonZero:F3}");
            return 0;
        });
        return command;
    }

    private static string Describe(NirNode node) =>
        string.Join("; ", node.Parameters.Select(p => $"{p.Key} {p.Value}"));

    private static string Shape(IReadOnlyList<long> shape) => shape.Count == 0 ? "" : $"[{string.Join(", ", shape)}]";

    private static void RequireFolder(string file)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(file));
        if (folder is not null && !Directory.Exists(folder)) throw new DirectoryNotFoundException($"the output folder '{folder}' does not exist.");
    }
}
