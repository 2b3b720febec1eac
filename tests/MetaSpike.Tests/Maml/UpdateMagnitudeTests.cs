using MetaSpike.Losses;
using MetaSpike.Maml;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

public class UpdateMagnitudeTests
{
    private static Tensor Update(params double[] values) => tensor(values, ScalarType.Float64);

    [Fact]
    public void Statistics_of_one_update_match_hand_worked_numbers()
    {
        // |dw| = 0.5, 2, 0, 0, 0.001, 0.25: sum 2.751, mean 2.751 / 6, max 2, 4 of 6 non-zero.
        var s = UpdateMagnitudes.Of(Update(0.5, -2, 0, 0, 1e-3, -0.25).reshape(2, 3).to_type(ScalarType.Float32));
        Assert.Equal(6, s.Elements);
        TensorAssert.Close(2.751, s.SumMagnitude, 1e-7, 0, "sum");
        TensorAssert.Close(2.751 / 6, s.MeanMagnitude, 1e-7, 0, "mean");
        Assert.Equal(2, s.MaxMagnitude);
        Assert.Equal(4.0 / 6, s.NonZeroFraction, 12);
    }

    [Fact]
    public void A_summary_is_the_mean_and_sample_std_of_each_statistic()
    {
        // [1, -1]: mean 1, sum 2, max 1, all non-zero. [0, 3, 0, 0]: mean 0.75, sum 3, max 3, a quarter non-zero.
        var summary = UpdateMagnitudes.Summarize([UpdateMagnitudes.Of(Update(1, -1)), UpdateMagnitudes.Of(Update(0, 3, 0, 0))]);
        double spread = Math.Sqrt(0.5); // the sample std of two values a, b is |a - b| / √2
        Assert.Equal(2, summary.Updates);
        Close(new MeanStd(0.875, 0.25 * spread), summary.MeanMagnitude, "mean |dw|");
        Close(new MeanStd(2.5, 1 * spread), summary.SumMagnitude, "sum |dw|");
        Close(new MeanStd(2, 2 * spread), summary.MaxMagnitude, "max |dw|");
        Close(new MeanStd(0.625, 0.75 * spread), summary.NonZeroFraction, "non-zero fraction");
        Assert.Equal(new MeanStd(4, 0), MeanStd.Of([4.0]));
    }

    private static void Close(MeanStd expected, MeanStd actual, string what)
    {
        TensorAssert.Close(expected.Mean, actual.Mean, 1e-12, 1e-15, $"{what}: mean");
        TensorAssert.Close(expected.Std, actual.Std, 1e-12, 1e-15, $"{what}: std");
    }

    [Fact]
    public void The_histogram_counts_log_bins_by_hand_with_zeros_and_outliers_apart()
    {
        var bins = new LogBins(1e-3, 1, 3);
        double[] edges = [1e-3, 1e-2, 1e-1, 1], centers = [Math.Sqrt(1e-5), Math.Sqrt(1e-3), Math.Sqrt(1e-1)];
        for (int i = 0; i < edges.Length; i++) TensorAssert.Close(edges[i], bins.Edges[i], 1e-12, 0, $"edge {i}");
        for (int i = 0; i < centers.Length; i++) TensorAssert.Close(centers[i], bins.Centers[i], 1e-12, 0, $"centre {i}");
        // Bins [1e-3, 1e-2), [1e-2, 1e-1), [1e-1, 1): 2e-3 and 5e-3 | 0.05 | 0.5; 5e-4 below; 1 and 3 above; two zeros.
        var h = UpdateMagnitudes.Histogram(Update(0, 2e-3, -5e-3, 0.05, -0.5, 5e-4, 3, 0, 1), bins);
        Assert.Equal([2L, 1, 1], h.Counts);
        Assert.Equal((2L, 1L, 2L, 9L), (h.Zeros, h.Below, h.Above, h.Total));
        var twice = h.Plus(UpdateMagnitudes.Histogram(Update(0.2), bins));
        Assert.Equal([2L, 1, 2], twice.Counts);
        Assert.Equal(10, twice.Total);
        Assert.Throws<ArgumentException>(() => h.Plus(UpdateHistogram.Empty(new LogBins(1e-3, 1, 4))));
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => UpdateMagnitudes.Of(zeros(0)));
        Assert.Throws<ArgumentException>(() => UpdateMagnitudes.Of(tensor(new long[] { 1, 2 })));
        Assert.Throws<ArgumentException>(() => UpdateMagnitudes.Of(Update(1, double.NaN)));
        Assert.Throws<ArgumentException>(() => UpdateMagnitudes.Histogram(Update(double.PositiveInfinity), new LogBins()));
        Assert.Throws<ArgumentException>(() => UpdateMagnitudes.Summarize([]));
        Assert.Throws<ArgumentException>(() => MeanStd.Of([]));
        Assert.Throws<ArgumentException>(() => new LogBins(0, 1, 3));
        Assert.Throws<ArgumentException>(() => new LogBins(1, 1, 3));
        Assert.Throws<ArgumentException>(() => new LogBins(1e-3, double.PositiveInfinity, 3));
        Assert.Throws<ArgumentException>(() => new LogBins(1e-3, 1, 0));
        Assert.Throws<ArgumentException>(() => new UpdateRecorder(-1));
        var recorder = new UpdateRecorder(2);
        Assert.Throws<ArgumentException>(() => recorder.Summary());
        Assert.Throws<ArgumentException>(() => recorder.Add([Update(1)], [Update(2)]));
        Assert.Throws<ArgumentException>(() => recorder.Add([Update(1), Update(1), Update(1)], [Update(1), Update(1), Update(1, 2)]));
        Assert.Throws<ArgumentException>(() => recorder.Record(new Layers.Linear(2, 2), () => { }));
        Assert.Contains("no parameter 'head.weight'", Assert.Throws<ArgumentException>(() => UpdateRecorder.ForParameter(new Layers.Linear(2, 2))).Message);
    }
}

