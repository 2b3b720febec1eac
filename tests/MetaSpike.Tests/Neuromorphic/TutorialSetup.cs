using MetaSpike.Neuromorphic;

namespace MetaSpike.Tests.Neuromorphic;

/// <summary>
/// The network of BrainScaleS-2's SuperSpike tutorial: 25 spike sources onto one neuron through an excitatory and an
/// inhibitory all-to-all projection, with Bernoulli inputs at 10 kHz for 200 µs (the last 20 µs silent).
/// </summary>
internal sealed class TutorialSetup : IDisposable
{
    public const int Inputs = 25;
    public const double DurationUs = 200;

    public TutorialSetup(EmulatorOptions? options = null, int neurons = 1)
    {
        Emulator = new SubstrateEmulator(options ?? EmulatorOptions.Ideal);
        Network = new NeuromorphicNetwork(Emulator);
        Output = Network.CreatePopulation(neurons, label: "output");
        Output.Record(Recordables.All);
        Input = Network.CreateSpikeSourceArray(Inputs, "input");
        Inhibitory = Network.Connect(Input, Output, Connector.AllToAll, ReceptorType.Inhibitory);
        Excitatory = Network.Connect(Input, Output, Connector.AllToAll, ReceptorType.Excitatory);
    }

    public SubstrateEmulator Emulator { get; }
    public NeuromorphicNetwork Network { get; }
    public Population Output { get; }
    public SpikeSourceArray Input { get; }
    public Projection Excitatory { get; }
    public Projection Inhibitory { get; }

    /// <summary>Bernoulli spike times on the 0.1 µs grid: p = rate x dt per step, none in the last 20 µs; one list per source.</summary>
    public static double[][] BernoulliTimes(int seed, double rateHz = 10e3, double dtUs = 0.1)
    {
        var random = new Random(seed);
        int steps = (int)Math.Round(DurationUs / dtUs);
        double p = rateHz * dtUs * 1e-6;
        var times = new double[Inputs][];
        for (int i = 0; i < Inputs; i++)
        {
            var list = new List<double>();
            for (int k = 0; k < steps; k++)
            {
                bool spike = random.NextDouble() < p;
                if (spike && k * dtUs <= DurationUs - 20) list.Add(Math.Round(k * dtUs, 6));
            }
            times[i] = [.. list];
        }
        return times;
    }

    /// <summary>Gaussian weights [inputs, neurons] (Box-Muller on a seeded Random).</summary>
    public static double[,] NormalWeights(int seed, double mean, double std, int neurons = 1)
    {
        var random = new Random(seed);
        var w = new double[Inputs, neurons];
        for (int i = 0; i < Inputs; i++)
            for (int j = 0; j < neurons; j++)
            {
                double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
                w[i, j] = mean + std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            }
        return w;
    }

    public void Dispose() => Network.Dispose();
}
