using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MetaSpike.IO;
using MetaSpike.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Training;

/// <summary>
/// Saves and restores a training run in one file: the model's parameters and persistent buffers, the optimiser's
/// state (for Adam: step counts and both moments, so resumed training is bit-identical) and
/// <see cref="CheckpointMetadata"/> as JSON. Files are written atomically; loading checks the file's structure,
/// checksum and fit to the model and optimiser before changing either.
/// </summary>
/// <remarks>
/// Layout (little-endian): "MSPKCKPT", int32 format version, then sections META (UTF-8 JSON), MODL (int32 count;
/// per tensor its name, int32 dtype, int32 rank, int64 dims, int64 byte count, raw bytes) and OPTM (empty, or
/// TorchSharp's <c>OptimizerHelper.save_state_dict</c> stream), each as a 4-byte tag, int64 length and payload,
/// and finally a SHA-256 of everything before it. The whole file is built in memory (at most 2 GiB).
/// </remarks>
public static class Checkpoint
{
    /// <summary>The file format version this MetaSpike writes and reads.</summary>
    public const int FormatVersion = 1;

    private const int CopyBufferSize = 1 << 20;

    private static readonly JsonSerializerOptions JsonWriteOptions = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>This MetaSpike's version, as written into new checkpoints.</summary>
    public static string CurrentMetaSpikeVersion { get; } =
        typeof(Checkpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Checkpoint).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Writes a checkpoint to <paramref name="path"/>, replacing any file there atomically.</summary>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="model">The model whose <c>state_dict()</c> (parameters and persistent buffers) is saved.</param>
    /// <param name="optimizer">The optimiser whose state is saved, or null for a model-only checkpoint.</param>
    /// <param name="metadata">The epoch and user data; <see cref="CheckpointMetadata.MetaSpikeVersion"/> and
    /// <see cref="CheckpointMetadata.FormatVersion"/> are replaced by the current ones.</param>
    /// <exception cref="ArgumentOutOfRangeException">The epoch is negative.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(string path, nn.Module model, OptimizerHelper? optimizer, CheckpointMetadata metadata)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentOutOfRangeException.ThrowIfNegative(metadata.Epoch, nameof(metadata));
        if (metadata.UserData is null) throw new ArgumentException("the metadata's UserData is null.", nameof(metadata));
        TorchRuntime.EnsureLoaded();

        var bytes = CheckpointFile.Build(FormatVersion,
            writer => writer.Write(MetadataJson(metadata)),
            writer => WriteModel(writer, model),
            writer => optimizer?.save_state_dict(writer));
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>
    /// Restores <paramref name="model"/> and <paramref name="optimizer"/> in place from a checkpoint and returns its
    /// metadata. Either both are restored or, if anything does not fit, neither is changed.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">A model of the same architecture (same state_dict names, shapes and dtypes).</param>
    /// <param name="optimizer">An optimiser of the saved type over the model's parameters (same groups and
    /// parameter order), or null to restore only the model.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an intact checkpoint (bad magic, unsupported format
    /// version, truncated section, checksum, malformed JSON); the message names the path and the problem.</exception>
    /// <exception cref="ArgumentException">The model or optimiser does not match the checkpoint; the message lists every difference.</exception>
    public static CheckpointMetadata Load(string path, nn.Module model, OptimizerHelper? optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (bytes, sections, metadata) = Read(path);
        var tensors = MatchModel(path, sections[1], model);
        if (optimizer is not null) LoadOptimizer(path, sections[2], optimizer);
        CopyIntoModel(bytes, tensors);
        return metadata;
    }

