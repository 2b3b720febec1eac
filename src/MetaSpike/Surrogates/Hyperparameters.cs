using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Surrogates;

/// <summary>
/// How a surrogate hyperparameter (alpha, beta, ...) receives a gradient directly through the spike output.
/// The path through the backward pass (x's gradient depends on the hyperparameter) exists in every mode.
/// </summary>
public enum HyperGradientMode
{
    /// <summary>
    /// braintools' rule (the default): d(spike)/d(theta) is taken as dG/d(theta), so theta receives
    /// the sum over broadcast elements of upstream x dG/d(theta). Ports braintools tutorials unchanged.
    /// </summary>
    BraintoolsCompatible,

    /// <summary>Straight-through: theta receives the gradient of the smooth original function F, dF/d(theta).</summary>
    StraightThrough,

    /// <summary>No direct gradient (the mathematically exact derivative of a step function in theta).</summary>
    None,
}

/// <summary>The set of values a hyperparameter may take.</summary>
public enum HyperparameterDomain
{
    /// <summary>Any finite real number.</summary>
    Finite,

    /// <summary>Finite and greater than or equal to zero.</summary>
    NonNegative,

    /// <summary>Finite and strictly positive.</summary>
    Positive,
}

/// <summary>Describes one hyperparameter of a surrogate family.</summary>
/// <param name="Name">The name used in braintools, in reprs and on the command line (snake_case).</param>
/// <param name="Default">The default value.</param>
/// <param name="Domain">The values it may take.</param>
/// <param name="Meaning">A short description.</param>
public sealed record HyperparameterInfo(string Name, double Default, HyperparameterDomain Domain, string Meaning)
{
    /// <summary>Says in words which values are allowed.</summary>
    public string DomainText => Domain switch
    {
        HyperparameterDomain.Positive => "finite and > 0",
        HyperparameterDomain.NonNegative => "finite and >= 0",
        _ => "finite",
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming family and parameter if <paramref name="value"/> is outside the domain.</summary>
    public void Validate(string family, double value)
    {
        if (!IsAllowed(value))
            throw Invalid(family, value);
    }

    /// <summary>Validates a number or every element of a tensor, whichever <paramref name="value"/> holds.</summary>
    public void Validate(string family, HyperValue value)
    {
        if (value.Number is double number) Validate(family, number);
        else Validate(family, value.Tensor!);
    }

    /// <summary>Validates every element of a hyperparameter tensor (one host synchronisation).</summary>
    public void Validate(string family, Tensor value)
    {
        if (!value.is_floating_point())
            throw new ArgumentException($"{family}: hyperparameter '{Name}' must be a floating-point tensor, got {value.dtype}.", Name);
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var ok = AllowedMask(value);
        if (ok.all().item<bool>()) return;
        var bad = value.detach().masked_select(ok.logical_not()).to(CPU)[0].item<double>();
        throw Invalid(family, bad);
    }

    /// <summary>An elementwise boolean mask of allowed values; used to validate many tensors with one synchronisation.</summary>
    internal Tensor AllowedMask(Tensor value)
    {
        var finite = torch.isfinite(value);
        return Domain switch
        {
            HyperparameterDomain.Positive => finite.logical_and(value.gt(0)),
            HyperparameterDomain.NonNegative => finite.logical_and(value.ge(0)),
            _ => finite,
        };
    }

    private bool IsAllowed(double v) => double.IsFinite(v) && Domain switch
    {
        HyperparameterDomain.Positive => v > 0,
        HyperparameterDomain.NonNegative => v >= 0,
        _ => true,
    };

    private ArgumentException Invalid(string family, double value) =>
        new($"{family}: hyperparameter '{Name}' must be {DomainText}, got {value.ToString("R", CultureInfo.InvariantCulture)}.", Name);
}

/// <summary>
/// A hyperparameter value: a plain number or a tensor (a scalar, or one value per neuron that broadcasts
/// against the input). A tensor that requires grad receives gradients.
/// </summary>
public readonly struct HyperValue
{
    private readonly double _number;

    private HyperValue(double number, Tensor? tensor)
    {
        _number = number;
        Tensor = tensor;
    }

    /// <summary>The tensor, if the value is one.</summary>
    public Tensor? Tensor { get; }

    /// <summary>The number, if the value is not a tensor.</summary>
    public double? Number => Tensor is null ? _number : null;

    /// <summary>Wraps a number.</summary>
    public static implicit operator HyperValue(double number) => new(number, null);

    /// <summary>Wraps a tensor (kept by reference, so gradients reach it).</summary>
    public static implicit operator HyperValue(Tensor tensor) => new(0, tensor ?? throw new ArgumentNullException(nameof(tensor)));

    /// <summary>Creates the value from a number.</summary>
    public static HyperValue FromNumber(double number) => number;

    /// <summary>Creates the value from a tensor.</summary>
    public static HyperValue FromTensor(Tensor tensor) => tensor;

    /// <summary>The value as a tensor on <paramref name="device"/>; numbers become float64 scalars, which do not promote float32 inputs.</summary>
    internal Tensor ToTensor(Device? device = null) =>
        Tensor ?? torch.tensor(_number, ScalarType.Float64, device);

    /// <inheritdoc />
    public override string ToString() => Tensor is null
        ? FormatNumber(_number)
        : Tensor.dim() == 0 ? FormatNumber(Tensor.detach().to(CPU).item<double>()) : $"tensor[{string.Join(", ", Tensor.shape)}]";

    /// <summary>Formats like Python's repr of a float (4.0, 1e-08, 0.01).</summary>
    internal static string FormatNumber(double v)
    {
        if (v == Math.Floor(v) && Math.Abs(v) < 1e16) return v.ToString("0.0", CultureInfo.InvariantCulture);
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E'))
        {
            var parts = s.Split('E');
            var exp = int.Parse(parts[1], CultureInfo.InvariantCulture);
            s = $"{parts[0]}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}";
        }
        return s;
    }
}
