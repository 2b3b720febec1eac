using MetaSpike.Layers;
using MetaSpike.Neurons;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Modelling;

/// <summary>Seeded random networks (float64) covering every layer and neuron, for the equivalence tests.</summary>
internal static class NetworkFactory
{
    public static readonly string[] Names = ["lif-expon", "recurrent", "alif", "stewart-neftci", "conv", "dropout"];

    public static (nn.Module<Tensor, Tensor> Net, Tensor Input) Create(string name, int seed)
    {
        manual_seed(seed);
        const int steps = 12, batch = 3;
        nn.Module<Tensor, Tensor> net = name switch
        {
            "lif-expon" => new Sequential(new Linear(5, 6, weightInit: Init.Normal(1.0)), new Expon(6, tau: 5),
                new Lif(6, tau: 8, reset: ResetMode.Subtract, surrogate: new Sigmoid(alpha: 3.0), trainTau: true, trainThreshold: true),
                new Linear(6, 3), new LeakyReadout(3, tau: 10)),
            "recurrent" => new Sequential(new Linear(5, 6, weightInit: Init.Normal(1.5)),
                new RecurrentLif(6, recurrentInit: Init.Normal(0.5), tau: 6, input: InputKind.VoltageJump, detachReset: false),
                new Linear(6, 2), new Expon(2)),
            "alif" => new Sequential(new Linear(5, 4, weightInit: Init.Normal(1.5)), new Alif(4, tau: 5, input: InputKind.VoltageJump, adaptation: 0.3),
                new Linear(4, 2), new LeakyReadout(2, input: InputKind.VoltageJump)),
            "stewart-neftci" => new Sequential(new Linear(5, 4, bias: false, weightInit: Init.Normal(0.8)), new StewartNeftciNeuron(4, threshold: 0.5),
                new Linear(4, 2, bias: false), new StewartNeftciNeuron(2)),
            "conv" => new Sequential(new Conv2d(2, 3, 3, padding: 1, weightInit: Init.Normal(0.8)), new MaxPool2d(2),
                new Lif(new long[] { 3, 2, 2 }, tau: 5, input: InputKind.VoltageJump), new AvgPool2d(2), new Flatten(),
                new Linear(3, 2), new LeakyReadout(2)),
            "dropout" => new Sequential(new Linear(5, 8, weightInit: Init.Normal(1.5)), new Lif(8, input: InputKind.VoltageJump), new Dropout(0.4),
                new Linear(8, 2), new LeakyReadout(2)),
            _ => throw new ArgumentException(name),
        };
        net.to(float64);
        var input = name == "conv"
            ? rand(new long[] { steps, batch, 2, 4, 4 }, dtype: float64).lt(0.4).to(float64)
            : rand(new long[] { steps, batch, 5 }, dtype: float64).lt(0.3).to(float64);
        return (net, input);
    }
}
