using MetaSpike.Maml;
using Spectre.Console;

namespace MetaSpike.Cli.Commands.Maml;

/// <summary>The paper's experiments, each with its own results table (<c>metaspike maml --experiment NAME</c>).</summary>
internal static class MamlExperiments
{
    public static readonly string[] Names = ["inner-steps"];

    public static int Run(string name, IAnsiConsole console, MamlConfig config, CancellationToken cancellation) =>
        name switch
        {
            _ => throw new ArgumentException($"unknown --experiment '{name}'; use one of {string.Join(", ", Names)}."),
        };
}
