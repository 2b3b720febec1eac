namespace MetaSpike.Neuromorphic;

/// <summary>Which pre-synaptic neurons a <see cref="Projection"/> connects to which post-synaptic ones (PyNN's connectors).</summary>
public abstract class Connector
{
    private protected Connector() { }

    /// <summary>Every pre neuron to every post neuron.</summary>
    public static Connector AllToAll { get; } = new AllToAllConnector();

    /// <summary>Pre neuron i to post neuron i; both populations must have the same size.</summary>
    public static Connector OneToOne { get; } = new OneToOneConnector();

    /// <summary>The listed (pre, post) pairs; indices must lie inside the populations and pairs must not repeat.</summary>
    public static Connector FromList(IEnumerable<(int Pre, int Post)> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        return new ListConnector([.. connections]);
    }

    /// <summary>The synapse mask [pre, post], row-major: true where a synapse exists.</summary>
    /// <exception cref="ArgumentException">The connector does not fit the population sizes.</exception>
    internal abstract bool[] Mask(int preSize, int postSize);

    private sealed class AllToAllConnector : Connector
    {
        internal override bool[] Mask(int preSize, int postSize) => Enumerable.Repeat(true, preSize * postSize).ToArray();

        public override string ToString() => "AllToAll";
    }

    private sealed class OneToOneConnector : Connector
    {
        internal override bool[] Mask(int preSize, int postSize)
        {
            if (preSize != postSize)
                throw new ArgumentException($"a one-to-one projection needs populations of the same size, got {preSize} pre and {postSize} post neurons.");
            var mask = new bool[preSize * postSize];
            for (int i = 0; i < preSize; i++) mask[i * postSize + i] = true;
            return mask;
        }

        public override string ToString() => "OneToOne";
    }

    private sealed class ListConnector((int Pre, int Post)[] connections) : Connector
    {
        internal override bool[] Mask(int preSize, int postSize)
        {
            var mask = new bool[preSize * postSize];
            foreach (var (pre, post) in connections)
            {
                if ((uint)pre >= (uint)preSize || (uint)post >= (uint)postSize)
                    throw new ArgumentException($"connection ({pre}, {post}) lies outside the populations ({preSize} pre, {postSize} post neurons).");
                if (mask[pre * postSize + post]) throw new ArgumentException($"connection ({pre}, {post}) is listed twice.");
                mask[pre * postSize + post] = true;
            }
            return mask;
        }

        public override string ToString() => $"FromList({connections.Length} connections)";
    }
}
