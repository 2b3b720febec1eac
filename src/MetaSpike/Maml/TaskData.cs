using System.Buffers;
using System.Runtime.InteropServices;
using MetaSpike.Data;
using MetaSpike.Data.FewShot;
using MetaSpike.Data.Generators;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Maml;

/// <summary>One task's tensors: support and query frames [T, batch, C, H, W] (float32) and labels [batch] (int64).</summary>
public sealed record TaskData(Tensor SupportFrames, Tensor SupportLabels, Tensor QueryFrames, Tensor QueryLabels) : IDisposable
{
    /// <summary>The task moved to <paramref name="device"/> (the same object where it is already there).</summary>
    public TaskData To(Device device) => SupportFrames.device == device ? this
        : new TaskData(SupportFrames.to(device), SupportLabels.to(device), QueryFrames.to(device), QueryLabels.to(device));

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        SupportFrames.Dispose();
        SupportLabels.Dispose();
        QueryFrames.Dispose();
        QueryLabels.Dispose();
    }
}

/// <summary>
/// Turns a meta-dataset's few-shot tasks into tensors: one <see cref="TaskSampler"/> per split (seeded from the
/// loader's seed and the split, so task i of a split is always the same), samples binned with the dataset's
/// <see cref="MetaDataset.Binning"/> in parallel.
/// </summary>
public sealed class FewShotTaskLoader
{
    private readonly TaskSampler[] _samplers;

    /// <summary>Creates the loader.</summary>
    /// <exception cref="ArgumentException">A split cannot give <paramref name="ways"/>-way <paramref name="shots"/>-shot tasks with <paramref name="queries"/> queries.</exception>
    public FewShotTaskLoader(MetaDataset dataset, int ways, int shots, int queries, int seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Dataset = dataset;
        var splits = new[] { dataset.Splits.Train, dataset.Splits.Validation, dataset.Splits.Test };
        _samplers = splits.Select((s, i) => new TaskSampler(s, ways, shots, queries, Seeds.Mix32(seed, i))).ToArray();
        (Ways, Shots, Queries, Seed) = (ways, shots, queries, seed);
        var probe = splits[0].Source;
        if (dataset.Binning.Steps is null) throw new ArgumentException("the meta-dataset's binning must fix the number of steps (every sample the same length).", nameof(dataset));
        FrameShape = EventBinning.Shape(EventStream.Empty(probe.Width, probe.Height), dataset.Binning);
    }

    /// <summary>The meta-dataset.</summary>
    public MetaDataset Dataset { get; }

    /// <summary>N.</summary>
    public int Ways { get; }

    /// <summary>K.</summary>
    public int Shots { get; }

    /// <summary>Queries per class.</summary>
    public int Queries { get; }

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>One sample's frame shape [T, C, H, W].</summary>
    public FrameShape FrameShape { get; }

    /// <summary>The sampler of a split.</summary>
    public TaskSampler Sampler(MetaSplit split) => _samplers[(int)split];

    /// <summary>Task <paramref name="index"/> of <paramref name="split"/> as tensors on the CPU.</summary>
    public TaskData Load(MetaSplit split, int index)
    {
        var sampler = Sampler(split);
        var task = sampler.Sample(index);
        var source = sampler.Split.Source;
        return new TaskData(Frames(source, task.Support.Select(s => s.Index).ToArray()), Labels(task.Support),
            Frames(source, task.Query.Select(s => s.Index).ToArray()), Labels(task.Query));
    }

    /// <summary>Samples of <paramref name="source"/> binned and stacked into [T, batch, C, H, W].</summary>
    public Tensor Frames(IEventDataset source, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        int length = FrameShape.Length;
        // Pooled per-sample buffers: large fresh arrays per task would force frequent full garbage collections.
        var buffers = new float[indices.Count][];
        try
        {
            Parallel.For(0, indices.Count, b =>
            {
                buffers[b] = ArrayPool<float>.Shared.Rent(length);
                var events = source.Read(indices[b]).Events;
                var shape = EventBinning.ToFrames(events, Dataset.Binning, buffers[b].AsSpan(0, length));
                if (shape != FrameShape)
                    throw new InvalidDataException($"sample {indices[b]} of {source.Name} bins to {shape}, not {FrameShape} like the others.");
            });
            using var batchFirst = zeros([indices.Count, FrameShape.Steps, FrameShape.Channels, FrameShape.Height, FrameShape.Width], ScalarType.Float32);
            var target = MemoryMarshal.Cast<byte, float>(batchFirst.bytes);
            for (int b = 0; b < indices.Count; b++) buffers[b].AsSpan(0, length).CopyTo(target.Slice(b * length, length));
            return batchFirst.transpose(0, 1).contiguous();
        }
        finally
        {
            foreach (var buffer in buffers)
                if (buffer is not null) ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private static Tensor Labels(IReadOnlyList<(int Index, int Label)> pairs) => tensor(pairs.Select(p => (long)p.Label).ToArray(), ScalarType.Int64);
}
