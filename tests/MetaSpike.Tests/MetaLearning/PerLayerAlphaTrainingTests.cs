using MetaSpike.MetaLearning;

namespace MetaSpike.Tests.MetaLearning;

[Collection(GlobalRandomCollection.Name)]
public sealed class PerLayerAlphaTrainingTests
{
    /// <summary>Three spiking layers of 8, a 3-class task of 12 channels and 10 steps.</summary>
    private static readonly PerLayerAlphaOptions Tiny = new()
    {
        Task = new PatternTaskSettings { Classes = 3, Channels = 12, TrainPerClass = 6, TestPerClass = 4, TimeSteps = 10, RateHz = 150 },
        Hidden = [8, 8, 8],
        BatchSize = 18,
        TrainingSteps = 40,
        LearningRate = 0.01,
        EvaluateEvery = 20,
    };

    [Fact]
    public void Each_layer_learns_its_own_alpha_from_the_same_start()
    {
        var run = PerLayerAlphaTraining.Train(Tiny);
        Assert.Equal("learned per layer", run.Label);
        Assert.Equal(40, run.History.Count);
        Assert.Equal(3, run.FinalAlphas.Count);
        Assert.All(run.FinalAlphas, a => Assert.Single(a));
        Assert.All(run.History[0].Alphas, s => Assert.Equal(Tiny.InitialAlpha, s.Mean, 5));
        var finals = run.FinalAlphas.Select(a => a[0]).ToArray();
        Assert.All(finals, a => Assert.NotEqual(Tiny.InitialAlpha, a, 3));
        Assert.Equal(3, finals.Distinct().Count());
        Assert.Equal(finals, run.History[^1].Alphas.Select(s => s.Mean).ToArray(), (x, y) => Math.Abs(x - y) < 0.1);
        Assert.NotNull(run.History[0].TestAccuracy);
        Assert.NotNull(run.History[19].TestAccuracy);
        Assert.Null(run.History[20].TestAccuracy);
    }

    [Fact]
    public void Per_neuron_alphas_spread_within_each_layer()
    {
        var run = PerLayerAlphaTraining.Train(Tiny with { PerNeuron = true });
        Assert.True(run.PerNeuron);
        Assert.All(run.FinalAlphas, a => Assert.Equal(8, a.Count));
        Assert.All(run.FinalAlphas, a => Assert.True(a.Max() - a.Min() > 1e-3, $"alphas [{string.Join(", ", a)}] did not spread"));
        Assert.Equal(0.0, run.History[0].Alphas[0].Std, 6);
        Assert.True(run.History[^1].Alphas.All(s => s.Std > 0));
    }

    [Fact]
    public void A_fixed_baseline_starts_exactly_like_the_learned_run_and_keeps_its_alpha()
    {
        var runs = PerLayerAlphaTraining.Compare(Tiny with { TrainingSteps = 5 }, [Tiny.InitialAlpha, 16]);
        Assert.Equal(3, runs.Count);
        // Same task, weights and batches: the first forward pass is the same to the last bit whatever alpha is (alpha
        // shapes only the backward pass); from then on the updates differ with alpha.
        Assert.All(runs, r => Assert.Equal(runs[0].History[0].Loss, r.History[0].Loss));
        Assert.NotEqual(runs[1].History[1].Loss, runs[2].History[1].Loss);
        Assert.NotEqual(runs[0].History[^1].Loss, runs[1].History[^1].Loss);
        Assert.All(runs[2].History, r => Assert.All(r.Alphas, s => Assert.Equal(16, s.Mean)));
        Assert.Equal(16, runs[2].FixedAlpha);
        Assert.Equal("fixed alpha = 16", runs[2].Label);
    }

    [Fact]
    public void Alphas_stay_above_their_minimum_even_with_an_absurd_learning_rate()
    {
        var run = PerLayerAlphaTraining.Train(Tiny with { AlphaLearningRate = 20, PerNeuron = true, TrainingSteps = 30 });
        Assert.All(run.History, r => Assert.All(r.Alphas, s => Assert.True(s.Min > 0 && double.IsFinite(s.Max), $"step {r.Step}: [{s.Min}, {s.Max}]")));
        Assert.All(run.FinalAlphas.SelectMany(a => a), a => Assert.True(a >= (float)Tiny.AlphaMinimum));
        Assert.All(run.History, r => Assert.True(double.IsFinite(r.Loss)));
    }

    [Fact]
    public void Training_steps_leave_no_tensor_alive()
    {
        var counts = new List<long>();
        PerLayerAlphaTraining.Train(Tiny with { PerNeuron = true, TrainingSteps = 25, EvaluateEvery = 5 },
            onStep: _ => counts.Add(TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount));
        Assert.Equal(counts[1], counts[^2]);
    }

    [Fact]
    public void Bad_settings_throw_naming_them()
    {
        Assert.Contains("Hidden", Assert.Throws<ArgumentException>(() => PerLayerAlphaTraining.Train(Tiny with { Hidden = [] })).Message);
        Assert.Contains("InitialAlpha", Assert.Throws<ArgumentException>(() => PerLayerAlphaTraining.Train(Tiny with { InitialAlpha = 0.001 })).Message);
        Assert.Contains("fixed alpha", Assert.Throws<ArgumentException>(() => PerLayerAlphaTraining.Train(Tiny, fixedAlpha: -1)).Message);
    }
}
