using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FastSeq.Kernels;

/// <summary>
/// One timestep of one sequence with the gate products and the cell fused: the pre-activations of a block
/// of units are summed in registers and activated there, so no gate buffer is filled, copied or read back, and
/// x and h are read where they are. A streaming LSTM(40) step took 229 ns this way against 272 ns for the
/// product and the cell apart. Each pre-activation is summed in the order the unfused path sums it (its start,
/// then the rows of the weights in order, one fused multiply-add each) and activated by the same vector
/// functions as <see cref="GateActivations"/>, so both paths give the same bits.
/// </summary>
/// <remarks>
/// Serves whole vectors of units on the vector path (<see cref="Serves"/>); callers use the unfused path
/// otherwise (the matrix kernels sum a partial last vector of columns in another order). Like the gate
/// activations it runs on <see cref="Vector{T}"/>, whatever <see cref="MatMul.Path"/> the products take;
/// only the Scalar path turns it off. Sizes are the callers' to check: x <c>[I]</c>, h <c>[H]</c> or empty (zero, and then its
/// weights are not read), weights <c>[I + H, gH]</c> with x's rows first (or <c>[I, gH]</c> when h is empty).
/// </remarks>
internal static class FusedCells
{
    // Vectors of units per block: each takes 4 accumulators. With 32 vector registers (AVX-512's encoding, Arm64),
    // 5 (20 accumulators, the broadcast and the cell's temporaries) measured 3 % faster than 3 at 40 units;
    // with 16 (AVX2, SSE), 3.
    private static readonly int MaxWidth = Avx512F.IsSupported || AdvSimd.Arm64.IsSupported ? 5 : 3;

    /// <summary>Whether the fused kernels serve layers of <paramref name="units"/>.</summary>
    public static bool Serves(int units) => GateActivations.IsVectorized && units % Vector<float>.Count == 0;

    /// <summary>
    /// LSTM, gates i, f, g, o: pre-activations <c>start + [x | h]·weights</c> (<paramref name="start"/> <c>[4H]</c> is the
    /// bias, or the bias plus the input projection), then <c>c = σ(f) ⊙ c_prev + σ(i) ⊙ tanh(g)</c> and
    /// <c>y = σ(o) ⊙ tanh(c)</c>. An empty <paramref name="previousCell"/> is zero; it may be <paramref name="cell"/>
    /// itself. The activated gates go to <paramref name="activated"/> <c>[4H]</c> unless it is empty; it may be
    /// <paramref name="start"/> itself. <paramref name="y"/> must not overlap h.
    /// </summary>
    public static void Lstm(ReadOnlySpan<float> start, ReadOnlySpan<float> x, ReadOnlySpan<float> h, ReadOnlySpan<float> weights,
                            ReadOnlySpan<float> previousCell, Span<float> cell, Span<float> y, Span<float> activated)
    {
        int units = y.Length, vectors = units / Vector<float>.Count;
        var io = new LstmIo(
            ref MemoryMarshal.GetReference(start), ref MemoryMarshal.GetReference(x), x.Length, ref MemoryMarshal.GetReference(h), h.Length,
            ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(previousCell), !previousCell.IsEmpty,
            ref MemoryMarshal.GetReference(cell), ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(activated), !activated.IsEmpty, units);
        ForEachBlock<LstmKernel, LstmIo>(in io, vectors);
    }

