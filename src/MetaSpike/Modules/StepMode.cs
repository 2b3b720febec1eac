namespace MetaSpike.Modules;

/// <summary>How a <see cref="SpikingModule"/>'s <c>forward</c> reads its input.</summary>
public enum StepMode
{
    /// <summary>One time step: input [batch, ...]. The caller loops over time.</summary>
    Single,

    /// <summary>A whole sequence: input [T, batch, ...]. Feed-forward layers run all T steps as one batch of T*batch; only neurons loop over time.</summary>
    Multi,
}
