using System.CommandLine;
using MetaSpike.Cli.Commands.Maml;

namespace MetaSpike.Tests.Fused;

/// <summary>The <c>metaspike maml --fused</c> flag reaches the configuration (off by default) and its one-line description.</summary>
public class FusedMamlOptionTests
{
    private static MamlConfig Parse(params string[] args)
    {
        var options = new MamlOptions();
        var command = new Command("maml");
        options.AddTo(command);
        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        return options.Read(parse);
    }

    [Fact]
    public void Fused_flag_is_off_by_default_and_on_when_given()
    {
        Assert.False(Parse().Fused);
        var config = Parse("--fused", "--network", "dense");
        Assert.True(config.Fused);
        Assert.EndsWith(", fused kernels", MamlCommand.Describe(config));
        Assert.DoesNotContain("fused", MamlCommand.Describe(Parse()));
    }
}
