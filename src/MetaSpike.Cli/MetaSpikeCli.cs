using System.CommandLine;
using MetaSpike.Cli.Commands;
using MetaSpike.Runtime;
using Spectre.Console;

namespace MetaSpike.Cli;

/// <summary>The <c>metaspike</c> command line: builds the command tree and maps failures to clear messages and exit codes.</summary>
public static class MetaSpikeCli
{
    /// <summary>Exit code for invalid arguments or input data.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code when libtorch cannot be loaded.</summary>
    public const int RuntimeError = 3;

    /// <summary>Runs the command line with the given arguments, writing to <paramref name="console"/>.</summary>
    public static int Run(string[] args, IAnsiConsole console)
    {
        var root = new RootCommand("MetaSpike: spiking neural networks with surrogate gradients and meta-learning.");
        root.Subcommands.Add(SurrogateCommands.Create(console));
        root.Subcommands.Add(DemoCommand.Create(console));
        root.Subcommands.Add(TutorialCommands.Create(console));
        root.Subcommands.Add(DataCommands.Create(console));
        root.Subcommands.Add(Commands.SurrogateMeta.SurrogateMetaCommand.Create(console));
        root.Subcommands.Add(Commands.Maml.MamlCommand.Create(console));
        root.Subcommands.Add(Commands.Nir.NirCommand.Create(console));
        root.Subcommands.Add(Commands.SuperSpike.SuperSpikeCommand.Create(console));
        root.Subcommands.Add(Commands.SuperSpike.InTheLoopCommand.Create(console));
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (TorchRuntimeException e)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return RuntimeError;
        }
        catch (ArgumentException e)
        {
            // The message already names the parameter; drop .NET's " (Parameter 'x')" suffix.
            var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "");
            console.MarkupLineInterpolated($"[red]error:[/] {message}");
            return UsageError;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or FormatException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return UsageError;
        }
        catch (InvalidOperationException e)
        {
            // A run that cannot go on (e.g. a loss that became NaN): say why, keep what was saved.
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }
}
