using MetaSpike.Training;
using TorchSharp;
using TorchSharp.Modules;
using ScalarType = TorchSharp.torch.ScalarType;
using static MetaSpike.Tests.TensorAssert;

namespace MetaSpike.Tests.Training;

public class OptimizerTests
{
    private static readonly double[] W0 = [1.0, -2.0, 3.0];
    private static readonly double[] A = [1.0, 2.0, 3.0];

    /// <summary>One step on f(w) = 0.5 sum(a w^2), whose gradient is a * w, from w0; returns w1.</summary>
    private static double[] OneStep(OptimizerSettings settings, int steps = 1)
    {
        using var w = new Parameter(torch.tensor(W0), requires_grad: true);
        using var optimizer = Optimizers.Create([w], settings);
        for (int i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            (0.5 * (torch.tensor(A) * w.square()).sum()).backward();
            optimizer.step();
        }
        return Values(w);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            Close(expected[i], actual[i], 1e-14, 1e-16, $"w[{i}]");
    }

    [Fact]
    public void Sgd_step_is_w_minus_lr_times_g()
    {
        var actual = OneStep(new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.1 });
        AssertClose([1.0 - 0.1 * 1.0, -2.0 + 0.1 * 4.0, 3.0 - 0.1 * 9.0], actual);
    }

    [Fact]
    public void Sgd_momentum_and_weight_decay_follow_pytorch()
    {
        double lr = 0.1, m = 0.9, wd = 0.01;
        var actual = OneStep(new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = lr, Momentum = m, WeightDecay = wd }, steps: 2);
        var expected = new double[3];
        for (int i = 0; i < 3; i++)
        {
            double g1 = A[i] * W0[i] + wd * W0[i];
            double w1 = W0[i] - lr * g1; // the first step's buffer is the gradient itself
            double g2 = A[i] * w1 + wd * w1;
            expected[i] = w1 - lr * (m * g1 + g2);
        }
        AssertClose(expected, actual);
    }

    [Fact]
    public void Adam_first_step_is_lr_times_g_over_abs_g_plus_eps()
    {
        double lr = 0.1, eps = 0.5; // a large eps, so that it visibly matters
        var actual = OneStep(new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = lr, Eps = eps });
        // m = (1 - b1) g, v = (1 - b2) g^2; bias-corrected: m^ = g, sqrt(v^) = |g|.
        AssertClose([1.0 - lr * 1.0 / (1.0 + eps), -2.0 + lr * 4.0 / (4.0 + eps), 3.0 - lr * 9.0 / (9.0 + eps)], actual);
    }

    [Fact]
    public void Adam_weight_decay_is_added_to_the_gradient()
    {
        double lr = 0.1, eps = 0.5, wd = 0.5;
        var actual = OneStep(new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = lr, Eps = eps, WeightDecay = wd });
        var expected = W0.Select((w, i) =>
        {
            double g = A[i] * w + wd * w;
            return w - lr * g / (Math.Abs(g) + eps);
        }).ToArray();
        AssertClose(expected, actual);
    }

    [Fact]
    public void AdamW_weight_decay_is_decoupled()
    {
        double lr = 0.1, eps = 0.5, wd = 0.5;
        var actual = OneStep(new OptimizerSettings { Kind = OptimizerKind.AdamW, LearningRate = lr, Eps = eps, WeightDecay = wd });
        var expected = W0.Select((w, i) =>
        {
            double g = A[i] * w;
            return w * (1 - lr * wd) - lr * g / (Math.Abs(g) + eps);
        }).ToArray();
        AssertClose(expected, actual);
    }

    [Fact]
    public void Create_builds_torchsharp_optimizers_with_the_settings()
    {
        using var w = new Parameter(torch.zeros(2), requires_grad: true);
        using var sgd = Optimizers.Create([w], new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.3, Momentum = 0.9, Nesterov = true });
        Assert.Equal(0.9, Assert.IsType<SGD>(sgd).Momentum);
        Assert.Equal(0.3, sgd.ParamGroups.Single().LearningRate);
        using var adam = Optimizers.Create([w], new OptimizerSettings { Beta1 = 0.8, Beta2 = 0.99 });
        Assert.Equal((0.8, 0.99), Assert.IsType<Adam>(adam).Betas);
        using var adamw = Optimizers.Create([w], new OptimizerSettings { Kind = OptimizerKind.AdamW });
        Assert.IsType<AdamW>(adamw);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 0.0, false, false)]
    [InlineData(ScalarType.Float64, 0.05, true, false)]
    [InlineData(ScalarType.Float64, 0.0, false, true)]
    [InlineData(ScalarType.Float32, 0.01, false, false)]
    [InlineData(ScalarType.Float32, 0.0, true, true)]
    public void Fused_adam_follows_torchsharp_adam_step_by_step(ScalarType dtype, double weightDecay, bool amsgrad, bool maximize)
    {
        // Parameters of 37 and 5 elements (whole registers and a scalar tail) and one that never gets a gradient,
        // six steps with changing gradients, the same hyperparameters: the fused pass must track torch's operations.
        var generator = new torch.Generator(3);
        Parameter[] Make() =>
        [
            new(torch.randn([37], dtype: dtype, generator: new torch.Generator(1)), requires_grad: true),
            new(torch.randn([5], dtype: dtype, generator: new torch.Generator(2)), requires_grad: true),
            new(torch.zeros([3], dtype: dtype), requires_grad: true),
        ];
        var (reference, fused) = (Make(), Make());
        using var adam = torch.optim.Adam(reference, 0.01, 0.8, 0.95, 1e-6, weightDecay, amsgrad, maximize);
        using var fusedAdam = new FusedAdam(fused, 0.01, 0.8, 0.95, 1e-6, weightDecay, amsgrad, maximize);
        double tol = dtype == ScalarType.Float64 ? 1e-14 : 2e-6;
        for (int step = 0; step < 6; step++)
        {
            using var scope = torch.NewDisposeScope();
            var targets = new[] { torch.randn([37], dtype: dtype, generator: generator), torch.randn([5], dtype: dtype, generator: generator) };
            foreach (var (parameters, optimizer) in new[] { (reference, (torch.optim.Optimizer)adam), (fused, fusedAdam) })
            {
                optimizer.zero_grad();
                ((parameters[0] - targets[0]).pow(4).sum() + (parameters[1] * targets[1]).sum()).backward();
                optimizer.step();
            }
            for (int i = 0; i < 2; i++)
            {
                var (expected, actual) = (Values(reference[i].to(ScalarType.Float64)), Values(fused[i].to(ScalarType.Float64)));
                for (int j = 0; j < expected.Length; j++) Close(expected[j], actual[j], tol, tol, $"step {step}, parameter {i}[{j}]");
            }
        }
        Assert.Equal(new double[3], Values(fused[2].to(ScalarType.Float64)));
        Assert.NotEqual(Values(Make()[0].to(ScalarType.Float64)), Values(fused[0].to(ScalarType.Float64)));
    }

    [Fact]
    public void Fused_adam_falls_back_to_torchsharp_for_a_non_contiguous_parameter()
    {
        Parameter[] Make() => [new(torch.arange(12, dtype: ScalarType.Float64).reshape(3, 4).t(), requires_grad: true)];
        var (reference, fused) = (Make(), Make());
        Assert.False(fused[0].is_contiguous());
        using var adam = torch.optim.Adam(reference, 0.1);
        using var fusedAdam = new FusedAdam(fused, 0.1);
        foreach (var (parameters, optimizer) in new[] { (reference, (torch.optim.Optimizer)adam), (fused, fusedAdam) })
        {
            using var scope = torch.NewDisposeScope();
            parameters[0].square().sum().backward();
            optimizer.step();
        }
        Assert.Equal(Values(reference[0]), Values(fused[0]));
    }

    [Fact]
    public void Create_builds_a_fused_adam_when_asked()
    {
        using var w = new Parameter(torch.zeros(2), requires_grad: true);
        using var fused = Optimizers.Create([w], new OptimizerSettings { Fused = true, Beta1 = 0.7 });
        Assert.Equal((0.7, 0.999), Assert.IsType<FusedAdam>(fused).Betas);
    }

    [Fact]
    public void Create_needs_parameters()
    {
        var e = Assert.Throws<ArgumentException>(() => Optimizers.Create([], new OptimizerSettings()));
        Assert.Equal("parameters", e.ParamName);
    }

    public static TheoryData<OptimizerSettings, string> InvalidSettings() => new()
    {
        { new() { LearningRate = 0 }, "LearningRate" },
        { new() { LearningRate = -1e-3 }, "LearningRate" },
        { new() { LearningRate = double.NaN }, "LearningRate" },
        { new() { LearningRate = double.PositiveInfinity }, "LearningRate" },
        { new() { WeightDecay = -0.1 }, "WeightDecay" },
        { new() { WeightDecay = double.NaN }, "WeightDecay" },
        { new() { Beta1 = 1.0 }, "Beta1" },
        { new() { Beta1 = -0.1 }, "Beta1" },
        { new() { Beta2 = 1.0 }, "Beta2" },
        { new() { Beta2 = double.NaN }, "Beta2" },
        { new() { Eps = 0 }, "Eps" },
        { new() { Eps = double.PositiveInfinity }, "Eps" },
        { new() { Kind = OptimizerKind.Sgd, Momentum = -0.5 }, "Momentum" },
        { new() { Kind = OptimizerKind.Sgd, Momentum = 1.0 }, "Momentum" },
        { new() { Kind = OptimizerKind.Sgd, Nesterov = true }, "Nesterov" },
        { new() { Kind = OptimizerKind.Adam, Momentum = 0.9 }, "Momentum" },
        { new() { Kind = OptimizerKind.AdamW, Nesterov = true }, "Nesterov" },
        { new() { Kind = (OptimizerKind)7 }, "Kind" },
        { new() { Kind = OptimizerKind.Sgd, Fused = true }, "Fused" },
        { new() { Kind = OptimizerKind.AdamW, Fused = true }, "Fused" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Invalid_settings_are_rejected_naming_the_setting(OptimizerSettings settings, string name)
    {
        using var w = new Parameter(torch.zeros(1), requires_grad: true);
        var e = Assert.Throws<ArgumentException>(() => Optimizers.Create([w], settings));
        Assert.Equal(name, e.ParamName);
        Assert.Contains($"OptimizerSettings.{name}", e.Message);
    }

    [Fact]
    public void Default_settings_are_valid()
    {
        new OptimizerSettings().Validate();
        new OptimizerSettings { Kind = OptimizerKind.Sgd, Momentum = 0.9, Nesterov = true }.Validate();
    }
}