/// <summary>Recording MAML's inner and outer updates of the head weight on a tiny random task.</summary>
[Collection(GlobalRandomCollection.Name)]
public class UpdateRecorderTests
{
    private static (MetaLearner Learner, TaskData Task) Tiny()
    {
        manual_seed(1);
        var network = FewShotNetworks.Dense(12, ways: 3, hidden: 8, gradientWindow: 5, inputGain: 3);
        var learner = new MetaLearner(network, new MetaTrainingSettings { Algorithm = MetaAlgorithm.FirstOrderMaml, Iterations = 10 });
        Tensor Frames(int batch) => bernoulli(full([8, batch, 1, 3, 4], 0.3));
        Tensor Labels(int perClass) => arange(3, ScalarType.Int64).repeat_interleave(perClass);
        return (learner, new TaskData(Frames(6), Labels(2), Frames(6), Labels(2)));
    }

    [Fact]
    public void The_inner_update_is_minus_the_rate_times_the_support_gradient_and_thresholding_keeps_fewer_larger_updates()
    {
        var (learner, task) = Tiny();
        var recorder = UpdateRecorder.ForParameter(learner.Network, bins: new LogBins(1e-6, 10, 14));
        var metaBefore = TensorAssert.Values(learner.Network.Head.get_parameter("weight")!);

        var plain = recorder.RecordInnerLoop(learner, task);
        var thresholded = recorder.RecordInnerLoop(learner, task, inner: learner.CreateInnerLoop(learner.Settings.Inner with { UpdateThreshold = 0.5 }));

        Assert.Equal(metaBefore, TensorAssert.Values(learner.Network.Head.get_parameter("weight")!));
        var start = learner.DetachedStart();
        var loss = Loss.CrossEntropy(FunctionalCall.Call(learner.Network, start, task.SupportFrames), task.SupportLabels);
        var gradient = Autograd.Grad([loss], [start[recorder.ParameterIndex]])[0];
        double rate = learner.Settings.Inner.LearningRate;
        TensorAssert.Close(rate * gradient.abs().sum().ToDouble(), plain.SumMagnitude, 1e-5, 0, "sum |dw| of one inner step");
        TensorAssert.Close(rate * gradient.abs().max().ToDouble(), plain.MaxMagnitude, 1e-5, 0, "max |dw|");
        Assert.True(plain.MaxMagnitude > 0);
        // Eq. 6 drops the small updates and keeps the largest.
        Assert.True(thresholded.NonZeroFraction < plain.NonZeroFraction, $"{thresholded.NonZeroFraction} vs {plain.NonZeroFraction}");
        Assert.Equal(plain.MaxMagnitude, thresholded.MaxMagnitude, 12);
        Assert.True(thresholded.SumMagnitude / thresholded.NonZeroFraction > plain.SumMagnitude / plain.NonZeroFraction);
        Assert.Equal(2, recorder.Summary().Updates);
        Assert.Equal(2 * 3 * 8, recorder.Histogram.Total);
    }

    [Fact]
    public void An_outer_Adam_step_moves_each_head_weight_by_at_most_the_learning_rate()
    {
        var (learner, task) = Tiny();
        var recorder = UpdateRecorder.ForParameter(learner.Network);
        var before = TensorAssert.Values(learner.Network.Head.get_parameter("weight")!);

        var first = recorder.RecordOuterStep(learner, [task], seed: 0);

        var after = TensorAssert.Values(learner.Network.Head.get_parameter("weight")!);
        Assert.Equal(1, first.Iteration);
        var s = recorder.Updates[0];
        TensorAssert.Close(before.Zip(after, (b, a) => Math.Abs(a - b)).Sum(), s.SumMagnitude, 1e-9, 0, "recorded vs actual change");
        // Adam's first step is lr · g / |g| for every element with a gradient.
        double lr = learner.Settings.OuterLearningRate;
        TensorAssert.Close(lr, s.MaxMagnitude, 1e-3, 0, "largest |dw|");
        Assert.True(s.MeanMagnitude <= lr * (1 + 1e-6));
        Assert.Equal(2, recorder.RecordOuterStep(learner, [task], seed: 0).Iteration);
        Assert.Equal(2, recorder.Updates.Count);
    }
}
