namespace MetaSpike.Neurons;

/// <summary>What happens to the membrane after a spike (applied at the next step, from the previous step's spike).</summary>
public enum ResetMode
{
    /// <summary>Hard reset: V becomes V_reset (V·(1-s) + V_reset·s), the input of that step is discarded.</summary>
    ToValue,

    /// <summary>Soft reset: V_th - V_reset is subtracted, keeping the overshoot.</summary>
    Subtract,

    /// <summary>No reset (the membrane keeps integrating).</summary>
    None,
}

/// <summary>How the input of a leaky membrane enters the potential.</summary>
public enum InputKind
{
    /// <summary>
    /// The input is a current I (mA) and tau dV/dt = -(V - V_rest) + R·I is integrated exactly over dt for I
    /// constant within the step: V ← V_rest + β(V - V_rest) + (1 - β)·R·I, β = exp(-dt/tau) (brainpy's exponential Euler).
    /// </summary>
    Current,

    /// <summary>The input is a voltage jump added each step: V ← V_rest + β(V - V_rest) + I (snntorch Leaky, the benchmark neuron).</summary>
    VoltageJump,
}