    /// <summary>
    /// Restores only <paramref name="model"/> from the checkpoint's tensors whose names start with
    /// <paramref name="prefix"/> (e.g. "network." for the network inside a MAML learner's checkpoint); other tensors and
    /// the optimiser state are ignored, as are tensors under the prefix that the model does not have. Every model
    /// tensor must be found with its shape and dtype, or nothing changes.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an intact checkpoint.</exception>
    /// <exception cref="ArgumentException">The model does not match the tensors under the prefix; the message lists every difference.</exception>
    public static CheckpointMetadata LoadModel(string path, nn.Module model, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prefix);
        var (bytes, sections, metadata) = Read(path);
        CopyIntoModel(bytes, MatchModel(path, sections[1], model, prefix));
        return metadata;
    }

    /// <summary>Reads only a checkpoint's metadata (after checking the whole file's structure and checksum).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an intact checkpoint.</exception>
    public static CheckpointMetadata ReadMetadata(string path) => Read(path).Metadata;

    private static (byte[] Bytes, ArraySegment<byte>[] Sections, CheckpointMetadata Metadata) Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint '{path}' does not exist.", path);
        TorchRuntime.EnsureLoaded();
        var bytes = File.ReadAllBytes(path);
        var sections = CheckpointFile.Parse(path, bytes, FormatVersion);
        return (bytes, sections, ParseMetadata(path, sections[0]));
    }

    private static byte[] MetadataJson(CheckpointMetadata metadata) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["format_version"] = FormatVersion,
            ["metaspike_version"] = CurrentMetaSpikeVersion,
            ["epoch"] = metadata.Epoch,
            ["user_data"] = metadata.UserData.DeepClone(),
        }, JsonWriteOptions);

    private static CheckpointMetadata ParseMetadata(string path, ArraySegment<byte> section)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(section.AsSpan()) as JsonObject
                ?? throw CheckpointFile.Corrupt(path, "the metadata is not a JSON object");
        }
        catch (JsonException e)
        {
            throw CheckpointFile.Corrupt(path, $"the metadata is not valid JSON ({e.Message})", e);
        }
        int Integer(string name) =>
            root[name] is JsonValue v && v.TryGetValue<int>(out var value) ? value
            : throw CheckpointFile.Corrupt(path, $"the metadata's '{name}' is missing or not an integer");
        int format = Integer("format_version");
        if (format != FormatVersion)
            throw CheckpointFile.Corrupt(path, $"the metadata says format version {format}, the header {FormatVersion}");
        int epoch = Integer("epoch");
        if (epoch < 0) throw CheckpointFile.Corrupt(path, $"the metadata's epoch {epoch} is negative");
        var version = root["metaspike_version"] is JsonValue s && s.TryGetValue<string>(out var text) ? text
            : throw CheckpointFile.Corrupt(path, "the metadata's 'metaspike_version' is missing or not a string");
        if (root["user_data"] is not JsonObject user)
            throw CheckpointFile.Corrupt(path, "the metadata's 'user_data' is missing or not an object");
        root.Remove("user_data");
        return new CheckpointMetadata { Epoch = epoch, UserData = user, MetaSpikeVersion = version, FormatVersion = format };
    }

    private static void WriteModel(BinaryWriter writer, nn.Module model)
    {
        var state = model.state_dict();
        writer.Write(state.Count);
        foreach (var (name, tensor) in state)
        {
            using var scope = torch.NewDisposeScope();
            var data = tensor.detach().cpu().contiguous();
            writer.Write(name);
            writer.Write((int)data.dtype);
            writer.Write(data.shape.Length);
            foreach (var dim in data.shape) writer.Write(dim);
            writer.Write(data.NumberOfElements * data.ElementSize);
            writer.Flush();
            data.WriteBytesToStream(writer.BaseStream, CopyBufferSize);
        }
    }

    /// <summary>A saved tensor paired with the model tensor it restores; the bytes lie at Offset in the file.</summary>
    private sealed record TensorSlot(Tensor Target, int Offset, int Length);

    private sealed record SavedTensor(string Name, ScalarType DType, long[] Shape, int Offset, int Length);

    /// <summary>Pairs saved tensors with the model's state_dict, reporting every mismatch before anything is copied.</summary>
    /// <remarks>With a <paramref name="prefix"/>, only saved tensors under it are considered and those the model lacks are ignored.</remarks>
    private static List<TensorSlot> MatchModel(string path, ArraySegment<byte> section, nn.Module model, string? prefix = null)
    {
        var state = model.state_dict();
        var saved = prefix is null ? ParseModel(path, section)
            : ParseModel(path, section)
                .Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal))
                .Select(e => e with { Name = e.Name[prefix.Length..] })
                .Where(e => state.ContainsKey(e.Name))
                .ToList();
        var problems = new List<string>();
        var slots = new List<TensorSlot>();
        foreach (var entry in saved)
        {
            if (!state.TryGetValue(entry.Name, out var target))
            {
                problems.Add($"'{entry.Name}' is in the checkpoint but not in the model");
                continue;
            }
            if (entry.DType != target.dtype)
                problems.Add($"'{entry.Name}' is {entry.DType} in the checkpoint, {target.dtype} in the model");
            else if (!entry.Shape.SequenceEqual(target.shape))
                problems.Add($"'{entry.Name}' has shape {Shape(entry.Shape)} in the checkpoint, {Shape(target.shape)} in the model");
            else if (entry.Length != target.NumberOfElements * target.ElementSize)
                throw CheckpointFile.Corrupt(path, $"tensor '{entry.Name}' has {entry.Length} bytes, not {target.NumberOfElements * target.ElementSize}");
            else
                slots.Add(new TensorSlot(target, entry.Offset, entry.Length));
        }
        var savedNames = saved.Select(e => e.Name).ToHashSet();
        problems.AddRange(state.Keys.Where(n => !savedNames.Contains(n)).Select(n => $"'{n}' is in the model but not in the checkpoint"));
        if (problems.Count > 0)
            throw new ArgumentException(
                $"checkpoint '{path}' does not fit the model ({problems.Count} difference(s)):{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", problems) + Environment.NewLine +
                "It was saved from a model built with other settings (layers, sizes, learnt step sizes, ...): load it into a model built " +
                "the same way, or start over without it (the training commands' --fresh).", nameof(model));
        return slots;
    }

    private static List<SavedTensor> ParseModel(string path, ArraySegment<byte> section)
    {
        var entries = new List<SavedTensor>();
        using var stream = new MemoryStream(section.Array!, section.Offset, section.Count, writable: false);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            int count = reader.ReadInt32();
            if (count < 0) throw CheckpointFile.Corrupt(path, $"the model section declares {count} tensors");
            for (int i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                var dtype = (ScalarType)reader.ReadInt32();
                int rank = reader.ReadInt32();
                if (rank < 0 || rank > stream.Length - stream.Position)
                    throw CheckpointFile.Corrupt(path, $"tensor '{name}' declares rank {rank}");
                var shape = new long[rank];
                for (int d = 0; d < rank; d++) shape[d] = reader.ReadInt64();
                long length = reader.ReadInt64();
                if (length < 0 || length > stream.Length - stream.Position)
                    throw CheckpointFile.Corrupt(path, $"tensor '{name}' declares {length} bytes but only {stream.Length - stream.Position} remain in the model section");
                entries.Add(new SavedTensor(name, dtype, shape, section.Offset + (int)stream.Position, (int)length));
                stream.Position += length;
            }
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            throw CheckpointFile.Corrupt(path, $"the model section is malformed ({e.Message})", e);
        }
        if (stream.Position != stream.Length)
            throw CheckpointFile.Corrupt(path, $"the model section has {stream.Length - stream.Position} unexpected trailing bytes");
        var duplicate = entries.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw CheckpointFile.Corrupt(path, $"tensor '{duplicate.Key}' appears twice in the model section");
        return entries;
    }

    private static void CopyIntoModel(byte[] bytes, List<TensorSlot> slots)
    {
        using var _ = torch.no_grad();
        foreach (var slot in slots)
        {
            using var scope = torch.NewDisposeScope();
            var buffer = torch.empty(slot.Target.shape, dtype: slot.Target.dtype, device: CPU);
            using var stream = new MemoryStream(bytes, slot.Offset, slot.Length, writable: false);
            buffer.ReadBytesFromStream(stream, CopyBufferSize);
            slot.Target.copy_(buffer);
        }
    }

    /// <summary>Loads the optimiser section; on any failure the optimiser's previous state is put back.</summary>
    private static void LoadOptimizer(string path, ArraySegment<byte> section, OptimizerHelper optimizer)
    {
        if (section.Count == 0)
            throw new ArgumentException($"checkpoint '{path}' holds no optimizer state (it was saved without an optimizer); pass null to restore only the model.", nameof(optimizer));
        string savedType;
        try
        {
            using var reader = new BinaryReader(new MemoryStream(section.Array!, section.Offset, section.Count, writable: false), Encoding.UTF8);
            savedType = reader.ReadString();
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            throw CheckpointFile.Corrupt(path, $"the optimizer section is malformed ({e.Message})", e);
        }
        if (savedType != optimizer.GetType().Name)
            throw new ArgumentException($"checkpoint '{path}' holds {savedType} state; the optimizer is {optimizer.GetType().Name}.", nameof(optimizer));

        byte[] backup;
        using (var stream = new MemoryStream())
        {
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(writer);
            backup = stream.ToArray();
        }
        try
        {
            LoadOptimizerState(optimizer, section);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or EndOfStreamException or FormatException)
        {
            LoadOptimizerState(optimizer, backup);
            if (e is ArgumentException)
                throw new ArgumentException($"checkpoint '{path}': its {savedType} state does not fit the optimizer ({e.Message}). " +
                    "Build the optimizer over the same parameters, in the same order and groups, as the saved one.", nameof(optimizer), e);
            throw CheckpointFile.Corrupt(path, $"the optimizer section is malformed ({e.Message})", e);
        }
    }

    private static void LoadOptimizerState(OptimizerHelper optimizer, ArraySegment<byte> state)
    {
        using var scope = torch.NewDisposeScope();
        using var stream = new MemoryStream(state.Array!, state.Offset, state.Count, writable: false);
        try
        {
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            optimizer.load_state_dict(reader);
        }
        finally
        {
            // Tensors created while loading (e.g. SGD momentum buffers) now belong to the optimizer, not to any scope.
            scope.Detach(scope.DisposablesView.ToArray());
        }
        if (stream.Position != stream.Length)
            throw new InvalidDataException($"{stream.Length - stream.Position} bytes of optimizer state were left unread");
    }

    private static string Shape(IEnumerable<long> shape) => TensorText.Shape(shape);
}
