using UnitsNet;

namespace MetaSpike.Units;

/// <summary>
/// A duration in milliseconds, the time unit of every MetaSpike model. Converts implicitly from a plain number
/// (read as milliseconds) and from a UnitsNet <see cref="Duration"/> (any unit), so <c>tau: 20</c> and
/// <c>tau: Duration.FromMilliseconds(20)</c> mean the same.
/// </summary>
/// <param name="Milliseconds">The value in ms.</param>
public readonly record struct Time(double Milliseconds)
{
    /// <summary>A number of milliseconds.</summary>
    public static implicit operator Time(double milliseconds) => new(milliseconds);

    /// <summary>A UnitsNet duration.</summary>
    public static implicit operator Time(Duration duration) => new(duration.Milliseconds);

    /// <summary>The value as a UnitsNet duration.</summary>
    public Duration ToDuration() => Duration.FromMilliseconds(Milliseconds);

    /// <summary>Throws unless the duration is finite and &gt; 0.</summary>
    public Time RequirePositive(string what) =>
        double.IsFinite(Milliseconds) && Milliseconds > 0 ? this
            : throw new ArgumentException($"{what} must be a finite duration > 0 ms, got {Milliseconds} ms.", what);

    /// <summary>Throws unless the duration is finite and &gt;= 0.</summary>
    public Time RequireNonNegative(string what) =>
        double.IsFinite(Milliseconds) && Milliseconds >= 0 ? this
            : throw new ArgumentException($"{what} must be a finite duration >= 0 ms, got {Milliseconds} ms.", what);

    /// <inheritdoc />
    public override string ToString() => $"{Milliseconds:G6} ms";
}

/// <summary>A membrane potential in millivolts; converts from a number (mV) or a UnitsNet <see cref="ElectricPotential"/>.</summary>
/// <param name="Millivolts">The value in mV.</param>
public readonly record struct Voltage(double Millivolts)
{
    /// <summary>A number of millivolts.</summary>
    public static implicit operator Voltage(double millivolts) => new(millivolts);

    /// <summary>A UnitsNet electric potential.</summary>
    public static implicit operator Voltage(ElectricPotential potential) => new(potential.Millivolts);

    /// <summary>Throws unless the value is finite.</summary>
    public Voltage RequireFinite(string what) =>
        double.IsFinite(Millivolts) ? this : throw new ArgumentException($"{what} must be a finite voltage, got {Millivolts} mV.", what);

    /// <inheritdoc />
    public override string ToString() => $"{Millivolts:G6} mV";
}

/// <summary>An input current in milliamperes; converts from a number (mA) or a UnitsNet <see cref="ElectricCurrent"/>.</summary>
/// <param name="Milliamperes">The value in mA.</param>
public readonly record struct Current(double Milliamperes)
{
    /// <summary>A number of milliamperes.</summary>
    public static implicit operator Current(double milliamperes) => new(milliamperes);

    /// <summary>A UnitsNet electric current.</summary>
    public static implicit operator Current(ElectricCurrent current) => new(current.Milliamperes);

    /// <inheritdoc />
    public override string ToString() => $"{Milliamperes:G6} mA";
}

/// <summary>A membrane resistance in ohms (mV per mA, so R * I is in mV); converts from a number or a UnitsNet <see cref="ElectricResistance"/>.</summary>
/// <param name="Ohms">The value in ohms.</param>
public readonly record struct Resistance(double Ohms)
{
    /// <summary>A number of ohms.</summary>
    public static implicit operator Resistance(double ohms) => new(ohms);

    /// <summary>A UnitsNet resistance.</summary>
    public static implicit operator Resistance(ElectricResistance resistance) => new(resistance.Ohms);

    /// <summary>Throws unless the value is finite and &gt; 0.</summary>
    public Resistance RequirePositive(string what) =>
        double.IsFinite(Ohms) && Ohms > 0 ? this : throw new ArgumentException($"{what} must be a finite resistance > 0, got {Ohms}.", what);

    /// <inheritdoc />
    public override string ToString() => $"{Ohms:G6} ohm";
}

/// <summary>A firing rate in hertz; converts from a number (Hz) or a UnitsNet <see cref="Frequency"/>.</summary>
/// <param name="Hertz">The value in Hz.</param>
public readonly record struct Rate(double Hertz)
{
    /// <summary>A number of hertz.</summary>
    public static implicit operator Rate(double hertz) => new(hertz);

    /// <summary>A UnitsNet frequency.</summary>
    public static implicit operator Rate(Frequency frequency) => new(frequency.Hertz);

    /// <summary>The probability of an event in one step of <paramref name="dt"/> (rate * dt), validated to lie in [0, 1].</summary>
    public double ProbabilityPerStep(Time dt)
    {
        var p = Hertz * dt.Milliseconds / 1000.0;
        if (!double.IsFinite(p) || p < 0 || p > 1)
            throw new ArgumentException($"a rate of {Hertz} Hz with dt = {dt} gives a per-step probability of {p}, outside [0, 1].");
        return p;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Hertz:G6} Hz";
}
