using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MetaSpike.Neurons.Fused;

/// <summary>
/// The arithmetic a fused kernel needs, over one register of lanes: written once as a generic kernel body and
/// instantiated for 512-bit, 256-bit, 128-bit and scalar registers (the JIT specialises and inlines each). Comparisons
/// return 0 or 1 in every lane, so masks are ordinary numbers.
/// </summary>
internal interface ILanes<TV, T> where T : unmanaged
{
    static abstract int Count { get; }
    static abstract unsafe TV Load(T* p);
    static abstract unsafe void Store(TV v, T* p);
    static abstract TV Broadcast(T value);
    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);
    static abstract TV Multiply(TV a, TV b);

    /// <summary>a · b + c, rounded once where the hardware fuses it.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);
    static abstract TV Divide(TV a, TV b);
    static abstract TV Max(TV a, TV b);

    /// <summary>The sum of the lanes.</summary>
    static abstract T Sum(TV a);

    /// <summary>1 where a &gt;= 0 (the Heaviside step, H(-0.0) = 1, H(NaN) = 0), else 0.</summary>
    static abstract TV StepAtZero(TV a);

    /// <summary>1 where a &gt; 0, else 0.</summary>
    static abstract TV Positive(TV a);

    /// <summary>ifOne where condition is 1, ifZero where it is 0.</summary>
    static abstract TV Select(TV condition, TV ifOne, TV ifZero);

    /// <summary>Accumulates a - a (NaN for a NaN or an infinity), to detect non-finite inputs without a branch.</summary>
    static abstract TV AccumulateNonFinite(TV accumulator, TV a);

    /// <summary>Whether every lane of an accumulator from <see cref="AccumulateNonFinite"/> is finite.</summary>
    static abstract bool AllFinite(TV accumulator);
}

internal readonly struct Lanes512<T> : ILanes<Vector512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;
    public static unsafe Vector512<T> Load(T* p) => Vector512.Load(p);
    public static unsafe void Store(Vector512<T> v, T* p) => v.Store(p);
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) =>
        typeof(T) == typeof(float) ? Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : typeof(T) == typeof(double) ? Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>()
        : a * b + c;
    public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;
    public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
    public static T Sum(Vector512<T> a) => Vector512.Sum(a);
    public static Vector512<T> StepAtZero(Vector512<T> a) => Vector512.GreaterThanOrEqual(a, Vector512<T>.Zero) & Vector512<T>.One;
    public static Vector512<T> Positive(Vector512<T> a) => Vector512.GreaterThan(a, Vector512<T>.Zero) & Vector512<T>.One;
    public static Vector512<T> Select(Vector512<T> c, Vector512<T> ifOne, Vector512<T> ifZero) =>
        Vector512.ConditionalSelect(Vector512.Equals(c, Vector512<T>.One), ifOne, ifZero);
    public static Vector512<T> AccumulateNonFinite(Vector512<T> acc, Vector512<T> a) => acc + (a - a);
    public static bool AllFinite(Vector512<T> acc) => Vector512.EqualsAll(acc, Vector512<T>.Zero);
}

internal readonly struct Lanes256<T> : ILanes<Vector256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;
    public static unsafe Vector256<T> Load(T* p) => Vector256.Load(p);
    public static unsafe void Store(Vector256<T> v, T* p) => v.Store(p);
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) =>
        typeof(T) == typeof(float) ? Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : typeof(T) == typeof(double) ? Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>()
        : a * b + c;
    public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;
    public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
    public static T Sum(Vector256<T> a) => Vector256.Sum(a);
    public static Vector256<T> StepAtZero(Vector256<T> a) => Vector256.GreaterThanOrEqual(a, Vector256<T>.Zero) & Vector256<T>.One;
    public static Vector256<T> Positive(Vector256<T> a) => Vector256.GreaterThan(a, Vector256<T>.Zero) & Vector256<T>.One;
    public static Vector256<T> Select(Vector256<T> c, Vector256<T> ifOne, Vector256<T> ifZero) =>
        Vector256.ConditionalSelect(Vector256.Equals(c, Vector256<T>.One), ifOne, ifZero);
    public static Vector256<T> AccumulateNonFinite(Vector256<T> acc, Vector256<T> a) => acc + (a - a);
    public static bool AllFinite(Vector256<T> acc) => Vector256.EqualsAll(acc, Vector256<T>.Zero);
}

internal readonly struct Lanes128<T> : ILanes<Vector128<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector128<T>.Count;
    public static unsafe Vector128<T> Load(T* p) => Vector128.Load(p);
    public static unsafe void Store(Vector128<T> v, T* p) => v.Store(p);
    public static Vector128<T> Broadcast(T value) => Vector128.Create(value);
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;
    public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;
    public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c) =>
        typeof(T) == typeof(float) ? Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : typeof(T) == typeof(double) ? Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>()
        : a * b + c;
    public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;
    public static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);
    public static T Sum(Vector128<T> a) => Vector128.Sum(a);
    public static Vector128<T> StepAtZero(Vector128<T> a) => Vector128.GreaterThanOrEqual(a, Vector128<T>.Zero) & Vector128<T>.One;
    public static Vector128<T> Positive(Vector128<T> a) => Vector128.GreaterThan(a, Vector128<T>.Zero) & Vector128<T>.One;
    public static Vector128<T> Select(Vector128<T> c, Vector128<T> ifOne, Vector128<T> ifZero) =>
        Vector128.ConditionalSelect(Vector128.Equals(c, Vector128<T>.One), ifOne, ifZero);
    public static Vector128<T> AccumulateNonFinite(Vector128<T> acc, Vector128<T> a) => acc + (a - a);
    public static bool AllFinite(Vector128<T> acc) => Vector128.EqualsAll(acc, Vector128<T>.Zero);
}

internal readonly struct ScalarLanes<T> : ILanes<T, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe T Load(T* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(T v, T* p) => *p = v;
    public static T Broadcast(T value) => value;
    public static T Add(T a, T b) => a + b;
    public static T Subtract(T a, T b) => a - b;
    public static T Multiply(T a, T b) => a * b;
    public static T MultiplyAdd(T a, T b, T c) => T.FusedMultiplyAdd(a, b, c);
    public static T Divide(T a, T b) => a / b;
    public static T Max(T a, T b) => a > b ? a : b;
    public static T Sum(T a) => a;
    public static T StepAtZero(T a) => a >= T.Zero ? T.One : T.Zero;
    public static T Positive(T a) => a > T.Zero ? T.One : T.Zero;
    public static T Select(T c, T ifOne, T ifZero) => c == T.One ? ifOne : ifZero;
    public static T AccumulateNonFinite(T acc, T a) => acc + (a - a);
    public static bool AllFinite(T acc) => acc == T.Zero;
}
