using BenchmarkDotNet.Attributes;
using MetaSpike.Surrogates;
using static TorchSharp.torch;

namespace MetaSpike.Bench;

/// <summary>
/// Cost of one surrogate spike (forward + backward) on a [batch, neurons] membrane tensor, for the class
/// form with a fixed or a trainable hyperparameter and for the functional form. Small sizes show the per-call
/// overhead that fused multi-step kernels (a later issue) must remove.
/// </summary>
[MemoryDiagnoser]
public class SurrogateBenchmarks
{
    private Tensor _x = null!;
    private SurrogateFunction _fixed = null!;
    private SurrogateFunction _trainable = null!;

    [Params(128 * 4, 128 * 128, 128 * 1024)]
    public int Elements { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = randn(128, Elements / 128).requires_grad_();
        _fixed = new Sigmoid();
        _trainable = new Sigmoid(trainable: true);
    }

    [Benchmark(Baseline = true)]
    public void HeavisideOnly()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _fixed.forward(_x);
    }

    [Benchmark]
    public void ClassFormForwardBackward() => ForwardBackward(_fixed);

    [Benchmark]
    public void TrainableAlphaForwardBackward() => ForwardBackward(_trainable);

    [Benchmark]
    public void FunctionalFormForwardBackward()
    {
        using var scope = NewDisposeScope();
        Surrogate.Sigmoid(_x, 4.0).sum().backward();
    }

    private void ForwardBackward(SurrogateFunction family)
    {
        using var scope = NewDisposeScope();
        family.forward(_x).sum().backward();
    }
}
