using MetaSpike.MetaLearning;
using MetaSpike.Surrogates;

namespace MetaSpike.Tests.MetaLearning;

[Collection(GlobalRandomCollection.Name)]
public sealed class S2nnTrainingTests
{
    /// <summary>A tiny network and task: 4 channels, 4 time steps, 4 LIF neurons, 2 classes.</summary>
    private static readonly S2nnOptions Tiny = new()
    {
        Task = new PatternTaskSettings { Classes = 2, Channels = 4, TrainPerClass = 4, TestPerClass = 2, TimeSteps = 4, RateHz = 200 },
        Hidden = [4],
        BatchSize = 8,
        EvaluateEvery = 1000,
    };

    private static void AssertFiniteAndInDomain(S2nnRun run)
    {
        foreach (var r in run.History)
        {
            double[] values = [r.Loss, r.Accuracy, r.Alpha, r.Beta, r.Epsilon, r.AlphaGradient, r.BetaGradient, r.EpsilonGradient, r.WeightGradientNorm];
            Assert.True(values.All(double.IsFinite), $"{run.Start.Name}, step {r.Step}: [{string.Join(", ", values)}]");
            Assert.True(r.Alpha > 0 && r.Beta > 0 && r.Epsilon >= 0, $"{run.Start.Name}, step {r.Step}: alpha {r.Alpha}, beta {r.Beta}, epsilon {r.Epsilon}");
        }
    }

    [Fact]
    public void Two_thousand_steps_from_extreme_starts_give_no_nan_and_stay_in_the_domains()
    {
        // Aggressive learning rates push the raw values hard; the softplus map keeps every reachable value valid.
        var options = Tiny with { TrainingSteps = 2000, LearningRate = 0.05, HyperLearningRate = 0.5 };
        var start = new S2nnStart("extreme", 1e-3, 1e3, 1e-12);
        var run = S2nnTraining.Train(options, start);
        Assert.Equal(2000, run.History.Count);
        AssertFiniteAndInDomain(run);
        Assert.NotEqual(start.Alpha, run.History[^1].Alpha);
        Assert.NotEqual(start.Beta, run.History[^1].Beta);
        Assert.True(run.History.Any(r => r.EpsilonGradient != 0), "epsilon never received a gradient");
    }

    [Fact]
    public void The_opposite_extreme_corner_also_stays_finite()
    {
        var run = S2nnTraining.Train(Tiny with { TrainingSteps = 300, HyperLearningRate = 0.5 }, S2nnStart.Extreme[1]);
        AssertFiniteAndInDomain(run);
    }

    [Fact]
    public void The_network_learns_from_the_defaults()
    {
        var run = S2nnTraining.Train(Tiny with { Task = Tiny.Task with { Channels = 8, TimeSteps = 8 }, TrainingSteps = 150, LearningRate = 0.02 }, S2nnStart.Default);
        AssertFiniteAndInDomain(run);
        double first = run.History.Take(10).Average(r => r.Loss), last = run.History.TakeLast(10).Average(r => r.Loss);
        Assert.True(last < 0.5 * first, $"loss {first} -> {last}");
        Assert.True(run.TrainAccuracy >= 0.9, $"train accuracy {run.TrainAccuracy}");
    }

    [Fact]
    public void Under_braintools_rule_epsilon_gets_no_gradient_and_stays_put()
    {
        // epsilon appears only in F, and braintools' rule differentiates G; straight-through (dF/dtheta) reaches it.
        var braintools = S2nnTraining.Train(Tiny with { TrainingSteps = 20, HyperGradient = HyperGradientMode.BraintoolsCompatible }, S2nnStart.Default);
        Assert.All(braintools.History, r => Assert.Equal(0.0, r.EpsilonGradient));
        Assert.All(braintools.History, r => Assert.Equal(braintools.History[0].Epsilon, r.Epsilon));
        Assert.Equal(1.0, braintools.History[0].Epsilon / 1e-8, 5);
        Assert.Contains(braintools.History, r => r.AlphaGradient != 0);
    }

    [Fact]
    public void The_same_seed_gives_the_same_run()
    {
        var options = Tiny with { TrainingSteps = 30 };
        var a = S2nnTraining.Train(options, S2nnStart.Default);
        var b = S2nnTraining.Train(options, S2nnStart.Default);
        Assert.Equal(a.History.Select(r => r.Loss), b.History.Select(r => r.Loss));
        Assert.Equal(a.History[^1].Alpha, b.History[^1].Alpha);
    }

    [Fact]
    public void Training_steps_leave_no_tensor_alive()
    {
        var counts = new List<long>();
        S2nnTraining.Train(Tiny with { TrainingSteps = 40, EvaluateEvery = 10 }, S2nnStart.Default,
            _ => counts.Add(TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount));
        Assert.Equal(counts[1], counts[^2]);
    }

    [Fact]
    public void Inverse_softplus_round_trips_from_tiny_to_huge_values()
    {
        foreach (var y in new[] { 1e-12, 1e-3, 1.0, 19.9, 20.1, 1e3 })
        {
            var x = PositiveParameter.InverseSoftplus(y);
            var back = x > 30 ? x + Log1P(Math.Exp(-x)) : Log1P(Math.Exp(x));
            Assert.Equal(1.0, back / y, 12);
        }
        Assert.Equal(1e-12, new PositiveParameter(1e-12).Current, 1e-16);
        Assert.Equal(1e3, new PositiveParameter(1e3, 1e-6).Current, 3);
    }

    /// <summary>log(1 + x) without cancellation for tiny x (Kahan); .NET's double.LogP1 is log(x + 1).</summary>
    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    [Theory]
    [InlineData("TrainingSteps")]
    [InlineData("Minimum")]
    [InlineData("HyperLearningRate")]
    public void Bad_settings_throw_naming_them(string setting)
    {
        var options = setting switch
        {
            "TrainingSteps" => Tiny with { TrainingSteps = 0 },
            "Minimum" => Tiny with { Minimum = 0 },
            _ => Tiny with { HyperLearningRate = double.NaN },
        };
        var e = Assert.Throws<ArgumentException>(() => S2nnTraining.Train(options, S2nnStart.Default));
        Assert.Contains(setting, e.Message);
        Assert.Throws<ArgumentException>(() => S2nnTraining.Train(Tiny, new S2nnStart("bad", 0, 1, 0)));
    }
}
