using MetaSpike.Training;
using TorchSharp;
using TorchSharp.Modules;
using static MetaSpike.Tests.TensorAssert;

namespace MetaSpike.Tests.Training;

public sealed class GradientClippingTests : IDisposable
{
    // Gradients [3, 0] and [4]: total 2-norm 5, max-norm 4.
    private readonly Parameter _p = new(torch.zeros(2, torch.float64), requires_grad: true);
    private readonly Parameter _q = new(torch.zeros(1, torch.float64), requires_grad: true);
    private readonly Parameter _noGrad = new(torch.ones(3, torch.float64), requires_grad: true);

    public GradientClippingTests()
    {
        using var scope = torch.NewDisposeScope();
        ((_p * torch.tensor(new[] { 3.0, 0.0 })).sum() + (_q * 4.0).sum()).backward();
    }

    public void Dispose()
    {
        _p.Dispose();
        _q.Dispose();
        _noGrad.Dispose();
    }

    [Fact]
    public void ClipNorm_scales_to_the_max_norm_and_returns_the_original_norm()
    {
        double norm = GradientClipping.ClipNorm([_p, _q, _noGrad], maxNorm: 1.0);
        Assert.Equal(5.0, norm, 12);
        double scale = 1.0 / (5.0 + 1e-6); // PyTorch's factor, with its 1e-6 guard
        var p = Values(_p.grad!);
        var q = Values(_q.grad!);
        Close(3.0 * scale, p[0], 1e-12, 0, "p.grad[0]");
        Assert.Equal(0.0, p[1]);
        Close(4.0 * scale, q[0], 1e-12, 0, "q.grad[0]");
        Close(1.0, Math.Sqrt(p[0] * p[0] + q[0] * q[0]), 1e-5, 0, "norm after clipping");
        Assert.Null(_noGrad.grad);
        Assert.Equal(0.0, GradientClipping.ClipNorm([_noGrad], maxNorm: 1.0));
    }

    [Fact]
    public void ClipNorm_leaves_small_gradients_alone()
    {
        Assert.Equal(5.0, GradientClipping.ClipNorm([_p, _q], maxNorm: 10.0), 12);
        Assert.Equal([3.0, 0.0], Values(_p.grad!));
        Assert.Equal([4.0], Values(_q.grad!));
    }

    [Fact]
    public void ClipNorm_supports_the_max_norm()
    {
        Assert.Equal(4.0, GradientClipping.ClipNorm([_p, _q], maxNorm: 2.0, normType: double.PositiveInfinity), 12);
        Close(2.0, Values(_q.grad!)[0], 1e-6, 0, "q.grad[0]");
    }

    [Fact]
    public void ClipValue_clamps_each_element()
    {
        using (var scope = torch.NewDisposeScope())
            (_noGrad * torch.tensor(new[] { -0.2, 0.7, -3.0 })).sum().backward();
        GradientClipping.ClipValue([_p, _q, _noGrad], 0.5);
        Assert.Equal([0.5, 0.0], Values(_p.grad!));
        Assert.Equal([0.5], Values(_q.grad!));
        Assert.Equal([-0.2, 0.5, -0.5], Values(_noGrad.grad!));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Invalid_limits_are_rejected(double limit)
    {
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipNorm([_p], limit)).ParamName);
        Assert.Equal("clip", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipValue([_p], limit)).ParamName);
        Assert.Equal([3.0, 0.0], Values(_p.grad!));
    }

    [Fact]
    public void An_invalid_norm_type_is_rejected()
    {
        Assert.Equal("normType", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipNorm([_p], 1.0, 0.0)).ParamName);
    }
}
