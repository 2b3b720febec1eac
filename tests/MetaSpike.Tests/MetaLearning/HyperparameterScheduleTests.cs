using MetaSpike.MetaLearning;

namespace MetaSpike.Tests.MetaLearning;

public class HyperparameterScheduleTests
{
    [Fact]
    public void Linear_goes_in_equal_steps_from_start_to_end()
    {
        var s = new HyperparameterSchedule.Linear(1, 8);
        Assert.Equal(1.0, s.ValueAt(0, 8));
        Assert.Equal(2.0, s.ValueAt(1, 8), 14);
        Assert.Equal(8.0, s.ValueAt(7, 8), 14);
        Assert.Equal(8.0, s.ValueAt(100, 8), 14); // past the end: the end value
    }

    [Fact]
    public void Cosine_is_flat_at_both_ends_and_halfway_in_the_middle()
    {
        var s = new HyperparameterSchedule.Cosine(1, 8);
        Assert.Equal(1.0, s.ValueAt(0, 11), 14);
        Assert.Equal(4.5, s.ValueAt(5, 11), 14);
        Assert.Equal(8.0, s.ValueAt(10, 11), 14);
        Assert.Equal(1 + 7 * (1 - Math.Cos(Math.PI / 10)) / 2, s.ValueAt(1, 11), 14);
    }

    [Fact]
    public void Exponential_has_equal_ratios_per_step()
    {
        var s = new HyperparameterSchedule.Exponential(1, 8);
        Assert.Equal(1.0, s.ValueAt(0, 4), 14);
        Assert.Equal(2.0, s.ValueAt(1, 4), 13);
        Assert.Equal(4.0, s.ValueAt(2, 4), 13);
        Assert.Equal(8.0, s.ValueAt(3, 4));
        Assert.Throws<ArgumentException>(() => new HyperparameterSchedule.Exponential(0, 8));
        Assert.Throws<ArgumentException>(() => new HyperparameterSchedule.Exponential(1, -8));
    }

    [Fact]
    public void A_single_step_run_gets_the_start_value()
    {
        Assert.Equal(3.0, new HyperparameterSchedule.Cosine(3, 9).ValueAt(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HyperparameterSchedule.Linear(1, 2).ValueAt(-1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HyperparameterSchedule.Linear(1, 2).ValueAt(0, 0));
    }

    [Theory]
    [InlineData("cosine:1:8", typeof(HyperparameterSchedule.Cosine), 1.0, 8.0)]
    [InlineData("LINEAR:8:0.5", typeof(HyperparameterSchedule.Linear), 8.0, 0.5)]
    [InlineData("exponential:1:8", typeof(HyperparameterSchedule.Exponential), 1.0, 8.0)]
    [InlineData("exp:2:4", typeof(HyperparameterSchedule.Exponential), 2.0, 4.0)]
    [InlineData(" constant : 4 ", typeof(HyperparameterSchedule.Constant), 4.0, 4.0)]
    public void Parse_reads_every_form(string spec, Type type, double start, double end)
    {
        var s = HyperparameterSchedule.Parse(spec);
        Assert.IsType(type, s);
        Assert.Equal(start, s.Start);
        Assert.Equal(end, s.End);
        var again = HyperparameterSchedule.Parse(s.ToString());
        Assert.Equal(s.ToString(), again.ToString());
    }

    [Theory]
    [InlineData("step:1:8", "unknown schedule 'step'")]
    [InlineData("cosine:1", "takes 2 number(s)")]
    [InlineData("constant:1:2", "takes 1 number(s)")]
    [InlineData("linear:1:x", "'x' is not a number")]
    [InlineData("exponential:0:8", "must be > 0")]
    [InlineData("linear:1:NaN", "must be finite")]
    public void Parse_explains_what_is_wrong(string spec, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => HyperparameterSchedule.Parse(spec));
        Assert.Contains(expected, e.Message);
        Assert.Contains(HyperparameterSchedule.Syntax, e.Message);
    }
}
