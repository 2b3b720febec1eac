using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Surrogates;

public class SurrogateMemoryTests
{
    /// <summary>
    /// Forward, backward and an optimiser step on a trainable surrogate (the custom autograd node, the
    /// hyperparameter check and the braintools term included) leave no tensor alive once each step's dispose
    /// scope closes: the live count after 50 steps equals the count after 1.
    /// </summary>
    [Fact]
    public void Live_tensor_count_stays_flat_across_training_steps()
    {
        var sg = new Sigmoid(alpha: 2.0, trainable: true);
        var optimizer = optim.Adam(sg.parameters(), 1e-3);
        var x = randn(16, 32).requires_grad_();
        long afterFirst = 0;
        for (int step = 1; step <= 50; step++)
        {
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                var y = sg.forward(x * 1.5);
                var secondOrder = MetaSpike.Runtime.Autograd.Grad([y], [x], [ones_like(y)], createGraph: true)[0];
                (y.mean() + secondOrder.square().mean()).backward();
                optimizer.step();
            }
            x.grad?.Dispose();
            x.grad = null;
            if (step == 1) afterFirst = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        }
        Assert.Equal(afterFirst, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
    }
}
