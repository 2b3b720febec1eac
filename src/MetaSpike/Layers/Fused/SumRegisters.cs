using System.Runtime.CompilerServices;
using MetaSpike.Neurons.Fused;

namespace MetaSpike.Layers.Fused;

/// <summary>
/// A few consecutive registers of sums held in fields, so that the JIT keeps them in registers across a list of
/// multiply-adds; the default is zeros.
/// </summary>
internal unsafe interface ISumRegisters<TSelf, T, TV> where T : unmanaged where TSelf : ISumRegisters<TSelf, T, TV>
{
    /// <summary>Registers in the block.</summary>
    static abstract int Registers { get; }

    /// <summary>Loads the sums from s.</summary>
    void Load(T* s);

    /// <summary>this += v · w[0 .. Registers · lanes).</summary>
    void MultiplyAdd(T* w, TV v);

    /// <summary>The lane-wise sum of this and <paramref name="other"/> (partial sums over different entries).</summary>
    TSelf Add(in TSelf other);

    /// <summary>Stores the sums to s.</summary>
    void Store(T* s);
}

/// <summary>Operations on any <see cref="ISumRegisters{TSelf, T, TV}"/> block.</summary>
internal static unsafe class SumRegisters
{
    /// <summary>A block loaded from s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB From<T, TV, TB>(T* s) where T : unmanaged where TB : struct, ISumRegisters<TB, T, TV>
    {
        TB sums = default;
        sums.Load(s);
        return sums;
    }

    /// <summary>
    /// A block of sums at s += Σₑ value[e] · source[offset[e] ..], the entries dealt to four partial sums: for blocks
    /// of one or two registers, four or eight independent multiply-add chains instead of one or two, which would wait
    /// on the multiply-add's latency.
    /// </summary>
    public static void AddDealt<T, TL, TV, TB>(T* s, T* source, int* offset, T* value, int count)
        where T : unmanaged where TL : ILanes<TV, T> where TB : struct, ISumRegisters<TB, T, TV>
    {
        TB a = From<T, TV, TB>(s), b = default, c = default, d = default;
        int e = 0;
        for (; e + 4 <= count; e += 4)
        {
            a.MultiplyAdd(source + offset[e], TL.Broadcast(value[e]));
            b.MultiplyAdd(source + offset[e + 1], TL.Broadcast(value[e + 1]));
            c.MultiplyAdd(source + offset[e + 2], TL.Broadcast(value[e + 2]));
            d.MultiplyAdd(source + offset[e + 3], TL.Broadcast(value[e + 3]));
        }
        for (; e < count; e++) a.MultiplyAdd(source + offset[e], TL.Broadcast(value[e]));
        a.Add(b).Add(c.Add(d)).Store(s);
    }
}

/// <summary>One register of sums.</summary>
internal unsafe struct One<T, TL, TV> : ISumRegisters<One<T, TL, TV>, T, TV> where T : unmanaged where TL : ILanes<TV, T>
{
    private TV _a0;

