using System.CommandLine;
using Spectre.Console;

namespace MetaSpike.Cli.Commands.SurrogateMeta;

/// <summary>
/// <c>metaspike surrogate-meta &lt;scenario&gt;</c>: meta-learning of surrogate hyperparameters, every part of braintools'
/// tutorial 3 working, plus bi-level meta-learning and a real data set. Each scenario prints tables and writes PNG
/// figures and a JSON results file into its output folder.
/// </summary>
internal static class SurrogateMetaCommand
{
    /// <summary>The scenario commands, in the tutorial's order.</summary>
    private static readonly Func<IAnsiConsole, Command>[] Scenarios =
    [
        DerivativesCommand.Create,
        BasicCommand.Create,
        FixedVsLearnedCommand.Create,
        MultiParameterCommand.Create,
        SchedulesCommand.Create,
        PerLayerCommand.Create,
        S2nnCommand.Create,
        BilevelCommand.Create,
        FashionMnistCommand.Create,
    ];

    public static Command Create(IAnsiConsole console)
    {
        var command = new Command("surrogate-meta", "Meta-learn surrogate hyperparameters (alpha, beta, ...): derivatives, joint and bi-level learning, schedules, Fashion-MNIST.");
        foreach (var scenario in Scenarios) command.Subcommands.Add(scenario(console));
        return command;
    }
}
