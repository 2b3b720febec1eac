using MetaSpike.Maml;
using MetaSpike.Runtime;
using MetaSpike.Tests.Losses;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

[Collection(GlobalRandomCollection.Name)]
public sealed class WeightQuantizerTests
{
    [Fact]
    public void Two_bits_give_four_levels_a_third_apart()
    {
        var q = new WeightQuantizer(2, stochastic: false);
        Assert.Equal(4, q.Levels);
        TensorAssert.Close(2.0 / 3, q.Step, 1e-15, 0, "step");
        var levels = TensorAssert.Values(q.Apply(linspace(-1.5, 1.5, 301, dtype: float64))).Distinct().Order().ToArray();
        Assert.Equal(4, levels.Length);
        double[] expected = [-1, -1.0 / 3, 1.0 / 3, 1];
        for (int i = 0; i < 4; i++) TensorAssert.Close(expected[i], levels[i], 1e-15, 1e-15, $"level {i}");
    }

    [Fact]
    public void Round_to_nearest_puts_each_weight_on_the_closest_level()
    {
        // Level index u = (clamp(w) + 1) · 3/2: -0.9 → 0.15, -0.5 → 0.75, -0.2 → 1.2, 0.1 → 1.65, 0.6 → 2.4, 0.7 → 2.55.
        var w = tensor(new[] { -2.0, -0.9, -0.5, -0.2, 0.1, 0.6, 0.7, 1.5 });
        double third = 1.0 / 3;
        double[] expected = [-1, -1, -third, -third, third, third, 1, 1];
        var actual = TensorAssert.Values(new WeightQuantizer(2, stochastic: false).Apply(w));
        for (int i = 0; i < w.shape[0]; i++) TensorAssert.Close(expected[i], actual[i], 1e-15, 1e-15, $"weight {i}");
    }

    [Fact]
    public void Stochastic_rounding_picks_a_neighbouring_level_with_the_weight_as_its_mean()
    {
        // 0.2 lies between 1/3 - 2/3 and 1/3; it rounds up with probability 0.8 (u = 1.8), so the mean is 0.2.
        manual_seed(Seeds.Mix(5, 0));
        const int draws = 100_000;
        var q = new WeightQuantizer(2, stochastic: true);
        var values = TensorAssert.Values(q.Apply(full(draws, 0.2, float64)));
        Assert.All(values, v => Assert.True(Math.Abs(v + 1.0 / 3) < 1e-12 || Math.Abs(v - 1.0 / 3) < 1e-12, $"{v} is not a neighbouring level"));
        // Standard deviation of one draw: (2/3) √(0.8 · 0.2) ≈ 0.27; of the mean ≈ 8.4e-4.
        TensorAssert.Close(0.2, values.Average(), 0, 4e-3, "mean of stochastic rounding");
        TensorAssert.Close(0.8, values.Count(v => v > 0) / (double)draws, 0, 6e-3, "share rounded up");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_gradient_is_straight_through(bool stochastic)
    {
        var w = tensor(new[] { -3.0, -0.4, 0.05, 0.9, 2.0 }, requires_grad: true);
        var q = new WeightQuantizer(3, stochastic).Apply(w);
        var gradient = Autograd.Grad((q * arange(1, 6, float64)).sum(), w);
        Assert.Equal([1.0, 2, 3, 4, 5], TensorAssert.Values(gradient));
    }

    [Fact]
    public void Parse_reads_bits_and_an_optional_s_and_rejects_other_text()
    {
        var stochastic = WeightQuantizer.Parse("2s");
        Assert.Equal((2, true), (stochastic.Bits, stochastic.Stochastic));
        var plain = WeightQuantizer.Parse(" 4 ");
        Assert.Equal((4, false), (plain.Bits, plain.Stochastic));
        Assert.Equal("2s", stochastic.ToString());
        Assert.Equal("4", plain.ToString());
        Assert.Equal(plain, WeightQuantizer.Parse(plain.ToString()));

        foreach (var bad in new[] { "", "s", "x", "2q", "-2", "2.5", "s2" })
            ArgumentAssert.Throws(() => WeightQuantizer.Parse(bad), "quantisation", $"'{bad}'");
        ArgumentAssert.Throws(() => WeightQuantizer.Parse("0"), "1 to 16 bits", "0");
        ArgumentAssert.Throws(() => WeightQuantizer.Parse("17s"), "1 to 16 bits", "17");
        ArgumentAssert.Throws(() => new WeightQuantizer(0, stochastic: false), "1 to 16 bits");
    }
}
