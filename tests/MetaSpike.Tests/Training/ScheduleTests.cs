using MetaSpike.Training;
using TorchSharp;
using TorchSharp.Modules;

namespace MetaSpike.Tests.Training;

public class ScheduleTests
{
    [Fact]
    public void Constant_gives_the_same_rate_at_every_epoch()
    {
        var schedule = new ConstantSchedule(0.01);
        Assert.Equal(0.01, schedule.LearningRate(0));
        Assert.Equal(0.01, schedule.LearningRate(1000));
    }

    [Fact]
    public void Cosine_starts_at_base_is_halfway_at_half_time_and_ends_at_min()
    {
        var schedule = new CosineSchedule(0.1, totalEpochs: 10, minLr: 0.001);
        Assert.Equal(0.1, schedule.LearningRate(0), 15);
        Assert.Equal(0.0505, schedule.LearningRate(5), 15); // 0.001 + 0.099 * (1 + cos(pi/2)) / 2
        // 0.001 + 0.099 * (1 + cos(pi/5)) / 2, cos(pi/5) = (1 + sqrt 5) / 4 = 0.80901699437494742
        Assert.Equal(0.0905463412215599, schedule.LearningRate(2), 15);
        Assert.Equal(0.001, schedule.LearningRate(10), 15);
        Assert.Equal(0.001, schedule.LearningRate(25), 15);
    }

    [Fact]
    public void Cosine_defaults_to_annealing_to_zero()
    {
        var schedule = new CosineSchedule(0.2, totalEpochs: 4);
        Assert.Equal(0.0, schedule.LearningRate(4), 15);
        Assert.Equal(0.1, schedule.LearningRate(2), 15);
    }

