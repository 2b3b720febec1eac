using System.CommandLine;
using MetaSpike.Cli.Commands.Maml;
using MetaSpike.Maml;
using MetaSpike.Tests.Losses;

namespace MetaSpike.Tests.Cli;

/// <summary>Options of <c>metaspike maml</c> that the configuration derives rather than copies.</summary>
public class MamlOptionsTests
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

    [Fact]
    public void Parsing_no_options_gives_the_main_jobs_defaults()
    {
        var parsed = Parse();
        var defaults = new MamlConfig();
        Assert.Equal(defaults.Inner, parsed.Inner);
        Assert.Equal(InnerRateKind.PerTensor, parsed.Inner.RateKind);
        Assert.Equal((defaults.WriterVariation, defaults.Iterations, defaults.OuterLr, defaults.Ways, defaults.Shots, defaults.Queries),
            (parsed.WriterVariation, parsed.Iterations, parsed.OuterLr, parsed.Ways, parsed.Shots, parsed.Queries));
        Assert.Equal(InnerRateKind.Fixed, Parse("--inner-rate", "fixed").Inner.RateKind);
        Assert.Equal(1.5, Parse("--writer-variation", "1.5").WriterVariation);
        Assert.Throws<ArgumentException>(() => Parse("--writer-variation", "-1").Validate());
    }

    [Fact]
    public void Each_network_gets_its_own_inner_step_size_unless_one_is_given()
    {
        Assert.Equal(MamlConfig.SnnInnerLr, Parse().Inner.LearningRate);
        Assert.Equal(MamlConfig.CnnInnerLr, Parse("--network", "cnn").Inner.LearningRate);
        Assert.Equal(0.7, Parse("--network", "cnn", "--inner-lr", "0.7").Inner.LearningRate);
        // The experiments switch networks: the default follows the network, a given value stays.
        Assert.Equal(MamlConfig.CnnInnerLr, Parse().WithNetwork("cnn").Inner.LearningRate);
        Assert.Equal(MamlConfig.SnnInnerLr, Parse("--network", "cnn").WithNetwork("conv").Inner.LearningRate);
        Assert.Equal(2.0, Parse("--inner-lr", "2").WithNetwork("cnn").Inner.LearningRate);
        Assert.Equal("cnn", Parse().WithNetwork("cnn").Network);
    }

    [Fact]
    public void The_transfer_baseline_takes_its_pretraining_settings_from_the_options()
    {
        var settings = MamlBaselines.TransferSettings(Parse("--pretrain-steps", "12", "--pretrain-lr", "0.003"));
        Assert.Equal(12, settings.PretrainSteps);
        Assert.Equal(0.003, settings.LearningRate);
        ArgumentAssert.Throws(() => Parse("--pretrain-lr", "0").Validate(), "--pretrain-lr", "> 0");
        ArgumentAssert.Throws(() => Parse("--pretrain-steps", "-1").Validate(), "--pretrain-steps", "-1");
    }
}
