using MetaSpike.Neuromorphic;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Neuromorphic;

/// <summary>Integer 6-bit weights, their checks, and the tutorial's signed split onto an excitatory/inhibitory pair.</summary>
public sealed class WeightTests
{
    /// <summary>Clip to ±63, round half to even (numpy's rule), positives excitatory, magnitudes of negatives inhibitory.</summary>
    [Fact]
    public void Signed_weights_are_clipped_rounded_and_split()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var sources = network.CreateSpikeSourceArray(8);
        var neuron = network.CreatePopulation(1);
        var inh = network.Connect(sources, neuron, Connector.AllToAll, ReceptorType.Inhibitory);
        var exc = network.Connect(sources, neuron, Connector.AllToAll, ReceptorType.Excitatory);
        double[] raw = [-70, -2.5, -0.4, 0.5, 1.5, 62.6, 100, 27.49];
        var matrix = new double[8, 1];
        for (int i = 0; i < 8; i++) matrix[i, 0] = raw[i];

        var written = SignedWeights.Apply(exc, inh, matrix);

        Assert.Equal([-63.0, -2, 0, 0, 2, 63, 63, 27], Column(written));
        using var excWeights = exc.GetWeights();
        using var inhWeights = inh.GetWeights();
        Assert.Equal([0.0, 0, 0, 0, 2, 63, 63, 27], TensorAssert.Values(excWeights));
        Assert.Equal([63.0, 2, 0, 0, 0, 0, 0, 0], TensorAssert.Values(inhWeights));
    }

    /// <summary>The tensor form writes the same and returns the signed integers; NaN and wrong shapes are refused.</summary>
    [Fact]
    public void Signed_weights_from_a_tensor_and_their_checks()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var sources = network.CreateSpikeSourceArray(2);
        var neurons = network.CreatePopulation(2);
        var exc = network.Connect(sources, neurons, Connector.AllToAll, ReceptorType.Excitatory);
        var inh = network.Connect(sources, neurons, Connector.AllToAll, ReceptorType.Inhibitory);
        using var signed = SignedWeights.Apply(exc, inh, tensor(new[] { 3.4f, -8.6f, 0f, 80f }).reshape(2, 2));
        Assert.Equal([3.0, -9, 0, 63], TensorAssert.Values(signed));

        Assert.Contains("NaN", Assert.ThrowsAny<ArgumentException>(() => SignedWeights.Apply(exc, inh, tensor(new[] { 1f, float.NaN, 0f, 0f }).reshape(2, 2))).Message);
        Assert.Contains("[2, 2]", Assert.ThrowsAny<ArgumentException>(() => SignedWeights.Apply(exc, inh, zeros(3, 2))).Message);
        Assert.Contains("excitatory and an inhibitory", Assert.ThrowsAny<ArgumentException>(() => SignedWeights.Apply(inh, exc, zeros(2, 2))).Message);
        var other = network.CreatePopulation(2);
        var elsewhere = network.Connect(sources, other, Connector.AllToAll, ReceptorType.Inhibitory);
        Assert.Contains("same populations", Assert.ThrowsAny<ArgumentException>(() => SignedWeights.Apply(exc, elsewhere, zeros(2, 2))).Message);
    }

    /// <summary>Weights must be integers 0 .. 63 in a [pre, post] matrix, and 0 where the connector made no synapse.</summary>
    [Theory]
    [InlineData(64.0, "integer 0 .. 63")]
    [InlineData(-1.0, "integer 0 .. 63")]
    [InlineData(2.5, "integer 0 .. 63")]
    [InlineData(double.NaN, "integer 0 .. 63")]
    [InlineData(double.PositiveInfinity, "integer 0 .. 63")]
    public void Bad_weights_are_refused(double weight, string message)
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var sources = network.CreateSpikeSourceArray(2);
        var neurons = network.CreatePopulation(2);
        var projection = network.Connect(sources, neurons, Connector.AllToAll, ReceptorType.Excitatory);
        Assert.Contains(message, Assert.ThrowsAny<ArgumentException>(() => projection.SetWeights(weight)).Message);
        Assert.Contains("(1, 0)", Assert.ThrowsAny<ArgumentException>(() => projection.SetWeights(new double[,] { { 1, 2 }, { weight, 3 } })).Message);
        Assert.Contains(message, Assert.ThrowsAny<ArgumentException>(() => projection.SetWeights(tensor(new[] { 1.0, 2, weight, 3 }).reshape(2, 2))).Message);
        Assert.ThrowsAny<ArgumentException>(() => network.Connect(sources, neurons, Connector.AllToAll, ReceptorType.Inhibitory, weight));
        // A refused matrix leaves the previous weights in place.
        using var kept = projection.GetWeights();
        Assert.Equal([0.0, 0, 0, 0], TensorAssert.Values(kept));
    }

    [Fact]
    public void Weight_matrices_must_fit_the_connector()
    {
        using var network = new NeuromorphicNetwork(new SubstrateEmulator(EmulatorOptions.Ideal));
        var sources = network.CreateSpikeSourceArray(2);
        var neurons = network.CreatePopulation(2);
        var diagonal = network.Connect(sources, neurons, Connector.OneToOne, ReceptorType.Excitatory, weight: 5);
        using (var w = diagonal.GetWeights()) Assert.Equal([5.0, 0, 0, 5], TensorAssert.Values(w));
        Assert.Equal(2, diagonal.SynapseCount);
        Assert.Contains("no synapse", Assert.ThrowsAny<ArgumentException>(() => diagonal.SetWeights(new double[,] { { 1, 2 }, { 0, 3 } })).Message);
        Assert.Contains("[2, 2]", Assert.ThrowsAny<ArgumentException>(() => diagonal.SetWeights(new double[3, 2])).Message);
        Assert.Contains("[pre, post]", Assert.ThrowsAny<ArgumentException>(() => diagonal.SetWeights(zeros(4))).Message);
        diagonal.SetWeights(new double[,] { { 7, 0 }, { 0, 63 } });
        using (var w = diagonal.GetWeights()) Assert.Equal([7.0, 0, 0, 63], TensorAssert.Values(w));
    }

    private static double[] Column(double[,] matrix) => [.. Enumerable.Range(0, matrix.GetLength(0)).Select(i => matrix[i, 0])];
}