    [Fact]
    public void Step_multiplies_by_gamma_every_step_size_epochs()
    {
        var schedule = new StepSchedule(0.1, stepSize: 3, gamma: 0.5);
        double[] expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125];
        for (int epoch = 0; epoch < expected.Length; epoch++)
            Assert.Equal(expected[epoch], schedule.LearningRate(epoch), 15);
    }

    [Fact]
    public void Warmup_ramps_linearly_then_follows_the_inner_schedule_unshifted()
    {
        var schedule = new WarmupSchedule(new StepSchedule(0.1, stepSize: 5, gamma: 0.5), warmupEpochs: 4);
        double[] expected = [0.025, 0.05, 0.075, 0.1, 0.1, 0.05];
        for (int epoch = 0; epoch < expected.Length; epoch++)
            Assert.Equal(expected[epoch], schedule.LearningRate(epoch), 15);
        Assert.Equal(0.1, new WarmupSchedule(new ConstantSchedule(0.1), 0).LearningRate(0));
    }

    [Fact]
    public void A_negative_epoch_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(0.1).LearningRate(-1));
    }

    public static TheoryData<string, Func<LearningRateSchedule>> InvalidSchedules() => new()
    {
        { "learningRate", () => new ConstantSchedule(0) },
        { "baseLr", () => new CosineSchedule(double.NaN, 10) },
        { "totalEpochs", () => new CosineSchedule(0.1, 0) },
        { "minLr", () => new CosineSchedule(0.1, 10, 0.2) },
        { "minLr", () => new CosineSchedule(0.1, 10, -1e-5) },
        { "stepSize", () => new StepSchedule(0.1, 0) },
        { "gamma", () => new StepSchedule(0.1, 10, 0) },
        { "warmupEpochs", () => new WarmupSchedule(new ConstantSchedule(0.1), -1) },
    };

    [Theory]
    [MemberData(nameof(InvalidSchedules))]
    public void Out_of_range_arguments_name_the_argument(string parameter, Func<LearningRateSchedule> create)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(parameter, e.ParamName);
    }

    [Fact]
    public void Parse_reads_every_form()
    {
        Assert.Equal(0.01, Assert.IsType<ConstantSchedule>(LearningRateSchedule.Parse("constant", 0.01, 50)).Rate);

        var cosine = Assert.IsType<CosineSchedule>(LearningRateSchedule.Parse("Cosine", 0.01, 50));
        Assert.Equal((0.01, 50, 0.0), (cosine.BaseLr, cosine.TotalEpochs, cosine.MinLr));
        Assert.Equal(1e-5, Assert.IsType<CosineSchedule>(LearningRateSchedule.Parse("cosine:1e-5", 0.01, 50)).MinLr);

        var step = Assert.IsType<StepSchedule>(LearningRateSchedule.Parse("step:30:0.5", 0.01, 50));
        Assert.Equal((0.01, 30, 0.5), (step.BaseLr, step.StepSize, step.Gamma));
        Assert.Equal(0.1, Assert.IsType<StepSchedule>(LearningRateSchedule.Parse(" step:30 ", 0.01, 50)).Gamma);

        var warm = Assert.IsType<WarmupSchedule>(LearningRateSchedule.Parse("cosine:1e-5+warmup:5", 0.01, 50));
        Assert.Equal(5, warm.WarmupEpochs);
        Assert.Equal(1e-5, Assert.IsType<CosineSchedule>(warm.Inner).MinLr);
    }

    [Theory]
    [InlineData("linear", "unknown schedule 'linear'")]
    [InlineData("", "unknown schedule ''")]
    [InlineData("step", "does not take 0 argument(s)")]
    [InlineData("cosine:1:2", "does not take 2 argument(s)")]
    [InlineData("step:x", "step size 'x' is not an integer")]
    [InlineData("step:30:half", "gamma 'half' is not a number")]
    [InlineData("step:0", "stepSize")]
    [InlineData("cosine:-1", "minimum learning rate must be in [0, baseLr")]
    [InlineData("cosine+warmup", "is not 'warmup:EPOCHS'")]
    [InlineData("cosine+warmup:2+warmup:3", "at most one")]
    [InlineData("cosine+warmup:-1", "warmupEpochs")]
    public void Parse_rejects_malformed_text_with_the_reason_and_the_syntax(string spec, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => LearningRateSchedule.Parse(spec, 0.01, 50));
        Assert.Contains($"'{spec}'", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.Contains(LearningRateSchedule.Syntax, e.Message);
        Assert.DoesNotContain("Actual value", e.Message);
    }

    [Fact]
    public void Parse_rejects_an_invalid_base_learning_rate()
    {
        var e = Assert.Throws<ArgumentException>(() => LearningRateSchedule.Parse("constant", 0, 50));
        Assert.Contains("learningRate must be finite and > 0", e.Message);
        Assert.Equal("spec", e.ParamName);
    }

    [Fact]
    public void Apply_sets_every_parameter_group_and_the_next_step_uses_it()
    {
        using var w = new Parameter(torch.tensor(new[] { 1.0 }), requires_grad: true);
        using var b = new Parameter(torch.tensor(new[] { 2.0 }), requires_grad: true);
        using var optimizer = torch.optim.SGD([w], 0.5);
        optimizer.add_param_group(new SGD.ParamGroup([b], 0.25, 0, 0, 0, false, false));

        Schedules.Apply(optimizer, 0.1);
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.1, g.LearningRate));
        Assert.Equal(2, optimizer.ParamGroups.Count());

        using (torch.NewDisposeScope())
        {
            (w * 3.0 + b * 5.0).sum().backward();
            optimizer.step();
        }
        Assert.Equal(1.0 - 0.1 * 3.0, w.item<double>(), 15);
        Assert.Equal(2.0 - 0.1 * 5.0, b.item<double>(), 15);

        Assert.Equal(0.05, Schedules.Apply(optimizer, new StepSchedule(0.1, 2, 0.5), epoch: 3));
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.05, g.LearningRate));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Apply(optimizer, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Apply(optimizer, double.PositiveInfinity));
    }
}
