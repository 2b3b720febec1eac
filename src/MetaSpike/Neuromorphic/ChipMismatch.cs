using MetaSpike.Runtime;

namespace MetaSpike.Neuromorphic;

/// <summary>
/// The fixed-pattern deviations of one chip: for every hardware neuron, multiplicative factors on its time
/// constants and synaptic gains and offsets (LSB) on its leak, reset and threshold. Drawn once from the chip seed
/// (the same seed gives the same chip on every machine) and never change.
/// </summary>
public sealed class ChipMismatch
{
    private readonly double[] _tauMem, _tauSynExc, _tauSynInh, _leak, _reset, _threshold, _gainExc, _gainInh;

    /// <summary>Draws the pattern of <paramref name="neuronCount"/> neurons from <paramref name="chipSeed"/>.</summary>
    public ChipMismatch(int neuronCount, long chipSeed, MismatchLevels levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var random = new Random(Seeds.Mix32(chipSeed, 0x4D49534DL)); // "MISM"
        double[] Factors(double spread) => Draw(random, neuronCount, z => Math.Exp(spread * z));
        double[] Offsets(double spread) => Draw(random, neuronCount, z => spread * z);
        // Every field is drawn, whatever its level, so one level's change leaves the others' patterns alone.
        _tauMem = Factors(levels.TauMemRelative);
        _tauSynExc = Factors(levels.TauSynRelative);
        _tauSynInh = Factors(levels.TauSynRelative);
        _leak = Offsets(levels.LeakLsb);
        _reset = Offsets(levels.ResetLsb);
        _threshold = Offsets(levels.ThresholdLsb);
        _gainExc = Factors(levels.SynapticGainRelative);
        _gainInh = Factors(levels.SynapticGainRelative);
        NeuronCount = neuronCount;
    }

    /// <summary>Neurons on the chip.</summary>
    public int NeuronCount { get; }

    /// <summary>
    /// The parameters hardware neuron <paramref name="hardwareNeuron"/> really has when configured with
    /// <paramref name="nominal"/> (the emulator's ground truth; a real chip would not tell).
    /// </summary>
    public NeuronParameters Apply(int hardwareNeuron, NeuronParameters nominal)
    {
        ArgumentNullException.ThrowIfNull(nominal);
        int n = Checked(hardwareNeuron);
        return nominal with
        {
            TauMemUs = nominal.TauMemUs * _tauMem[n],
            TauSynExcUs = nominal.TauSynExcUs * _tauSynExc[n],
            TauSynInhUs = nominal.TauSynInhUs * _tauSynInh[n],
            LeakLsb = nominal.LeakLsb + _leak[n],
            ResetLsb = nominal.ResetLsb + _reset[n],
            ThresholdLsb = nominal.ThresholdLsb + _threshold[n],
        };
    }

    /// <summary>The factor on the excitatory synaptic gain of <paramref name="hardwareNeuron"/>.</summary>
    public double ExcitatoryGainFactor(int hardwareNeuron) => _gainExc[Checked(hardwareNeuron)];

    /// <summary>The factor on the inhibitory synaptic gain of <paramref name="hardwareNeuron"/>.</summary>
    public double InhibitoryGainFactor(int hardwareNeuron) => _gainInh[Checked(hardwareNeuron)];

    private int Checked(int hardwareNeuron) => (uint)hardwareNeuron < (uint)NeuronCount
        ? hardwareNeuron
        : throw new ArgumentOutOfRangeException(nameof(hardwareNeuron), $"hardware neuron {hardwareNeuron} is outside 0 .. {NeuronCount - 1}.");

    private static double[] Draw(Random random, int count, Func<double, double> map)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            // Box-Muller: one standard normal per neuron.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            values[i] = map(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }
        return values;
    }
}
