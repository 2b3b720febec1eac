using System.Numerics;
using PureHDF;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace MetaSpike.Data.Readers;

/// <summary>The small per-sample data of an SHD file: everything but the spikes.</summary>
/// <param name="Count">Number of samples.</param>
/// <param name="Labels">Class index per sample (<c>labels</c>), as stored.</param>
/// <param name="Speakers">Speaker per sample (<c>extra/speaker</c>), or null when the file has none.</param>
/// <param name="ClassNames">Class names (<c>extra/keys</c>), indexed by label.</param>
public sealed record ShdIndex(int Count, IReadOnlyList<int> Labels, IReadOnlyList<int>? Speakers, IReadOnlyList<string> ClassNames);

/// <summary>
/// Reads Spiking Heidelberg Digits files (Cramer et al. 2020; <c>shd_train.h5</c>, <c>shd_test.h5</c>): HDF5 with
/// <c>spikes/times</c> (one variable-length array of spike times in seconds per sample; float16, float32 or float64),
/// <c>spikes/units</c> (one variable-length array of cochlea channels 0..699 per sample; any integer width),
/// <c>labels</c>, <c>extra/speaker</c> and <c>extra/keys</c> (the 20 class names). Each spike becomes an event
/// x = unit, y = 0, polarity = 0, t = round(seconds * 1e6) µs, on a 700 x 1 sensor.
/// </summary>
public static class ShdFile
{
    /// <summary>Number of input channels (the sensor width).</summary>
    public const int Units = 700;