    /// <summary>
    /// GRU, gates r, z, n: <c>r = σ(start_r + [x | h]·W_r)</c> and z likewise, <c>n = tanh(start_n + x·Wk_n + r ⊙ (b_hn + h·Wh_n))</c>,
    /// <c>y = n + z ⊙ (h - n)</c>. <paramref name="startRZ"/> <c>[2H]</c> holds <c>b_i + b_h</c> for r and z and <paramref name="startN"/>
    /// <c>[H]</c> holds b_in, both plus the input projection when x is empty; <paramref name="recurrentBias"/> <c>[H]</c> is b_hn.
    /// Unless empty, <paramref name="activated"/> <c>[3H]</c> (which may hold the starts) takes r, z, n and <paramref name="recurrentN"/>
    /// <c>[H]</c> (which may be <paramref name="recurrentBias"/>) takes <c>b_hn + h·Wh_n</c>. <paramref name="y"/> must not overlap h.
    /// </summary>
    public static void Gru(ReadOnlySpan<float> startRZ, ReadOnlySpan<float> startN, ReadOnlySpan<float> recurrentBias, ReadOnlySpan<float> x,
                           ReadOnlySpan<float> h, ReadOnlySpan<float> weights, Span<float> y, Span<float> activated, Span<float> recurrentN)
    {
        int units = y.Length, vectors = units / Vector<float>.Count;
        var io = new GruIo(
            ref MemoryMarshal.GetReference(startRZ), ref MemoryMarshal.GetReference(startN), ref MemoryMarshal.GetReference(recurrentBias), ref MemoryMarshal.GetReference(x), x.Length,
            ref MemoryMarshal.GetReference(h), h.Length, ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(y),
            ref MemoryMarshal.GetReference(activated), ref MemoryMarshal.GetReference(recurrentN), !activated.IsEmpty, units);
        ForEachBlock<GruKernel, GruIo>(in io, vectors);
    }

    /// <summary>A cell's block kernel: one step of units <c>[j, j + V·W)</c>, V vectors of units as the type argument says.</summary>
    private interface IBlockKernel<TIo>
        where TIo : allows ref struct
    {
        static abstract void Block<TWidth>(in TIo io, nint j)
            where TWidth : struct, IVectorCount;
    }

    private readonly struct LstmKernel : IBlockKernel<LstmIo>
    {
        public static void Block<TWidth>(in LstmIo io, nint j)
            where TWidth : struct, IVectorCount => LstmBlock<TWidth>(in io, j);
    }

    private readonly struct GruKernel : IBlockKernel<GruIo>
    {
        public static void Block<TWidth>(in GruIo io, nint j)
            where TWidth : struct, IVectorCount => GruBlock<TWidth>(in io, j);
    }

    /// <summary>Runs the kernel over the vectors of units in as few blocks as <see cref="MaxWidth"/> allows, as even as possible.</summary>
    private static void ForEachBlock<TKernel, TIo>(in TIo io, int vectors)
        where TKernel : IBlockKernel<TIo>
        where TIo : allows ref struct
    {
        int blocks = (vectors + MaxWidth - 1) / MaxWidth;
        nint j = 0;
        for (int block = 0; block < blocks; block++)
        {
            int width = (vectors / blocks) + (block < vectors % blocks ? 1 : 0);
            switch (width)
            {
                case 1: TKernel.Block<Vectors1>(in io, j); break;
                case 2: TKernel.Block<Vectors2>(in io, j); break;
                case 3: TKernel.Block<Vectors3>(in io, j); break;
                case 4: TKernel.Block<Vectors4>(in io, j); break;
                default: TKernel.Block<Vectors5>(in io, j); break;
            }
            j += width * Vector<float>.Count;
        }
    }

    private readonly ref struct LstmIo(ref float start, ref float x, int inputs, ref float h, int hRows, ref float weights,
                                       ref float previousCell, bool hasPreviousCell, ref float cell, ref float y, ref float activated, bool keepActivated, int units)
    {
        public readonly ref float Start = ref start, X = ref x, H = ref h, Weights = ref weights, PreviousCell = ref previousCell, Cell = ref cell, Y = ref y, Activated = ref activated;
        public readonly int Inputs = inputs, HRows = hRows, Units = units;
        public readonly bool HasPreviousCell = hasPreviousCell, KeepActivated = keepActivated;
    }

