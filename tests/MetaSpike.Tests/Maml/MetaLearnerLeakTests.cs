using MetaSpike.Maml;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

[Collection(GlobalRandomCollection.Name)]
public class MetaLearnerLeakTests
{
    /// <summary>
    /// Meta-steps leave no tensor handle behind: the live count after twelve steps equals the count after one, for
    /// every algorithm (before the fix, the outer zero_grad leaked one handle per parameter and step).
    /// </summary>
    [Theory]
    [InlineData(MetaAlgorithm.Maml)]
    [InlineData(MetaAlgorithm.FirstOrderMaml)]
    [InlineData(MetaAlgorithm.Reptile)]
    public void Meta_steps_keep_the_live_tensor_count_flat(MetaAlgorithm algorithm)
    {
        manual_seed(7);
        using var task = new TaskData(rand(10, 3, 20).lt(0.2).to_type(ScalarType.Float32), arange(3L),
            rand(10, 6, 20).lt(0.2).to_type(ScalarType.Float32), arange(6L).remainder(3));
        using var learner = new MetaLearner(FewShotNetworks.Dense(20, 3, hidden: 8, gradientWindow: 10),
            new MetaTrainingSettings { Algorithm = algorithm, Inner = new InnerLoopSettings { LearningRate = 0.1 }, Iterations = 12 });
        var counts = new List<long>();
        for (int step = 0; step < 12; step++)
        {
            learner.Step([task]);
            counts.Add(DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
        }
        Assert.Equal(counts[0], counts[^1]);
    }
}
