using MetaSpike.Modules;
using MetaSpike.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>
/// Base of every surrogate spike function. The forward pass is the Heaviside step H(x) = [x &gt;= 0]
/// (exactly 0 or 1, in x's dtype); the backward pass multiplies the upstream gradient by the family's
/// surrogate derivative G(x; theta). G is built from differentiable operations on the attached input, so the
/// second derivative in x (G'(x)) and the mixed x-theta derivatives are exact, as second-order MAML needs.
/// </summary>
/// <remarks>
/// Hyperparameters are tensors (a scalar or one value per neuron, broadcast against x). With
/// <c>trainable: true</c> they are registered as parameters and appear in <c>parameters()</c>; a tensor passed
/// in that already requires grad is used by reference, so gradients reach its owner. Invalid values throw
/// <see cref="ArgumentException"/> naming the family and the parameter, at construction and, for
/// hyperparameters that require grad (and may therefore drift during training), at every call.
/// </remarks>
public abstract class SurrogateFunction : nn.Module<Tensor, Tensor>, IParameterOverridable
{
    private readonly HyperparameterInfo[] _infos;
    private readonly Tensor?[] _external;
    private HyperGradientMode _hyperGradient;
    private IReadOnlyDictionary<string, Tensor>? _overrides;

    /// <summary>Creates the surrogate and its hyperparameter tensors.</summary>
    /// <param name="infos">The family's hyperparameters, in constructor order.</param>
    /// <param name="values">Given values (null: the default), in the same order.</param>
    /// <param name="trainable">Register the hyperparameters as trainable parameters.</param>
    /// <param name="hyperGradient">How hyperparameters get a direct gradient through the spike.</param>
    protected SurrogateFunction(IReadOnlyList<HyperparameterInfo> infos, IReadOnlyList<HyperValue?> values,
        bool trainable, HyperGradientMode hyperGradient)
        : base(string.Empty)
    {
        TorchRuntime.EnsureLoaded();
        if (values.Count != infos.Count) throw new ArgumentException("one value per hyperparameter is required", nameof(values));
        _infos = infos.ToArray();
        _external = new Tensor?[infos.Count];
        for (int i = 0; i < _infos.Length; i++)
            Store(i, values[i] ?? _infos[i].Default, trainable);
        HyperGradient = hyperGradient;
    }

    /// <summary>The family name, e.g. "Sigmoid".</summary>
    public string Family => GetType().Name;

    /// <summary>The family's hyperparameters, in constructor order.</summary>
    public IReadOnlyList<HyperparameterInfo> HyperparameterInfos => _infos;

    /// <summary>Whether the family defines a smooth original function F with dF/dx = G.</summary>
    public virtual bool HasOriginalFunction => false;

    /// <summary>How hyperparameters receive a direct gradient through the spike output.</summary>
    public HyperGradientMode HyperGradient
    {
        get => _hyperGradient;
        set
        {
            CheckSupports(value);
            _hyperGradient = value;
        }
    }

    /// <summary>Throws if <paramref name="mode"/> needs an original function this family lacks.</summary>
    internal void CheckSupports(HyperGradientMode mode)
    {
        if (mode == HyperGradientMode.StraightThrough && !HasOriginalFunction)
            throw new NotSupportedException($"{Family} is gradient-only (it has no original function), so it cannot use straight-through hyperparameter gradients.");
    }

    /// <summary>The current value of a hyperparameter (the registered parameter or buffer, or the external tensor).</summary>
    public Tensor Hyperparameter(string name) => Current(IndexOf(name));

    /// <summary>The current hyperparameter tensors, in constructor order.</summary>
    public IReadOnlyList<Tensor> Hyperparameters()
    {
        var values = new Tensor[_infos.Length];
        for (int i = 0; i < values.Length; i++) values[i] = Current(i);
        return values;
    }

    /// <summary>Replaces a hyperparameter's value (validated). A trainable hyperparameter is updated in place.</summary>
    public void SetHyperparameter(string name, HyperValue value)
    {
        int i = IndexOf(name);
        var current = Current(i);
        if (current is Parameter p && value.Tensor is not { requires_grad: true })
        {
            var t = value.ToTensor(p.device);
            _infos[i].Validate(Family, t);
            if (!t.shape.SequenceEqual(p.shape) && t.numel() != 1)
                throw new ArgumentException(
                    $"{Family}: trainable hyperparameter '{_infos[i].Name}' has shape [{string.Join(", ", p.shape)}] and is updated in place " +
                    $"(optimisers hold it); a value of shape [{string.Join(", ", t.shape)}] cannot replace it. Create the surrogate with that value instead.",
                    nameof(value));
            using var _ = torch.no_grad();
            p.copy_(t.expand_as(p));
            return;
        }
        Store(i, value, trainable: false);
    }

    /// <summary>Returns the spike H(x) with the surrogate gradient attached.</summary>
    public override Tensor forward(Tensor x)
    {
        var theta = Hyperparameters();
        ValidateTrainable(theta);
        return SurrogateKernel.Spike(this, x, theta, HyperGradient);
    }

    /// <summary>
    /// The spikes H((v - threshold) / scale) of potentials v that a fused kernel computed together with v, with this
    /// surrogate's gradient attached (the same values and gradients of any order as <c>forward((v - threshold) / scale)</c>,
    /// without its tensor operations); null when a hyperparameter is being trained (its gradient needs the tensor form).
    /// </summary>
    internal Tensor? TryThresholdSpike(Tensor v, Tensor spikes, double threshold, double scale)
    {
        if (HasTrainedHyperparameter) return null;
        if (!Autograd.Records(v)) return spikes;
        var theta = Hyperparameters();
        var args = new object[theta.Count + 5];
        (args[0], args[1], args[2], args[3], args[4]) = (v, new ThresholdSpikeFunction.GivenSpikes(spikes), this, threshold, scale);
        for (int i = 0; i < theta.Count; i++) args[i + 5] = theta[i];
        return ThresholdSpikeFunction.apply(args);
    }

