namespace MetaSpike.Tests;

/// <summary>
/// Tests that seed torch's global generator and compare runs. The generator is process-wide, so these tests run
/// alone (never beside another test that draws random numbers).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRandomCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "torch global generator";
}