    private readonly ref struct GruIo(ref float startRZ, ref float startN, ref float recurrentBias, ref float x, int inputs, ref float h, int hRows, ref float weights,
                                      ref float y, ref float activated, ref float recurrentN, bool keep, int units)
    {
        public readonly ref float StartRZ = ref startRZ, StartN = ref startN, RecurrentBias = ref recurrentBias, X = ref x, H = ref h, Weights = ref weights, Y = ref y, Activated = ref activated, RecurrentN = ref recurrentN;
        public readonly int Inputs = inputs, HRows = hRows, Units = units;
        public readonly bool Keep = keep;
    }

    // Units [j, j + V·W): the four gates' accumulators of each vector of units, over the rows of x, then of h.
    // Never inlined: compiled on its own it stays within the JIT's inlining budget, so every vector function it
    // calls is inlined (inlined into a larger caller, the exps became calls and a step took 1.5x as long).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LstmBlock<TWidth>(in LstmIo io, nint j)
        where TWidth : struct, IVectorCount
    {
        int v = TWidth.Vectors;
        nint W = Vector<float>.Count, H = io.Units, i = j, f = H + j, g = (2 * H) + j, o = (3 * H) + j, ld = 4 * H;
        ref float start = ref io.Start;
        Vector<float> i0 = Load(ref start, i), f0 = Load(ref start, f), g0 = Load(ref start, g), o0 = Load(ref start, o);
        Vector<float> i1 = default, f1 = default, g1 = default, o1 = default, i2 = default, f2 = default, g2 = default, o2 = default;
        Vector<float> i3 = default, f3 = default, g3 = default, o3 = default, i4 = default, f4 = default, g4 = default, o4 = default;
        if (v > 1) { i1 = Load(ref start, i + W); f1 = Load(ref start, f + W); g1 = Load(ref start, g + W); o1 = Load(ref start, o + W); }
        if (v > 2) { i2 = Load(ref start, i + 2 * W); f2 = Load(ref start, f + 2 * W); g2 = Load(ref start, g + 2 * W); o2 = Load(ref start, o + 2 * W); }
        if (v > 3) { i3 = Load(ref start, i + 3 * W); f3 = Load(ref start, f + 3 * W); g3 = Load(ref start, g + 3 * W); o3 = Load(ref start, o + 3 * W); }
        if (v > 4) { i4 = Load(ref start, i + 4 * W); f4 = Load(ref start, f + 4 * W); g4 = Load(ref start, g + 4 * W); o4 = Load(ref start, o + 4 * W); }

        ref float w = ref io.Weights;
        ref float a = ref io.X;
        int rows = io.Inputs;
        for (int part = 0; part < 2; part++)
        {
            for (int p = 0; p < rows; p++)
            {
                var s = new Vector<float>(Unsafe.Add(ref a, p));
                i0 = Fma(s, ref w, i, i0); f0 = Fma(s, ref w, f, f0); g0 = Fma(s, ref w, g, g0); o0 = Fma(s, ref w, o, o0);
                if (v > 1) { i1 = Fma(s, ref w, i + W, i1); f1 = Fma(s, ref w, f + W, f1); g1 = Fma(s, ref w, g + W, g1); o1 = Fma(s, ref w, o + W, o1); }
                if (v > 2) { i2 = Fma(s, ref w, i + 2 * W, i2); f2 = Fma(s, ref w, f + 2 * W, f2); g2 = Fma(s, ref w, g + 2 * W, g2); o2 = Fma(s, ref w, o + 2 * W, o2); }
                if (v > 3) { i3 = Fma(s, ref w, i + 3 * W, i3); f3 = Fma(s, ref w, f + 3 * W, f3); g3 = Fma(s, ref w, g + 3 * W, g3); o3 = Fma(s, ref w, o + 3 * W, o3); }
                if (v > 4) { i4 = Fma(s, ref w, i + 4 * W, i4); f4 = Fma(s, ref w, f + 4 * W, f4); g4 = Fma(s, ref w, g + 4 * W, g4); o4 = Fma(s, ref w, o + 4 * W, o4); }
                w = ref Unsafe.Add(ref w, ld);
            }
            a = ref io.H;
            rows = io.HRows;
        }

        LstmUnits(in io, j, i0, f0, g0, o0);
        if (v > 1) LstmUnits(in io, j + W, i1, f1, g1, o1);
        if (v > 2) LstmUnits(in io, j + 2 * W, i2, f2, g2, o2);
        if (v > 3) LstmUnits(in io, j + 3 * W, i3, f3, g3, o3);
        if (v > 4) LstmUnits(in io, j + 4 * W, i4, f4, g4, o4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LstmUnits(in LstmIo io, nint j, Vector<float> i, Vector<float> f, Vector<float> g, Vector<float> o)
    {
        i = GateActivations.Sigmoid(i);
        f = GateActivations.Sigmoid(f);
        g = GateActivations.Tanh(g);
        o = GateActivations.Sigmoid(o);
        if (io.KeepActivated)
        {
            nint H = io.Units;
            i.StoreUnsafe(ref io.Activated, (nuint)j);
            f.StoreUnsafe(ref io.Activated, (nuint)(H + j));
            g.StoreUnsafe(ref io.Activated, (nuint)((2 * H) + j));
            o.StoreUnsafe(ref io.Activated, (nuint)((3 * H) + j));
        }
        Vector<float> previous = io.HasPreviousCell ? Load(ref io.PreviousCell, j) : Vector<float>.Zero;
        Vector<float> c = GateActivations.LstmCellState(f, previous, i, g);
        c.StoreUnsafe(ref io.Cell, (nuint)j);
        GateActivations.LstmOutput(o, c).StoreUnsafe(ref io.Y, (nuint)j);
    }

    // Units [j, j + V·W): r, z and the input part of n over the rows of x; r, z and the recurrent part of n over the rows of h.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GruBlock<TWidth>(in GruIo io, nint j)
        where TWidth : struct, IVectorCount
    {
        int v = TWidth.Vectors;
        nint W = Vector<float>.Count, H = io.Units, r = j, z = H + j, n = (2 * H) + j, ld = 3 * H;
        ref float start = ref io.StartRZ, startN = ref io.StartN;
        ref float bhn = ref io.RecurrentBias;
        Vector<float> r0 = Load(ref start, r), z0 = Load(ref start, z), n0 = Load(ref startN, j), m0 = Load(ref bhn, j);
        Vector<float> r1 = default, z1 = default, n1 = default, m1 = default, r2 = default, z2 = default, n2 = default, m2 = default;
        Vector<float> r3 = default, z3 = default, n3 = default, m3 = default, r4 = default, z4 = default, n4 = default, m4 = default;
        if (v > 1) { r1 = Load(ref start, r + W); z1 = Load(ref start, z + W); n1 = Load(ref startN, j + W); m1 = Load(ref bhn, j + W); }
        if (v > 2) { r2 = Load(ref start, r + 2 * W); z2 = Load(ref start, z + 2 * W); n2 = Load(ref startN, j + 2 * W); m2 = Load(ref bhn, j + 2 * W); }
        if (v > 3) { r3 = Load(ref start, r + 3 * W); z3 = Load(ref start, z + 3 * W); n3 = Load(ref startN, j + 3 * W); m3 = Load(ref bhn, j + 3 * W); }
        if (v > 4) { r4 = Load(ref start, r + 4 * W); z4 = Load(ref start, z + 4 * W); n4 = Load(ref startN, j + 4 * W); m4 = Load(ref bhn, j + 4 * W); }

        ref float w = ref io.Weights;
        for (int p = 0; p < io.Inputs; p++)
        {
            var s = new Vector<float>(Unsafe.Add(ref io.X, p));
            r0 = Fma(s, ref w, r, r0); z0 = Fma(s, ref w, z, z0); n0 = Fma(s, ref w, n, n0);
            if (v > 1) { r1 = Fma(s, ref w, r + W, r1); z1 = Fma(s, ref w, z + W, z1); n1 = Fma(s, ref w, n + W, n1); }
            if (v > 2) { r2 = Fma(s, ref w, r + 2 * W, r2); z2 = Fma(s, ref w, z + 2 * W, z2); n2 = Fma(s, ref w, n + 2 * W, n2); }
            if (v > 3) { r3 = Fma(s, ref w, r + 3 * W, r3); z3 = Fma(s, ref w, z + 3 * W, z3); n3 = Fma(s, ref w, n + 3 * W, n3); }
            if (v > 4) { r4 = Fma(s, ref w, r + 4 * W, r4); z4 = Fma(s, ref w, z + 4 * W, z4); n4 = Fma(s, ref w, n + 4 * W, n4); }
            w = ref Unsafe.Add(ref w, ld);
        }
        for (int p = 0; p < io.HRows; p++)
        {
            var s = new Vector<float>(Unsafe.Add(ref io.H, p));
            r0 = Fma(s, ref w, r, r0); z0 = Fma(s, ref w, z, z0); m0 = Fma(s, ref w, n, m0);
            if (v > 1) { r1 = Fma(s, ref w, r + W, r1); z1 = Fma(s, ref w, z + W, z1); m1 = Fma(s, ref w, n + W, m1); }
            if (v > 2) { r2 = Fma(s, ref w, r + 2 * W, r2); z2 = Fma(s, ref w, z + 2 * W, z2); m2 = Fma(s, ref w, n + 2 * W, m2); }
            if (v > 3) { r3 = Fma(s, ref w, r + 3 * W, r3); z3 = Fma(s, ref w, z + 3 * W, z3); m3 = Fma(s, ref w, n + 3 * W, m3); }
            if (v > 4) { r4 = Fma(s, ref w, r + 4 * W, r4); z4 = Fma(s, ref w, z + 4 * W, z4); m4 = Fma(s, ref w, n + 4 * W, m4); }
            w = ref Unsafe.Add(ref w, ld);
        }

        GruUnits(in io, j, r0, z0, n0, m0);
        if (v > 1) GruUnits(in io, j + W, r1, z1, n1, m1);
        if (v > 2) GruUnits(in io, j + 2 * W, r2, z2, n2, m2);
        if (v > 3) GruUnits(in io, j + 3 * W, r3, z3, n3, m3);
        if (v > 4) GruUnits(in io, j + 4 * W, r4, z4, n4, m4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruUnits(in GruIo io, nint j, Vector<float> r, Vector<float> z, Vector<float> inputN, Vector<float> recurrentN)
    {
        r = GateActivations.Sigmoid(r);
        z = GateActivations.Sigmoid(z);
        Vector<float> n = GateActivations.GruCandidate(inputN, r, recurrentN);
        Vector<float> previous = io.HRows > 0 ? Load(ref io.H, j) : Vector<float>.Zero;
        if (io.Keep)
        {
            nint H = io.Units;
            r.StoreUnsafe(ref io.Activated, (nuint)j);
            z.StoreUnsafe(ref io.Activated, (nuint)(H + j));
            n.StoreUnsafe(ref io.Activated, (nuint)((2 * H) + j));
            recurrentN.StoreUnsafe(ref io.RecurrentN, (nuint)j);
        }
        GateActivations.GruOutput(z, previous, n).StoreUnsafe(ref io.Y, (nuint)j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float source, nint offset) => Vector.LoadUnsafe(ref source, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Fma(Vector<float> s, ref float row, nint offset, Vector<float> accumulator) =>
        Vector.MultiplyAddEstimate(s, Vector.LoadUnsafe(ref row, (nuint)offset), accumulator);
}
