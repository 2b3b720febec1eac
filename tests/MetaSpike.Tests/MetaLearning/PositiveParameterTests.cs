using MetaSpike.MetaLearning;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.MetaLearning;

public class PositiveParameterTests
{
    [Theory]
    [InlineData(2.0, 0.0)]
    [InlineData(1e-9, 0.0)]
    [InlineData(1e-300, 0.0)]
    [InlineData(50.0, 0.0)]
    [InlineData(1e-12, 0.0)]
    [InlineData(1e6, 0.0)]
    [InlineData(0.5, 0.1)]
    public void Starts_at_the_initial_value(double initial, double minimum)
    {
        var p = new PositiveParameter(initial, minimum);
        Assert.Equal(initial, p.Current, initial * 1e-12);
        Assert.Equal(minimum, p.Minimum);
        Assert.True(p.Raw.requires_grad);
        Assert.True(p.Raw.is_leaf);
        Assert.Equal(ScalarType.Float64, p.Raw.dtype);
        Assert.Equal(0, p.Raw.dim());
    }

    [Theory]
    [InlineData(1e-12)]
    [InlineData(1e-5)]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(30.0)]
    [InlineData(700.0)]
    public void InverseSoftplus_inverts_softplus(double y)
    {
        double r = PositiveParameter.InverseSoftplus(y);
        // softplus(r) = max(r, 0) + log1p(exp(-|r|)), log1p done without cancellation.
        double u = Math.Exp(-Math.Abs(r));
        double log1p = 1 + u == 1 ? u : u * Math.Log(1 + u) / (1 + u - 1);
        double back = Math.Max(r, 0) + log1p;
        Assert.Equal(y, back, y * 1e-12);
        Assert.Equal(y, new PositiveParameter(y).Current, y * 1e-12);
    }

    [Fact]
    public void Value_is_minimum_plus_softplus_of_raw_with_gradient_sigmoid_raw()
    {
        var p = new PositiveParameter(3.0, minimum: 0.5);
        var value = p.Value();
        Assert.True(value.requires_grad);
        Assert.Equal(3.0, value.item<double>(), 12);
        value.backward();
        double raw = p.Raw.item<double>();
        Assert.Equal(1 / (1 + Math.Exp(-raw)), p.Raw.grad!.item<double>(), 14);
    }

    [Fact]
    public void No_update_takes_the_value_to_zero()
    {
        var p = new PositiveParameter(0.2);
        var sgd = torch.optim.SGD([p.Raw], 1.0);
        for (int i = 0; i < 20; i++)
        {
            sgd.zero_grad();
            (p.Value() * 1e3).backward(); // pushes the value down hard
            sgd.step();
            Assert.True(p.Current > 0, $"step {i}: {p.Current}");
        }
    }

    [Fact]
    public void Set_moves_the_value_in_place()
    {
        var p = new PositiveParameter(2.0);
        var raw = p.Raw;
        p.Set(7.5);
        Assert.Same(raw, p.Raw);
        Assert.Equal(7.5, p.Current, 12);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(-1.0, 0.0)]
    [InlineData(double.NaN, 0.0)]
    [InlineData(double.PositiveInfinity, 0.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(1.0, -0.1)]
    [InlineData(1.0, double.NaN)]
    public void Rejects_values_that_are_not_above_a_valid_minimum(double initial, double minimum)
    {
        var e = Assert.Throws<ArgumentException>(() => new PositiveParameter(initial, minimum));
        Assert.Contains("PositiveParameter", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void InverseSoftplus_rejects_values_softplus_cannot_take(double y) =>
        Assert.Throws<ArgumentException>(() => PositiveParameter.InverseSoftplus(y));
}
