using System.Text.Json.Nodes;

namespace MetaSpike.Training;

/// <summary>
/// The JSON part of a <see cref="Checkpoint"/>: the epoch, free-form user data, and the versions that wrote it.
/// </summary>
public sealed record CheckpointMetadata
{
    /// <summary>Epochs completed when the checkpoint was written, i.e. the 0-based epoch to resume at; &gt;= 0.</summary>
    public int Epoch { get; init; }

    /// <summary>
    /// Free-form user data, e.g. metric history or the run's settings. Saved as a copy; non-finite numbers are
    /// written as System.Text.Json's named literals and read back as the strings "NaN", "Infinity", "-Infinity".
    /// </summary>
    public JsonObject UserData { get; init; } = [];

    /// <summary>The MetaSpike version that wrote the checkpoint (for a new object, this MetaSpike's version).</summary>
    public string MetaSpikeVersion { get; internal init; } = Checkpoint.CurrentMetaSpikeVersion;

    /// <summary>The checkpoint file format version (for a new object, <see cref="Checkpoint.FormatVersion"/>).</summary>
    public int FormatVersion { get; internal init; } = Checkpoint.FormatVersion;
}
