namespace MetaSpike.Neuromorphic;

/// <summary>What a substrate offers: its neurons, weight resolution, time grid and ADC range.</summary>
/// <param name="Name">A human-readable name of the backend.</param>
/// <param name="NeuronCount">Hardware neurons available to populations.</param>
/// <param name="MaxWeight">The largest integer synaptic weight (weights are 0 .. MaxWeight; 63 for 6-bit synapses).</param>
/// <param name="DtUs">The time grid in µs on which inputs are binned and data helpers resample by default.</param>
/// <param name="AdcMaxLsb">The largest membrane ADC value (1023 for 10 bits).</param>
public sealed record SubstrateProperties(string Name, int NeuronCount, int MaxWeight, double DtUs, int AdcMaxLsb);