    /// <summary>Reads the labels, speakers, class names and sample count of <paramref name="path"/>, not the spikes.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="EventFormatException">The file is not HDF5, a dataset is missing or has the wrong type or length.</exception>
    public static ShdIndex ReadIndex(string path)
    {
        using var file = OpenFile(path);
        return Guard(path, () =>
        {
            var count = SampleCount(file, path);
            var labels = Integers(file, path, "labels", count);
            var speakers = file.LinkExists("extra/speaker") ? Integers(file, path, "extra/speaker", count) : null;
            var keys = Dataset(file, path, "extra/keys");
            if (keys.Type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength))
                throw new EventFormatException(path, $"extra/keys holds {keys.Type.Class} data, not strings");
            var names = keys.Read<string[]>().Select(k => (k ?? "").TrimEnd('\0', ' ')).ToArray();
            return new ShdIndex(count, labels, speakers, names);
        });
    }

    /// <summary>Reads the spikes of sample <paramref name="index"/> (only that sample's ragged arrays).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside 0 .. Count-1.</exception>
    /// <exception cref="EventFormatException">The file is not HDF5, a dataset is missing, or the sample is bad: times and
    /// units of different lengths, a unit outside 0..699, a time negative or not finite.</exception>
    public static EventStream ReadSample(string path, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        using var file = OpenFile(path);
        return Guard(path, () =>
        {
            var count = SampleCount(file, path);
            if (index >= count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{path} holds {count} samples.");
            var timesUs = Times(Dataset(file, path, "spikes/times"), path, index);
            var units = Channels(Dataset(file, path, "spikes/units"), path, index);
            if (timesUs.Length != units.Length)
                throw new EventFormatException(path, $"sample {index}: spikes/times has {timesUs.Length} entries but spikes/units has {units.Length}", record: index);
            return new EventStream(timesUs, units, new ushort[units.Length], new byte[units.Length], Units, 1);
        });
    }

    private static NativeFile OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"SHD file '{path}' does not exist.", path);
        return Guard(path, () => H5File.OpenRead(path));
    }

    /// <summary>Runs a PureHDF read, turning its exceptions (plain <see cref="Exception"/>s about the file) into
    /// <see cref="EventFormatException"/>.</summary>
    private static T Guard<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not (EventFormatException or ArgumentOutOfRangeException or OutOfMemoryException))
        {
            throw new EventFormatException(path, $"cannot be read as an SHD HDF5 file: {e.Message}", inner: e);
        }
    }

    private static IH5Dataset Dataset(NativeFile file, string path, string name)
    {
        if (!file.LinkExists(name)) throw new EventFormatException(path, $"the dataset '{name}' is missing");
        if (file.Get(name) is not IH5Dataset dataset) throw new EventFormatException(path, $"'{name}' is not a dataset");
        return dataset;
    }

    private static int Length(IH5Dataset dataset, string path, string name)
    {
        var dims = dataset.Space.Dimensions;
        if (dims.Length != 1 || dims[0] > int.MaxValue)
            throw new EventFormatException(path, $"'{name}' must be one-dimensional, its shape is ({string.Join(", ", dims)})");
        return (int)dims[0];
    }

    /// <summary>The number of samples, checked to agree between spikes/times and spikes/units.</summary>
    private static int SampleCount(NativeFile file, string path)
    {
        var count = Length(Dataset(file, path, "spikes/times"), path, "spikes/times");
        var units = Length(Dataset(file, path, "spikes/units"), path, "spikes/units");
        if (units != count) throw new EventFormatException(path, $"spikes/times holds {count} samples but spikes/units holds {units}");
        return count;
    }

    /// <summary>A one-dimensional integer dataset of <paramref name="count"/> entries, of any integer width.</summary>
    private static int[] Integers(NativeFile file, string path, string name, int count)
    {
        var dataset = Dataset(file, path, name);
        if (Length(dataset, path, name) != count)
            throw new EventFormatException(path, $"'{name}' has {dataset.Space.Dimensions[0]} entries but spikes/times holds {count} samples");
        return ByIntegerType(dataset.Type, path, name, new WholeDataset(dataset, path, name));
    }

    /// <summary>Reads integers as the .NET type matching the stored width and sign (PureHDF decodes only into a type
    /// of the stored size).</summary>
    private interface IIntegerRead<out TResult>
    {
        TResult Read<T>() where T : unmanaged, IBinaryInteger<T>;
    }

    private static TResult ByIntegerType<TResult>(IH5DataType type, string path, string name, IIntegerRead<TResult> read)
    {
        if (type.Class != H5DataTypeClass.FixedPoint) throw new EventFormatException(path, $"'{name}' holds {type.Class} data, not integers");
        return (type.Size, type.FixedPoint.IsSigned) switch
        {
            (1, false) => read.Read<byte>(),
            (1, true) => read.Read<sbyte>(),
            (2, false) => read.Read<ushort>(),
            (2, true) => read.Read<short>(),
            (4, false) => read.Read<uint>(),
            (4, true) => read.Read<int>(),
            (8, false) => read.Read<ulong>(),
            (8, true) => read.Read<long>(),
            _ => throw new EventFormatException(path, $"'{name}' holds {type.Size}-byte integers"),
        };
    }

    private readonly record struct WholeDataset(IH5Dataset Dataset, string Path, string Name) : IIntegerRead<int[]>
    {
        public int[] Read<T>() where T : unmanaged, IBinaryInteger<T> => ToInt32(Dataset.Read<T[]>(), Path, Name);
    }

    private readonly record struct OneSampleChannels(IH5Dataset Dataset, string Path, int Index) : IIntegerRead<ushort[]>
    {
        public ushort[] Read<T>() where T : unmanaged, IBinaryInteger<T> => ToChannels(Row<T>(Dataset, Index), Path, Index);
    }

    private static int[] ToInt32<T>(T[] values, string path, string name) where T : IBinaryInteger<T>
    {
        var result = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var value = long.CreateSaturating(values[i]);
            if (value is < int.MinValue or > int.MaxValue)
                throw new EventFormatException(path, $"'{name}' entry {value} does not fit an int", record: i);
            result[i] = (int)value;
        }
        return result;
    }

    /// <summary>The variable-length element <paramref name="index"/> of <paramref name="dataset"/>, read alone.</summary>
    private static T[] Row<T>(IH5Dataset dataset, int index) =>
        dataset.Read<T[][]>(fileSelection: new HyperslabSelection((ulong)index, 1))[0] ?? [];

    private static IH5DataType ElementType(IH5Dataset dataset, string path, string name) =>
        dataset.Type.Class == H5DataTypeClass.VariableLength
            ? dataset.Type.VariableLength.BaseType
            : throw new EventFormatException(path, $"'{name}' must hold one variable-length array per sample, not {dataset.Type.Class} data");

    private static long[] Times(IH5Dataset dataset, string path, int index)
    {
        var type = ElementType(dataset, path, "spikes/times");
        if (type.Class != H5DataTypeClass.FloatingPoint)
            throw new EventFormatException(path, $"spikes/times holds {type.Class} data, not floating-point seconds");
        return type.Size switch
        {
            2 => ToMicroseconds(Row<Half>(dataset, index), path, index),
            4 => ToMicroseconds(Row<float>(dataset, index), path, index),
            8 => ToMicroseconds(Row<double>(dataset, index), path, index),
            _ => throw new EventFormatException(path, $"spikes/times holds {type.Size}-byte floats"),
        };
    }

    private static long[] ToMicroseconds<T>(T[] seconds, string path, int index) where T : IFloatingPointIeee754<T>
    {
        // Beyond this, seconds * 1e6 no longer fits a long.
        const double MaxSeconds = 9.2e12;
        var result = new long[seconds.Length];
        for (var i = 0; i < seconds.Length; i++)
        {
            var s = double.CreateChecked(seconds[i]);
            if (!(s >= 0 && s <= MaxSeconds))
                throw new EventFormatException(path, $"sample {index}: spike {i} has time {s} s; times must be finite and >= 0", record: index);
            result[i] = (long)Math.Round(s * 1e6);
        }
        return result;
    }

    private static ushort[] Channels(IH5Dataset dataset, string path, int index)
    {
        var type = ElementType(dataset, path, "spikes/units");
        return ByIntegerType(type, path, "spikes/units", new OneSampleChannels(dataset, path, index));
    }

    private static ushort[] ToChannels<T>(T[] units, string path, int index) where T : IBinaryInteger<T>
    {
        var result = new ushort[units.Length];
        for (var i = 0; i < units.Length; i++)
        {
            var unit = long.CreateSaturating(units[i]);
            if (unit is < 0 or >= Units)
                throw new EventFormatException(path, $"sample {index}: spike {i} has unit {unit}, outside 0..{Units - 1}", record: index);
            result[i] = (ushort)unit;
        }
        return result;
    }
}