    public static int Registers => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Load(T* s) => _a0 = TL.Load(s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MultiplyAdd(T* w, TV v) => _a0 = TL.MultiplyAdd(TL.Load(w), v, _a0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly One<T, TL, TV> Add(in One<T, TL, TV> other) => new() { _a0 = TL.Add(_a0, other._a0) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(T* s) => TL.Store(_a0, s);
}

/// <summary>Two consecutive registers of sums.</summary>
internal unsafe struct Two<T, TL, TV> : ISumRegisters<Two<T, TL, TV>, T, TV> where T : unmanaged where TL : ILanes<TV, T>
{
    private TV _a0, _a1;

    public static int Registers => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Load(T* s) => (_a0, _a1) = (TL.Load(s), TL.Load(s + TL.Count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MultiplyAdd(T* w, TV v)
    {
        _a0 = TL.MultiplyAdd(TL.Load(w), v, _a0);
        _a1 = TL.MultiplyAdd(TL.Load(w + TL.Count), v, _a1);
    }

    /// <summary>The lane-wise sum of this and <paramref name="other"/> (partial sums over different entries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Two<T, TL, TV> Add(in Two<T, TL, TV> other) => new() { _a0 = TL.Add(_a0, other._a0), _a1 = TL.Add(_a1, other._a1) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(T* s)
    {
        TL.Store(_a0, s);
        TL.Store(_a1, s + TL.Count);
    }
}

/// <summary>Four consecutive registers of sums.</summary>
internal unsafe struct Four<T, TL, TV> : ISumRegisters<Four<T, TL, TV>, T, TV> where T : unmanaged where TL : ILanes<TV, T>
{
    private TV _a0, _a1, _a2, _a3;

    public static int Registers => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Load(T* s) => (_a0, _a1, _a2, _a3) = (TL.Load(s), TL.Load(s + TL.Count), TL.Load(s + 2 * TL.Count), TL.Load(s + 3 * TL.Count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MultiplyAdd(T* w, TV v)
    {
        _a0 = TL.MultiplyAdd(TL.Load(w), v, _a0);
        _a1 = TL.MultiplyAdd(TL.Load(w + TL.Count), v, _a1);
        _a2 = TL.MultiplyAdd(TL.Load(w + 2 * TL.Count), v, _a2);
        _a3 = TL.MultiplyAdd(TL.Load(w + 3 * TL.Count), v, _a3);
    }

    /// <summary>The lane-wise sum of this and <paramref name="other"/> (partial sums over different entries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Four<T, TL, TV> Add(in Four<T, TL, TV> other) =>
        new() { _a0 = TL.Add(_a0, other._a0), _a1 = TL.Add(_a1, other._a1), _a2 = TL.Add(_a2, other._a2), _a3 = TL.Add(_a3, other._a3) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(T* s)
    {
        TL.Store(_a0, s);
        TL.Store(_a1, s + TL.Count);
        TL.Store(_a2, s + 2 * TL.Count);
        TL.Store(_a3, s + 3 * TL.Count);
    }
}

/// <summary>
/// The sums of several output positions that one input pixel reaches through neighbouring kernel taps: each position
/// a block of registers, the positions <c>sumStep</c> elements apart and their taps' weights <c>tapStep</c> apart.
/// Built as a type-level list (<see cref="Column{T, TV, TB, TRest}"/> ... <see cref="NoColumn{T, TV}"/>) so that
/// the JIT flattens it into registers.
/// </summary>
internal unsafe interface ITapColumns<T, TV> where T : unmanaged
{
    void Load(T* sum, long sumStep);

    /// <summary>Each position's sums += v · its tap's weight row, the first at w.</summary>
    void MultiplyAdd(T* w, long tapStep, TV v);

    void Store(T* sum, long sumStep);
}

/// <summary>One position's registers followed by the rest.</summary>
internal unsafe struct Column<T, TV, TB, TRest> : ITapColumns<T, TV>
    where T : unmanaged where TB : struct, ISumRegisters<TB, T, TV> where TRest : struct, ITapColumns<T, TV>
{
    private TB _sums;
    private TRest _rest;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Load(T* sum, long sumStep)
    {
        _sums = SumRegisters.From<T, TV, TB>(sum);
        TRest rest = default;
        rest.Load(sum + sumStep, sumStep);
        _rest = rest;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MultiplyAdd(T* w, long tapStep, TV v)
    {
        _sums.MultiplyAdd(w, v);
        _rest.MultiplyAdd(w + tapStep, tapStep, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(T* sum, long sumStep)
    {
        _sums.Store(sum);
        _rest.Store(sum + sumStep, sumStep);
    }
}

/// <summary>The end of a <see cref="Column{T, TV, TB, TRest}"/> list.</summary>
internal unsafe struct NoColumn<T, TV> : ITapColumns<T, TV> where T : unmanaged
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Load(T* sum, long sumStep) { }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MultiplyAdd(T* w, long tapStep, TV v) { }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(T* sum, long sumStep) { }
}

/// <summary>
/// Adds a list of input channels (weight-row offsets and values) to the sums of up to <see cref="MaxTaps"/> output
/// positions at once, one kernel tap each: every loaded entry feeds all of them, and the list is walked once.
/// </summary>
internal static unsafe class TapColumns
{
    /// <summary>Most taps per walk.</summary>
    public const int MaxTaps = 5;

    /// <summary>
    /// Most accumulator registers per walk. Measured on (c)'s second and third layers (2 threads), walks of three taps
    /// of four registers beat walks of two or four, and walks of five (twenty accumulators) took twice as long.
    /// </summary>
    public const int MaxRegisters = 12;

    /// <summary>Taps per walk for blocks of <typeparamref name="TB"/>: as many as <see cref="MaxRegisters"/> allows, at least one.</summary>
    public static int TapsPerWalk<T, TV, TB>() where T : unmanaged where TB : struct, ISumRegisters<TB, T, TV> =>
        Math.Clamp(MaxRegisters / TB.Registers, 1, MaxTaps);

    /// <summary>
    /// For k = 0 .. taps: sum − k · cout[...block] += Σₑ value[e] · (weights + k · tapStep)[row[e] ...], where cout is
    /// <paramref name="sumStep"/> negated; blocks of <typeparamref name="TB"/> registers.
    /// </summary>
    public static void Add<T, TL, TV, TB>(int taps, T* sum, long sumStep, T* weights, long tapStep, int* row, T* value, int count)
        where T : unmanaged where TL : ILanes<TV, T> where TB : struct, ISumRegisters<TB, T, TV>
    {
        switch (taps)
        {
            case 1: Walk<T, TL, TV, Column<T, TV, TB, NoColumn<T, TV>>>(sum, sumStep, weights, tapStep, row, value, count); break;
            case 2: Walk<T, TL, TV, Column<T, TV, TB, Column<T, TV, TB, NoColumn<T, TV>>>>(sum, sumStep, weights, tapStep, row, value, count); break;
            case 3: Walk<T, TL, TV, Column<T, TV, TB, Column<T, TV, TB, Column<T, TV, TB, NoColumn<T, TV>>>>>(sum, sumStep, weights, tapStep, row, value, count); break;
            case 4: Walk<T, TL, TV, Column<T, TV, TB, Column<T, TV, TB, Column<T, TV, TB, Column<T, TV, TB, NoColumn<T, TV>>>>>>(sum, sumStep, weights, tapStep, row, value, count); break;
            default: Walk<T, TL, TV, Column<T, TV, TB, Column<T, TV, TB, Column<T, TV, TB, Column<T, TV, TB, Column<T, TV, TB, NoColumn<T, TV>>>>>>>(sum, sumStep, weights, tapStep, row, value, count); break;
        }
    }

    private static void Walk<T, TL, TV, TC>(T* sum, long sumStep, T* weights, long tapStep, int* row, T* value, int count)
        where T : unmanaged where TL : ILanes<TV, T> where TC : struct, ITapColumns<T, TV>
    {
        TC sums = default;
        sums.Load(sum, sumStep);
        for (int* end = row + count; row < end; row++, value++) sums.MultiplyAdd(weights + *row, tapStep, TL.Broadcast(*value));
        sums.Store(sum, sumStep);
    }
}
