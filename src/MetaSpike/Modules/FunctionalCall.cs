using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Modules;

/// <summary>
/// Reads a module's parameters as one flat list and runs the module with another list in their place, so that
/// the result is a differentiable function of the given tensors. MAML's inner loop uses it: adapted weights are
/// ordinary tensors (w - lr * grad), never copied into the module.
/// </summary>
/// <remarks>The order is that of <c>named_parameters()</c>. Every module that owns parameters must be a MetaSpike module (layers, neurons, surrogates).</remarks>
public static class FunctionalCall
{
    /// <summary>The parameter names, in the order of <see cref="Parameters"/>.</summary>
    public static IReadOnlyList<string> ParameterNames(nn.Module module) =>
        module.named_parameters().Select(p => p.name).ToArray();

    /// <summary>The module's parameters as a flat list, in <c>named_parameters()</c> order.</summary>
    public static IReadOnlyList<Tensor> Parameters(nn.Module module) =>
        module.named_parameters().Select(p => (Tensor)p.parameter).ToArray();

    /// <summary>
    /// Makes the module read <paramref name="parameters"/> (same order, shapes and dtypes as <see cref="Parameters"/>)
    /// instead of its own until the returned handle is disposed.
    /// </summary>
    /// <exception cref="ArgumentException">The count, a shape or a dtype differs.</exception>
    /// <exception cref="NotSupportedException">A module that owns parameters cannot have them replaced (not a MetaSpike module).</exception>
    public static IDisposable Use(nn.Module module, IReadOnlyList<Tensor> parameters)
    {
        var named = module.named_parameters().ToArray();
        if (parameters.Count != named.Length)
            throw new ArgumentException($"{module.GetType().Name} has {named.Length} parameters; {parameters.Count} tensors were given.", nameof(parameters));
        var owners = OwnersByPath(module);
        var perOwner = new Dictionary<IParameterOverridable, Dictionary<string, Tensor>>();
        for (int i = 0; i < named.Length; i++)
        {
            var (name, own) = named[i];
            var given = parameters[i];
            if (!given.shape.SequenceEqual(own.shape) || given.dtype != own.dtype)
                throw new ArgumentException(
                    $"parameter {i} '{name}' is {own.dtype} {own.ShapeText()}; the tensor given for it is {given.dtype} {given.ShapeText()}.",
                    nameof(parameters));
            int dot = name.LastIndexOf('.');
            var path = dot < 0 ? string.Empty : name[..dot];
            var owner = owners[path] as IParameterOverridable
                ?? throw new NotSupportedException(
                    $"parameter '{name}' belongs to a {owners[path].GetType().Name}, which cannot run with given parameters; build the network from MetaSpike layers and neurons.");
            if (!perOwner.TryGetValue(owner, out var map)) perOwner[owner] = map = new Dictionary<string, Tensor>();
            map[name[(dot + 1)..]] = given;
        }
        foreach (var (owner, map) in perOwner) owner.SetParameterOverrides(map);
        return new Restore(perOwner.Keys.ToArray());
    }

    /// <summary>Runs <paramref name="module"/> on <paramref name="input"/> with <paramref name="parameters"/> in place of its own.</summary>
    public static Tensor Call(nn.Module<Tensor, Tensor> module, IReadOnlyList<Tensor> parameters, Tensor input)
    {
        using var _ = Use(module, parameters);
        return module.forward(input);
    }

    private static Dictionary<string, nn.Module> OwnersByPath(nn.Module root)
    {
        var map = new Dictionary<string, nn.Module>();
        void Visit(string path, nn.Module m)
        {
            map[path] = m;
            foreach (var (name, child) in m.named_children())
                Visit(path.Length == 0 ? name : $"{path}.{name}", child);
        }
        Visit(string.Empty, root);
        return map;
    }

    private sealed class Restore(IParameterOverridable[] owners) : IDisposable
    {
        public void Dispose()
        {
            foreach (var owner in owners) owner.SetParameterOverrides(null);
        }
    }
}