    /// <summary>Whether a hyperparameter requires a gradient (is being trained), so spikes need the tensor form that gives it one.</summary>
    internal bool HasTrainedHyperparameter => Hyperparameters().Any(t => t.requires_grad);

    /// <summary>The surrogate derivative G(x; theta), itself differentiable in x and theta.</summary>
    public Tensor SurrogateGrad(Tensor x)
    {
        var theta = Hyperparameters();
        SurrogateKernel.CheckInput(this, x, theta);
        return EvaluateGrad(x, theta);
    }

    /// <summary>The smooth original function F(x; theta) whose derivative in x is G.</summary>
    /// <exception cref="NotSupportedException">The family is gradient-only.</exception>
    public Tensor OriginalFunction(Tensor x)
    {
        if (!HasOriginalFunction)
            throw new NotSupportedException($"{Family} is gradient-only: it defines no original function.");
        var theta = Hyperparameters();
        SurrogateKernel.CheckInput(this, x, theta);
        return EvaluateOriginal(x, theta);
    }

    /// <summary>A braintools-style repr, e.g. <c>Sigmoid(alpha=4.0)</c>.</summary>
    public override string ToString() =>
        $"{Family}({string.Join(", ", ReprParts())})";

    /// <summary>Name=value pairs for the repr; families with non-tensor settings prepend them.</summary>
    protected virtual IEnumerable<string> ReprParts() =>
        _infos.Select((info, i) => $"{info.Name}={HyperValue.FromTensor(Current(i))}");

    /// <summary>G(x; theta) for an input already clamped to a finite range. Must return x's shape.</summary>
    protected internal abstract Tensor Grad(Tensor x, IReadOnlyList<Tensor> theta);

    /// <summary>The family's G as one vectorised pass for the first-order backward, if it has one (see <see cref="IElementwiseGrad"/>).</summary>
    internal virtual IElementwiseGrad? ElementwiseGrad => null;

    /// <summary>F(x; theta) for an input already clamped to a finite range. Families with F override it.</summary>
    protected internal virtual Tensor Original(Tensor x, IReadOnlyList<Tensor> theta) =>
        throw new NotSupportedException($"{Family} is gradient-only: it defines no original function.");

    /// <summary>The normal density N(x; mean, std), mean null meaning 0.</summary>
    protected static Tensor Normal(Tensor x, Tensor? mean, Tensor std)
    {
        var z = (mean is null ? x : x - mean) / std;
        return (-0.5 * z.square()).exp() / (Math.Sqrt(2.0 * Math.PI) * std);
    }

    internal Tensor EvaluateGrad(Tensor x, IReadOnlyList<Tensor> theta) =>
        SurrogateKernel.CastLike(Grad(SurrogateKernel.ClampFinite(x), SurrogateKernel.InDTypeOf(theta, x)), x);

    internal Tensor EvaluateOriginal(Tensor x, IReadOnlyList<Tensor> theta) =>
        SurrogateKernel.CastLike(Original(SurrogateKernel.ClampFinite(x), SurrogateKernel.InDTypeOf(theta, x)), x);

    internal void ValidateTrainable(IReadOnlyList<Tensor> theta)
    {
        if (!theta.Any(t => t.requires_grad)) return;
        Tensor? ok = null;
        using var scope = torch.NewDisposeScope();
        using (torch.no_grad())
        {
            for (int i = 0; i < theta.Count; i++)
            {
                if (!theta[i].requires_grad) continue;
                var all = _infos[i].AllowedMask(theta[i]).all();
                ok = ok is null ? all : ok.logical_and(all);
            }
        }
        if (ok is null || ok.item<bool>()) return;
        for (int i = 0; i < theta.Count; i++) _infos[i].Validate(Family, theta[i]);
    }

    private void Store(int i, HyperValue value, bool trainable)
    {
        var info = _infos[i];
        info.Validate(Family, value);
        var tensor = value.ToTensor();
        var name = info.Name;
        _external[i] = null;
        ConditionallyRegisterParameter(name, null);
        ConditionallyRegisterBuffer(name, null);
        if (trainable)
            ConditionallyRegisterParameter(name, new Parameter(tensor.detach().clone(), requires_grad: true));
        else if (tensor.requires_grad)
            _external[i] = tensor;
        else
            ConditionallyRegisterBuffer(name, tensor);
    }

    void IParameterOverridable.SetParameterOverrides(IReadOnlyDictionary<string, Tensor>? overrides) => _overrides = overrides;

    private Tensor Current(int i) =>
        (_overrides is not null && _overrides.TryGetValue(_infos[i].Name, out var given) ? given : null)
        ?? _external[i] ?? (Tensor?)get_parameter(_infos[i].Name) ?? get_buffer(_infos[i].Name)
        ?? throw new InvalidOperationException($"{Family}: hyperparameter '{_infos[i].Name}' is missing.");

    private int IndexOf(string name)
    {
        for (int i = 0; i < _infos.Length; i++)
            if (_infos[i].Name == name) return i;
        throw new ArgumentException($"{Family} has no hyperparameter '{name}'; it has {string.Join(", ", _infos.Select(p => p.Name))}.", nameof(name));
    }
}
