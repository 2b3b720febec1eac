namespace MetaSpike.Neuromorphic;

/// <summary>
/// A neuromorphic substrate that runs experiments: the software <see cref="SubstrateEmulator"/>, or a driver for
/// real accelerated analog hardware. <see cref="NeuromorphicNetwork"/> (the PyNN-like front end) talks only to
/// this interface.
/// </summary>
public interface INeuromorphicBackend
{
    /// <summary>Neurons, weight range, time grid and ADC range of the substrate.</summary>
    SubstrateProperties Properties { get; }

    /// <summary>
    /// Runs <paramref name="experiment"/> and returns one <see cref="RecordedData"/> per neuron group, in order
    /// (with only what the group asked to record). The caller owns the results.
    /// </summary>
    /// <exception cref="ArgumentException">The experiment does not fit the substrate or is inconsistent.</exception>
    IReadOnlyList<RecordedData> Execute(Experiment experiment);
}
