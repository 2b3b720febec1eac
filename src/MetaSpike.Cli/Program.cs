using MetaSpike.Cli;
using Spectre.Console;

return MetaSpikeCli.Run(args, AnsiConsole.Console);
