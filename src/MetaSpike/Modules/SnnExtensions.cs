using MetaSpike.Units;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Modules;

/// <summary>Network-wide operations on any module tree that contains <see cref="SpikingModule"/>s (including user-written containers).</summary>
public static class SnnExtensions
{
    /// <summary>Starts a new batch: every spiking module in the tree resets its state for <paramref name="batch"/> samples.</summary>
    public static void ResetState(this nn.Module module, long batch)
    {
        if (batch < 1) throw new ArgumentException($"batch must be >= 1, got {batch}.", nameof(batch));
        foreach (var m in SpikingModules(module)) m.ResetOwnState(batch);
    }

    /// <summary>Detaches every spiking module's state from the gradient graph, keeping its values.</summary>
    public static void DetachState(this nn.Module module)
    {
        foreach (var m in SpikingModules(module)) m.DetachOwnState();
    }

    /// <summary>Sets how every spiking module in the tree reads its input.</summary>
    public static void SetStepMode(this nn.Module module, StepMode mode)
    {
        foreach (var m in SpikingModules(module)) m.StepMode = mode;
    }

    /// <summary>Sets the simulation time step of every spiking module in the tree (once per simulation).</summary>
    /// <exception cref="ArgumentException">dt is not a finite duration &gt; 0.</exception>
    public static void SetDt(this nn.Module module, Time dt)
    {
        dt.RequirePositive(nameof(dt));
        foreach (var m in SpikingModules(module)) m.Dt = dt;
    }

    /// <summary>
    /// Turns the fused CPU kernels on or off for every layer in the tree that has one (<see cref="Neurons.IFusable"/>);
    /// layers whose configuration the kernel cannot reproduce stay unfused. Returns how many layers are now fused.
    /// </summary>
    public static int SetFused(this nn.Module module, bool fused)
    {
        int count = 0;
        foreach (var layer in Descendants(module).OfType<Neurons.IFusable>())
        {
            bool on = fused && layer.FusedUnsupportedReason is null;
            layer.Fused = on;
            if (on) count++;
        }
        return count;
    }

    /// <summary>The module and all its descendants, depth first.</summary>
    public static IEnumerable<nn.Module> Descendants(this nn.Module module)
    {
        yield return module;
        foreach (var child in module.children())
        foreach (var m in Descendants(child))
            yield return m;
    }

    private static IEnumerable<SpikingModule> SpikingModules(nn.Module module) =>
        Descendants(module).OfType<SpikingModule>();
}
