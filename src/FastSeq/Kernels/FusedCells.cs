using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
/// activations it runs on <see cref="Vector{T}"/>, and on <see cref="Vector512{T}"/> where that is native and wider,
/// whatever <see cref="MatMul.Path"/> the products take; only the Scalar path turns it off. Sizes are the callers' to check: x <c>[I]</c>, h <c>[H]</c> or empty (zero, and then its
/// weights are not read), weights <c>[I + H, gH]</c> with x's rows first (or <c>[I, gH]</c> when h is empty).
/// </remarks>
internal static class FusedCells
{
    // Vectors of units per block, of either width: each takes 4 accumulators. With 32 vector registers (AVX-512's
    // encoding, Arm64), 5 (20 accumulators, the broadcast and the cell's temporaries) measured 3 % faster than 3 at
    // 40 units (in 256-bit vectors); with 16 (AVX2, SSE), 3.
    private static readonly int MaxWidth = Avx512F.IsSupported || AdvSimd.Arm64.IsSupported ? 5 : 3;

    private static readonly bool s_wide = Vector512.IsHardwareAccelerated && 2 * Vector<float>.Count == Vector512<float>.Count;

    /// <summary>Whether the fused kernels serve layers of <paramref name="units"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Serves(int units) => GateActivations.IsVectorized && units % Vector<float>.Count == 0;

    /// <summary>
    /// Whether the kernels sum a layer's products over h in two chains: rows <c>[0, H/2)</c> onto the start and x's rows,
    /// rows <c>[H/2, H)</c> from zero beside them, the second added to the first at the end. So they do for 8 and 16 units,
    /// where a block has one to four vectors per gate and a one-stream step would otherwise wait on one multiply-add after
    /// another, row after row; larger layers have sums enough to keep the multiply-add units busy in one chain. The matrix
    /// kernels sum in one chain, so the layers run batches of these sizes through the fused kernels too, stream by stream
    /// (<see cref="ServesBatches"/>): a stream gets the same bits alone or in a batch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool SumsInTwoChains(int units) => units is 8 or 16;

    /// <summary>Whether the fused kernels serve batches of streams of <paramref name="units"/>, stream by stream: <see cref="SumsInTwoChains"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ServesBatches(int units) => Serves(units) && SumsInTwoChains(units);

    /// <summary>
    /// Whether a layer's Forward over <paramref name="batch"/> sequences of <paramref name="units"/> runs on the fused kernels:
    /// one sequence, or a batch that <see cref="ServesBatches"/>. A recurrent mask writes each masked h_{t-1} where h_t goes
    /// (<c>DropoutMask.PreviousHidden</c>), which the kernels then read in place, so it needs a layer that
    /// <see cref="ReadsAllOfHFirst"/>.
    /// </summary>
    public static bool ServesForward(int batch, int units, ReadOnlySpan<float> recurrentMask) =>
        (batch == 1 ? Serves(units) : ServesBatches(units)) && (recurrentMask.IsEmpty || ReadsAllOfHFirst(units));

    /// <summary>
    /// Whether a served layer of <paramref name="units"/> runs in one block, so that every unit's sums over h are done
    /// before any output is written: then y may be h itself (a stream's new h written over the old one, no copy).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ReadsAllOfHFirst(int units)
    {
        int wide = s_wide ? units / Vector512<float>.Count : 0;
        int vectors = wide == 0 ? units / Vector<float>.Count : wide;
        return vectors <= MaxWidth;
    }

    /// <summary>
    /// LSTM, gates i, f, g, o: pre-activations <c>start + [x | h]·weights</c> (<paramref name="start"/> <c>[4H]</c> is the
    /// bias, or the bias plus the input projection), then <c>c = σ(f) ⊙ c_prev + σ(i) ⊙ tanh(g)</c> and
    /// <c>y = σ(o) ⊙ tanh(c)</c>. An empty <paramref name="previousCell"/> is zero; it may be <paramref name="cell"/>
    /// itself. The activated gates go to <paramref name="activated"/> <c>[4H]</c> unless it is empty; it may be
    /// <paramref name="start"/> itself. <paramref name="y"/> must not overlap h, unless it is h itself and
    /// <see cref="ReadsAllOfHFirst"/> holds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lstm(ReadOnlySpan<float> start, ReadOnlySpan<float> x, ReadOnlySpan<float> h, ReadOnlySpan<float> weights,
                            ReadOnlySpan<float> previousCell, Span<float> cell, Span<float> y, Span<float> activated)
    {
        int units = y.Length;
        var io = new LstmIo(
            ref MemoryMarshal.GetReference(start), ref MemoryMarshal.GetReference(x), x.Length, ref MemoryMarshal.GetReference(h), h.Length,
            ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(previousCell), !previousCell.IsEmpty,
            ref MemoryMarshal.GetReference(cell), ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(activated), !activated.IsEmpty, units);
        if (s_wide && units % Vector512<float>.Count == Vector<float>.Count && 4 * units / Vector512<float>.Count is 6 or 10)
            LstmAcrossGates(in io);
        else
            ForEachBlock<LstmKernel, LstmIo>(in io, units, twoChains: SumsInTwoChains(units) && !h.IsEmpty);
    }

    /// <summary>
    /// GRU, gates r, z, n: <c>r = σ(b_ir + b_hr + [x | h]·W_r)</c> and z likewise, <c>n = tanh(b_in + x·Wk_n + r ⊙ (b_hn + h·Wh_n))</c>,
    /// <c>y = (1 - z) ⊙ n + z ⊙ h</c>, from <paramref name="biases"/> <c>[2, 3H]</c> (b_i, then b_h). r and z start from <c>b_i + b_h</c>,
    /// summed here as the unfused path sums them before its products, so the bits are the same and nothing is summed apart.
    /// Unless empty, <paramref name="activated"/> <c>[3H]</c> takes r, z, n and <paramref name="recurrentN"/> <c>[H]</c> takes
    /// <c>b_hn + h·Wh_n</c>. <paramref name="y"/> must not overlap h, unless it is h itself and <see cref="ReadsAllOfHFirst"/> holds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gru(ReadOnlySpan<float> biases, ReadOnlySpan<float> x, ReadOnlySpan<float> h, ReadOnlySpan<float> weights,
                           Span<float> y, Span<float> activated, Span<float> recurrentN) =>
        Gru(biases, x, h, h, weights, y, activated, recurrentN);

    /// <summary>
    /// <see cref="Gru(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/>
    /// with the products over h and the output's <c>z ⊙ h</c> over <paramref name="blendedH"/>, as recurrent dropout has it: h is
    /// then h_{t-1} masked, <paramref name="blendedH"/> h_{t-1} itself, both empty or both <c>[H]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gru(ReadOnlySpan<float> biases, ReadOnlySpan<float> x, ReadOnlySpan<float> h, ReadOnlySpan<float> blendedH, ReadOnlySpan<float> weights,
                           Span<float> y, Span<float> activated, Span<float> recurrentN)
    {
        int units = y.Length;
        var io = new GruIo(
            ref MemoryMarshal.GetReference(biases), ref MemoryMarshal.GetReference(x), x.Length,
            ref MemoryMarshal.GetReference(h), h.Length, ref MemoryMarshal.GetReference(blendedH), ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(y),
            ref MemoryMarshal.GetReference(activated), ref MemoryMarshal.GetReference(recurrentN), !activated.IsEmpty, units);
        ForEachBlock<GruKernel, GruIo>(in io, units, twoChains: SumsInTwoChains(units) && !h.IsEmpty);
    }

    /// <summary>
    /// A cell's block kernel: one step of units <c>[j, j + V·W)</c>, V vectors of W units as the type arguments say, and
    /// one <see cref="Vector{T}"/> of units more if the block's kind has a tail.
    /// </summary>
    private interface IBlockKernel<TIo>
        where TIo : allows ref struct
    {
        static abstract void Block<TLanes, TVector, TWidth, TKind>(in TIo io, nint j)
            where TLanes : struct, GateActivations.IFloatLanes<TVector>
            where TVector : struct
            where TWidth : struct, IVectorCount
            where TKind : struct, IBlockKind;
    }

    /// <summary>
    /// A block's kind, as a type, so that each kind compiles to its own code: whether it ends with a <see cref="Vector{T}"/>
    /// of units after its wider vectors, and whether it sums h's rows in two chains (<see cref="SumsInTwoChains"/>; only
    /// blocks of up to four vectors without a tail).
    /// </summary>
    private interface IBlockKind
    {
        static abstract bool HasTail { get; }

        static abstract bool TwoChains { get; }
    }

    private readonly struct Plain : IBlockKind { public static bool HasTail => false; public static bool TwoChains => false; }

    private readonly struct WithTail : IBlockKind { public static bool HasTail => true; public static bool TwoChains => false; }

    private readonly struct TwoChains : IBlockKind { public static bool HasTail => false; static bool IBlockKind.TwoChains => true; }

    private readonly struct LstmKernel : IBlockKernel<LstmIo>
    {
        public static void Block<TLanes, TVector, TWidth, TKind>(in LstmIo io, nint j)
            where TLanes : struct, GateActivations.IFloatLanes<TVector>
            where TVector : struct
            where TWidth : struct, IVectorCount
            where TKind : struct, IBlockKind
        {
            if (TKind.TwoChains)
                LstmBlockInTwoChains<TLanes, TVector, TWidth>(in io, j);
            else
                LstmBlock<TLanes, TVector, TWidth, TKind>(in io, j);
        }
    }

    private readonly struct GruKernel : IBlockKernel<GruIo>
    {
        public static void Block<TLanes, TVector, TWidth, TKind>(in GruIo io, nint j)
            where TLanes : struct, GateActivations.IFloatLanes<TVector>
            where TVector : struct
            where TWidth : struct, IVectorCount
            where TKind : struct, IBlockKind
        {
            if (TKind.TwoChains)
                GruBlockInTwoChains<TLanes, TVector, TWidth>(in io, j);
            else
                GruBlock<TLanes, TVector, TWidth, TKind>(in io, j);
        }
    }

    /// <summary>
    /// Runs the kernel over the units: in 512-bit vectors where the CPU runs them natively and <see cref="Vector{T}"/> is
    /// half that (on a core with two 512-bit FMA pipes that halves the product's time; the lanes give the same bits at
    /// any width), a last 256-bit vector of units in the last block, so that its sums run beside the others'. Blocks sum h's
    /// rows in two chains if <paramref name="twoChains"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForEachBlock<TKernel, TIo>(in TIo io, int units, bool twoChains)
        where TKernel : IBlockKernel<TIo>
        where TIo : allows ref struct
    {
        int wide = s_wide ? units / Vector512<float>.Count : 0;
        if (wide == 0)
            ForEachBlock<TKernel, TIo, GateActivations.VectorLanes, Vector<float>>(in io, units / Vector<float>.Count, tail: false, twoChains);
        else
            ForEachBlock<TKernel, TIo, GateActivations.Vector512Lanes, Vector512<float>>(in io, wide, tail: units % Vector512<float>.Count != 0, twoChains);
    }

    /// <summary>
    /// Runs the kernel over <paramref name="vectors"/> vectors of units in as few blocks as <see cref="MaxWidth"/> allows,
    /// as even as possible, the last with a <see cref="Vector{T}"/> of units more if <paramref name="tail"/>; each summing
    /// h's rows in two chains if <paramref name="twoChains"/> (never with a tail: see <see cref="IBlockKind"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForEachBlock<TKernel, TIo, TLanes, TVector>(in TIo io, int vectors, bool tail, bool twoChains)
        where TKernel : IBlockKernel<TIo>
        where TIo : allows ref struct
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct
    {
        int blocks = (vectors + MaxWidth - 1) / MaxWidth;
        nint j = 0;
        for (int block = 0; block < blocks; block++)
        {
            int width = (vectors / blocks) + (block < vectors % blocks ? 1 : 0);
            if (twoChains)
                Block<TKernel, TIo, TLanes, TVector, TwoChains>(in io, j, width);
            else if (tail && block == blocks - 1)
                Block<TKernel, TIo, TLanes, TVector, WithTail>(in io, j, width);
            else
                Block<TKernel, TIo, TLanes, TVector, Plain>(in io, j, width);
            j += width * TLanes.Count;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block<TKernel, TIo, TLanes, TVector, TKind>(in TIo io, nint j, int width)
        where TKernel : IBlockKernel<TIo>
        where TIo : allows ref struct
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct
        where TKind : struct, IBlockKind
    {
        switch (width)
        {
            case 1: TKernel.Block<TLanes, TVector, Vectors1, TKind>(in io, j); break;
            case 2: TKernel.Block<TLanes, TVector, Vectors2, TKind>(in io, j); break;
            case 3: TKernel.Block<TLanes, TVector, Vectors3, TKind>(in io, j); break;
            case 4: TKernel.Block<TLanes, TVector, Vectors4, TKind>(in io, j); break;
            default: TKernel.Block<TLanes, TVector, Vectors5, TKind>(in io, j); break;
        }
    }

    // The constructors inlined: NativeAOT otherwise called them out of line, and a one-stream LSTM layer step took 1.5x the JIT's.
    [method: MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ref struct LstmIo(ref float start, ref float x, int inputs, ref float h, int hRows, ref float weights,
                                       ref float previousCell, bool hasPreviousCell, ref float cell, ref float y, ref float activated, bool keepActivated, int units)
    {
        public readonly ref float Start = ref start, X = ref x, H = ref h, Weights = ref weights, PreviousCell = ref previousCell, Cell = ref cell, Y = ref y, Activated = ref activated;
        public readonly int Inputs = inputs, HRows = hRows, Units = units;
        public readonly bool HasPreviousCell = hasPreviousCell, KeepActivated = keepActivated;
    }

    [method: MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ref struct GruIo(ref float biases, ref float x, int inputs, ref float h, int hRows, ref float blendedH, ref float weights,
                                      ref float y, ref float activated, ref float recurrentN, bool keep, int units)
    {
        public readonly ref float Biases = ref biases, X = ref x, H = ref h, BlendedH = ref blendedH, Weights = ref weights, Y = ref y, Activated = ref activated, RecurrentN = ref recurrentN;
        public readonly int Inputs = inputs, HRows = hRows, Units = units;
        public readonly bool Keep = keep;
    }

    // Units [j, j + V·W): the four gates' accumulators of each vector of units, over the rows of x, then of h.
    // Never inlined: compiled on its own it stays within the JIT's inlining budget, so every vector function it
    // calls is inlined (inlined into a larger caller, the exps became calls and a step took 1.5x as long).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LstmBlock<TLanes, TVector, TWidth, TKind>(in LstmIo io, nint j)
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct
        where TWidth : struct, IVectorCount
        where TKind : struct, IBlockKind
    {
        int v = TWidth.Vectors;
        bool tail = TKind.HasTail;
        nint W = TLanes.Count, H = io.Units, i = j, f = H + j, g = (2 * H) + j, o = (3 * H) + j, ld = 4 * H;
        ref float start = ref io.Start;
        TVector i0 = TLanes.Load(ref start, i), f0 = TLanes.Load(ref start, f), g0 = TLanes.Load(ref start, g), o0 = TLanes.Load(ref start, o);
        TVector i1 = default, f1 = default, g1 = default, o1 = default, i2 = default, f2 = default, g2 = default, o2 = default;
        TVector i3 = default, f3 = default, g3 = default, o3 = default, i4 = default, f4 = default, g4 = default, o4 = default;
        if (v > 1) { i1 = TLanes.Load(ref start, i + W); f1 = TLanes.Load(ref start, f + W); g1 = TLanes.Load(ref start, g + W); o1 = TLanes.Load(ref start, o + W); }
        if (v > 2) { i2 = TLanes.Load(ref start, i + 2 * W); f2 = TLanes.Load(ref start, f + 2 * W); g2 = TLanes.Load(ref start, g + 2 * W); o2 = TLanes.Load(ref start, o + 2 * W); }
        if (v > 3) { i3 = TLanes.Load(ref start, i + 3 * W); f3 = TLanes.Load(ref start, f + 3 * W); g3 = TLanes.Load(ref start, g + 3 * W); o3 = TLanes.Load(ref start, o + 3 * W); }
        if (v > 4) { i4 = TLanes.Load(ref start, i + 4 * W); f4 = TLanes.Load(ref start, f + 4 * W); g4 = TLanes.Load(ref start, g + 4 * W); o4 = TLanes.Load(ref start, o + 4 * W); }
        nint e = v * W; // the tail's first unit from j
        Vector<float> iE = default, fE = default, gE = default, oE = default;
        if (tail) { iE = Load(ref start, i + e); fE = Load(ref start, f + e); gE = Load(ref start, g + e); oE = Load(ref start, o + e); }

        ref float w = ref io.Weights;
        ref float a = ref io.X;
        int rows = io.Inputs;
        for (int part = 0; part < 2; part++)
        {
            for (int p = 0; p < rows; p++)
            {
                // Broadcast straight from memory, one load: read into a local first, the value cost a load and a shuffle.
                var s = TLanes.Create(Unsafe.Add(ref a, p));
                i0 = Fma<TLanes, TVector>(s, ref w, i, i0); f0 = Fma<TLanes, TVector>(s, ref w, f, f0); g0 = Fma<TLanes, TVector>(s, ref w, g, g0); o0 = Fma<TLanes, TVector>(s, ref w, o, o0);
                if (v > 1) { i1 = Fma<TLanes, TVector>(s, ref w, i + W, i1); f1 = Fma<TLanes, TVector>(s, ref w, f + W, f1); g1 = Fma<TLanes, TVector>(s, ref w, g + W, g1); o1 = Fma<TLanes, TVector>(s, ref w, o + W, o1); }
                if (v > 2) { i2 = Fma<TLanes, TVector>(s, ref w, i + 2 * W, i2); f2 = Fma<TLanes, TVector>(s, ref w, f + 2 * W, f2); g2 = Fma<TLanes, TVector>(s, ref w, g + 2 * W, g2); o2 = Fma<TLanes, TVector>(s, ref w, o + 2 * W, o2); }
                if (v > 3) { i3 = Fma<TLanes, TVector>(s, ref w, i + 3 * W, i3); f3 = Fma<TLanes, TVector>(s, ref w, f + 3 * W, f3); g3 = Fma<TLanes, TVector>(s, ref w, g + 3 * W, g3); o3 = Fma<TLanes, TVector>(s, ref w, o + 3 * W, o3); }
                if (v > 4) { i4 = Fma<TLanes, TVector>(s, ref w, i + 4 * W, i4); f4 = Fma<TLanes, TVector>(s, ref w, f + 4 * W, f4); g4 = Fma<TLanes, TVector>(s, ref w, g + 4 * W, g4); o4 = Fma<TLanes, TVector>(s, ref w, o + 4 * W, o4); }
                if (tail) { var sE = new Vector<float>(Unsafe.Add(ref a, p)); iE = Fma(sE, ref w, i + e, iE); fE = Fma(sE, ref w, f + e, fE); gE = Fma(sE, ref w, g + e, gE); oE = Fma(sE, ref w, o + e, oE); }
                w = ref Unsafe.Add(ref w, ld);
            }
            a = ref io.H;
            rows = io.HRows;
        }

        LstmUnits<TLanes, TVector>(in io, j, i0, f0, g0, o0);
        if (v > 1) LstmUnits<TLanes, TVector>(in io, j + W, i1, f1, g1, o1);
        if (v > 2) LstmUnits<TLanes, TVector>(in io, j + 2 * W, i2, f2, g2, o2);
        if (v > 3) LstmUnits<TLanes, TVector>(in io, j + 3 * W, i3, f3, g3, o3);
        if (v > 4) LstmUnits<TLanes, TVector>(in io, j + 4 * W, i4, f4, g4, o4);
        if (tail) LstmTail(in io, j + e, iE, fE, gE, oE);
    }

    // LstmBlock for a layer that sums h's rows in two chains (SumsInTwoChains): blocks of up to four vectors, no tail. A
    // kernel of its own, so that LstmBlock's other kinds do not carry its accumulators (they spilled there).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LstmBlockInTwoChains<TLanes, TVector, TWidth>(in LstmIo io, nint j)
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct
        where TWidth : struct, IVectorCount
    {
        int v = TWidth.Vectors;
        nint W = TLanes.Count, H = io.Units, i = j, f = H + j, g = (2 * H) + j, o = (3 * H) + j, ld = 4 * H;
        ref float start = ref io.Start;
        TVector i0 = TLanes.Load(ref start, i), f0 = TLanes.Load(ref start, f), g0 = TLanes.Load(ref start, g), o0 = TLanes.Load(ref start, o);
        TVector i1 = default, f1 = default, g1 = default, o1 = default, i2 = default, f2 = default, g2 = default, o2 = default;
        TVector i3 = default, f3 = default, g3 = default, o3 = default;
        if (v > 1) { i1 = TLanes.Load(ref start, i + W); f1 = TLanes.Load(ref start, f + W); g1 = TLanes.Load(ref start, g + W); o1 = TLanes.Load(ref start, o + W); }
        if (v > 2) { i2 = TLanes.Load(ref start, i + 2 * W); f2 = TLanes.Load(ref start, f + 2 * W); g2 = TLanes.Load(ref start, g + 2 * W); o2 = TLanes.Load(ref start, o + 2 * W); }
        if (v > 3) { i3 = TLanes.Load(ref start, i + 3 * W); f3 = TLanes.Load(ref start, f + 3 * W); g3 = TLanes.Load(ref start, g + 3 * W); o3 = TLanes.Load(ref start, o + 3 * W); }

        ref float w = ref io.Weights;
        ref float a = ref io.X;
        for (int p = 0; p < io.Inputs; p++)
        {
            var s = TLanes.Create(Unsafe.Add(ref a, p));
            i0 = Fma<TLanes, TVector>(s, ref w, i, i0); f0 = Fma<TLanes, TVector>(s, ref w, f, f0); g0 = Fma<TLanes, TVector>(s, ref w, g, g0); o0 = Fma<TLanes, TVector>(s, ref w, o, o0);
            if (v > 1) { i1 = Fma<TLanes, TVector>(s, ref w, i + W, i1); f1 = Fma<TLanes, TVector>(s, ref w, f + W, f1); g1 = Fma<TLanes, TVector>(s, ref w, g + W, g1); o1 = Fma<TLanes, TVector>(s, ref w, o + W, o1); }
            if (v > 2) { i2 = Fma<TLanes, TVector>(s, ref w, i + 2 * W, i2); f2 = Fma<TLanes, TVector>(s, ref w, f + 2 * W, f2); g2 = Fma<TLanes, TVector>(s, ref w, g + 2 * W, g2); o2 = Fma<TLanes, TVector>(s, ref w, o + 2 * W, o2); }
            if (v > 3) { i3 = Fma<TLanes, TVector>(s, ref w, i + 3 * W, i3); f3 = Fma<TLanes, TVector>(s, ref w, f + 3 * W, f3); g3 = Fma<TLanes, TVector>(s, ref w, g + 3 * W, g3); o3 = Fma<TLanes, TVector>(s, ref w, o + 3 * W, o3); }
            w = ref Unsafe.Add(ref w, ld);
        }

        a = ref io.H;
        // h's rows in two chains side by side (SumsInTwoChains), which only layers of up to four vectors per gate have:
        // rows [0, F) onto the sums so far, rows [F, 2F) from zero, the second chain added to the first at the end.
        Debug.Assert(v <= 4 && io.HRows % 2 == 0);
        int first = io.HRows / 2;
        ref float w2 = ref Unsafe.Add(ref w, first * ld);
        TVector i5 = TLanes.Create(0f), f5 = i5, g5 = i5, o5 = i5, i6 = i5, f6 = i5, g6 = i5, o6 = i5;
        TVector i7 = i5, f7 = i5, g7 = i5, o7 = i5, i8 = i5, f8 = i5, g8 = i5, o8 = i5;
        for (int p = 0; p < first; p++)
        {
            var s = TLanes.Create(Unsafe.Add(ref a, p));
            var s2 = TLanes.Create(Unsafe.Add(ref a, first + p));
            i0 = Fma<TLanes, TVector>(s, ref w, i, i0); f0 = Fma<TLanes, TVector>(s, ref w, f, f0); g0 = Fma<TLanes, TVector>(s, ref w, g, g0); o0 = Fma<TLanes, TVector>(s, ref w, o, o0);
            i5 = Fma<TLanes, TVector>(s2, ref w2, i, i5); f5 = Fma<TLanes, TVector>(s2, ref w2, f, f5); g5 = Fma<TLanes, TVector>(s2, ref w2, g, g5); o5 = Fma<TLanes, TVector>(s2, ref w2, o, o5);
            if (v > 1)
            {
                i1 = Fma<TLanes, TVector>(s, ref w, i + W, i1); f1 = Fma<TLanes, TVector>(s, ref w, f + W, f1); g1 = Fma<TLanes, TVector>(s, ref w, g + W, g1); o1 = Fma<TLanes, TVector>(s, ref w, o + W, o1);
                i6 = Fma<TLanes, TVector>(s2, ref w2, i + W, i6); f6 = Fma<TLanes, TVector>(s2, ref w2, f + W, f6); g6 = Fma<TLanes, TVector>(s2, ref w2, g + W, g6); o6 = Fma<TLanes, TVector>(s2, ref w2, o + W, o6);
            }
            if (v > 2)
            {
                i2 = Fma<TLanes, TVector>(s, ref w, i + 2 * W, i2); f2 = Fma<TLanes, TVector>(s, ref w, f + 2 * W, f2); g2 = Fma<TLanes, TVector>(s, ref w, g + 2 * W, g2); o2 = Fma<TLanes, TVector>(s, ref w, o + 2 * W, o2);
                i7 = Fma<TLanes, TVector>(s2, ref w2, i + 2 * W, i7); f7 = Fma<TLanes, TVector>(s2, ref w2, f + 2 * W, f7); g7 = Fma<TLanes, TVector>(s2, ref w2, g + 2 * W, g7); o7 = Fma<TLanes, TVector>(s2, ref w2, o + 2 * W, o7);
            }
            if (v > 3)
            {
                i3 = Fma<TLanes, TVector>(s, ref w, i + 3 * W, i3); f3 = Fma<TLanes, TVector>(s, ref w, f + 3 * W, f3); g3 = Fma<TLanes, TVector>(s, ref w, g + 3 * W, g3); o3 = Fma<TLanes, TVector>(s, ref w, o + 3 * W, o3);
                i8 = Fma<TLanes, TVector>(s2, ref w2, i + 3 * W, i8); f8 = Fma<TLanes, TVector>(s2, ref w2, f + 3 * W, f8); g8 = Fma<TLanes, TVector>(s2, ref w2, g + 3 * W, g8); o8 = Fma<TLanes, TVector>(s2, ref w2, o + 3 * W, o8);
            }
            w = ref Unsafe.Add(ref w, ld);
            w2 = ref Unsafe.Add(ref w2, ld);
        }
        (i0, f0, g0, o0) = (TLanes.Add(i0, i5), TLanes.Add(f0, f5), TLanes.Add(g0, g5), TLanes.Add(o0, o5));
        if (v > 1) (i1, f1, g1, o1) = (TLanes.Add(i1, i6), TLanes.Add(f1, f6), TLanes.Add(g1, g6), TLanes.Add(o1, o6));
        if (v > 2) (i2, f2, g2, o2) = (TLanes.Add(i2, i7), TLanes.Add(f2, f7), TLanes.Add(g2, g7), TLanes.Add(o2, o7));
        if (v > 3) (i3, f3, g3, o3) = (TLanes.Add(i3, i8), TLanes.Add(f3, f8), TLanes.Add(g3, g8), TLanes.Add(o3, o8));

        LstmUnits<TLanes, TVector>(in io, j, i0, f0, g0, o0);
        if (v > 1) LstmUnits<TLanes, TVector>(in io, j + W, i1, f1, g1, o1);
        if (v > 2) LstmUnits<TLanes, TVector>(in io, j + 2 * W, i2, f2, g2, o2);
        if (v > 3) LstmUnits<TLanes, TVector>(in io, j + 3 * W, i3, f3, g3, o3);
    }

    /// <summary>
    /// LSTM of 24 or 40 units in 512-bit vectors: the product over all 4H columns at once, 6 or 10 vectors, as they lie in
    /// the rows, then the cell from those sums stored on the stack. Blocked by units, each gate's 512-bit loads would start
    /// 32 bytes into a cache line in every other gate (a gate's columns are H = 16k + 8 floats apart) and cost two loads
    /// each, so that the loads, not the multiply-adds, bounded the product.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private static unsafe void LstmAcrossGates(in LstmIo io)
    {
        const int MaxColumns = 160;
        int columns = 4 * io.Units;
        // One cache line of slack, so that the sums' 512-bit stores start on a line.
        float* buffer = stackalloc float[MaxColumns + 16];
        ref float sums = ref Unsafe.AsRef<float>(buffer + ((16 - ((nint)buffer / sizeof(float) % 16)) % 16));
        if (columns / Vector512<float>.Count == 6)
            SumAcrossGates<Vectors6>(in io, ref sums);
        else
            SumAcrossGates<Columns10>(in io, ref sums);

        nint H = io.Units, W = Vector512<float>.Count, j = 0;
        for (; j + W <= H; j += W)
        {
            LstmUnits<GateActivations.Vector512Lanes, Vector512<float>>(in io, j,
                Vector512.LoadUnsafe(ref sums, (nuint)j), Vector512.LoadUnsafe(ref sums, (nuint)(H + j)),
                Vector512.LoadUnsafe(ref sums, (nuint)((2 * H) + j)), Vector512.LoadUnsafe(ref sums, (nuint)((3 * H) + j)));
        }
        LstmTail(in io, j, Load(ref sums, j), Load(ref sums, H + j), Load(ref sums, (2 * H) + j), Load(ref sums, (3 * H) + j));
    }

    // start + [x | h]·weights over V 512-bit vectors of columns, in registers, stored to sums.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumAcrossGates<TColumns>(in LstmIo io, ref float sums)
        where TColumns : struct, IVectorCount
    {
        int v = TColumns.Vectors;
        nint W = Vector512<float>.Count, ld = 4 * (nint)io.Units;
        ref float start = ref io.Start;
        Vector512<float> a0 = Vector512.LoadUnsafe(ref start), a1 = default, a2 = default, a3 = default, a4 = default;
        Vector512<float> a5 = default, a6 = default, a7 = default, a8 = default, a9 = default;
        if (v > 1) a1 = Vector512.LoadUnsafe(ref start, (nuint)W);
        if (v > 2) a2 = Vector512.LoadUnsafe(ref start, (nuint)(2 * W));
        if (v > 3) a3 = Vector512.LoadUnsafe(ref start, (nuint)(3 * W));
        if (v > 4) a4 = Vector512.LoadUnsafe(ref start, (nuint)(4 * W));
        if (v > 5) a5 = Vector512.LoadUnsafe(ref start, (nuint)(5 * W));
        if (v > 6) a6 = Vector512.LoadUnsafe(ref start, (nuint)(6 * W));
        if (v > 7) a7 = Vector512.LoadUnsafe(ref start, (nuint)(7 * W));
        if (v > 8) a8 = Vector512.LoadUnsafe(ref start, (nuint)(8 * W));
        if (v > 9) a9 = Vector512.LoadUnsafe(ref start, (nuint)(9 * W));

        ref float w = ref io.Weights;
        ref float a = ref io.X;
        int rows = io.Inputs;
        for (int part = 0; part < 2; part++)
        {
            for (int p = 0; p < rows; p++)
            {
                var s = Vector512.Create(Unsafe.Add(ref a, p));
                a0 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, 0, a0);
                if (v > 1) a1 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, W, a1);
                if (v > 2) a2 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, 2 * W, a2);
                if (v > 3) a3 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, 3 * W, a3);
                if (v > 4) a4 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, 4 * W, a4);
                if (v > 5) a5 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, 5 * W, a5);
                if (v > 6) a6 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, 6 * W, a6);
                if (v > 7) a7 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, 7 * W, a7);
                if (v > 8) a8 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, 8 * W, a8);
                if (v > 9) a9 = Fma<GateActivations.Vector512Lanes, Vector512<float>>(s, ref w, 9 * W, a9);
                w = ref Unsafe.Add(ref w, ld);
            }
            a = ref io.H;
            rows = io.HRows;
        }

        a0.StoreUnsafe(ref sums);
        if (v > 1) a1.StoreUnsafe(ref sums, (nuint)W);
        if (v > 2) a2.StoreUnsafe(ref sums, (nuint)(2 * W));
        if (v > 3) a3.StoreUnsafe(ref sums, (nuint)(3 * W));
        if (v > 4) a4.StoreUnsafe(ref sums, (nuint)(4 * W));
        if (v > 5) a5.StoreUnsafe(ref sums, (nuint)(5 * W));
        if (v > 6) a6.StoreUnsafe(ref sums, (nuint)(6 * W));
        if (v > 7) a7.StoreUnsafe(ref sums, (nuint)(7 * W));
        if (v > 8) a8.StoreUnsafe(ref sums, (nuint)(8 * W));
        if (v > 9) a9.StoreUnsafe(ref sums, (nuint)(9 * W));
    }

    private readonly struct Columns10 : IVectorCount { public static int Vectors => 10; }

    // The tail's units, compiled apart: inlined beside the wider vectors' units, they left the JIT's inlining budget
    // spent, and the activations of the block became calls (an LSTM(40) step took 1.5x as long).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LstmTail(in LstmIo io, nint j, Vector<float> i, Vector<float> f, Vector<float> g, Vector<float> o) =>
        LstmUnits<GateActivations.VectorLanes, Vector<float>>(in io, j, i, f, g, o);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LstmUnits<TLanes, TVector>(in LstmIo io, nint j, TVector i, TVector f, TVector g, TVector o)
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct
    {
        i = GateActivations.GateSigmoid<TLanes, TVector>(i);
        f = GateActivations.GateSigmoid<TLanes, TVector>(f);
        g = GateActivations.GateTanh<TLanes, TVector>(g);
        o = GateActivations.GateSigmoid<TLanes, TVector>(o);
        if (io.KeepActivated)
        {
            nint H = io.Units;
            TLanes.Store(i, ref io.Activated, j);
            TLanes.Store(f, ref io.Activated, H + j);
            TLanes.Store(g, ref io.Activated, (2 * H) + j);
            TLanes.Store(o, ref io.Activated, (3 * H) + j);
        }
        TVector previous = io.HasPreviousCell ? TLanes.Load(ref io.PreviousCell, j) : TLanes.Create(0f);
        TVector c = GateActivations.LstmCellState<TLanes, TVector>(f, previous, i, g);
        TLanes.Store(c, ref io.Cell, j);
        TLanes.Store(GateActivations.LstmOutput<TLanes, TVector>(o, c), ref io.Y, j);
    }

    // Units [j, j + V·W): r, z and the input part of n over the rows of x; r, z and the recurrent part of n over the rows of h.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GruBlock<TLanes, TVector, TWidth, TKind>(in GruIo io, nint j)
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct
        where TWidth : struct, IVectorCount
        where TKind : struct, IBlockKind
    {
        int v = TWidth.Vectors;
        bool tail = TKind.HasTail;
        nint W = TLanes.Count, H = io.Units, r = j, z = H + j, n = (2 * H) + j, ld = 3 * H;
        // The biases [2, 3H]: r and z start from b_i + b_h, n's input part from b_in, its recurrent part from b_hn.
        ref float bi = ref io.Biases, bh = ref Unsafe.Add(ref bi, ld);
        TVector r0 = Start<TLanes, TVector>(ref bi, ref bh, r), z0 = Start<TLanes, TVector>(ref bi, ref bh, z), n0 = TLanes.Load(ref bi, n), m0 = TLanes.Load(ref bh, n);
        TVector r1 = default, z1 = default, n1 = default, m1 = default, r2 = default, z2 = default, n2 = default, m2 = default;
        TVector r3 = default, z3 = default, n3 = default, m3 = default, r4 = default, z4 = default, n4 = default, m4 = default;
        if (v > 1) { r1 = Start<TLanes, TVector>(ref bi, ref bh, r + W); z1 = Start<TLanes, TVector>(ref bi, ref bh, z + W); n1 = TLanes.Load(ref bi, n + W); m1 = TLanes.Load(ref bh, n + W); }
        if (v > 2) { r2 = Start<TLanes, TVector>(ref bi, ref bh, r + 2 * W); z2 = Start<TLanes, TVector>(ref bi, ref bh, z + 2 * W); n2 = TLanes.Load(ref bi, n + 2 * W); m2 = TLanes.Load(ref bh, n + 2 * W); }
        if (v > 3) { r3 = Start<TLanes, TVector>(ref bi, ref bh, r + 3 * W); z3 = Start<TLanes, TVector>(ref bi, ref bh, z + 3 * W); n3 = TLanes.Load(ref bi, n + 3 * W); m3 = TLanes.Load(ref bh, n + 3 * W); }
        if (v > 4) { r4 = Start<TLanes, TVector>(ref bi, ref bh, r + 4 * W); z4 = Start<TLanes, TVector>(ref bi, ref bh, z + 4 * W); n4 = TLanes.Load(ref bi, n + 4 * W); m4 = TLanes.Load(ref bh, n + 4 * W); }
        nint e = v * W; // the tail's first unit from j
        Vector<float> rE = default, zE = default, nE = default, mE = default;
        if (tail)
        {
            rE = Load(ref bi, r + e) + Load(ref bh, r + e); zE = Load(ref bi, z + e) + Load(ref bh, z + e);
            nE = Load(ref bi, n + e); mE = Load(ref bh, n + e);
        }

        ref float w = ref io.Weights;
        // Read through the GruIo inside the loops, x's and h's addresses were loaded again for every row.
        ref float x = ref io.X, hv = ref io.H;
        for (int p = 0; p < io.Inputs; p++)
        {
            var s = TLanes.Create(Unsafe.Add(ref x, p));
            r0 = Fma<TLanes, TVector>(s, ref w, r, r0); z0 = Fma<TLanes, TVector>(s, ref w, z, z0); n0 = Fma<TLanes, TVector>(s, ref w, n, n0);
            if (v > 1) { r1 = Fma<TLanes, TVector>(s, ref w, r + W, r1); z1 = Fma<TLanes, TVector>(s, ref w, z + W, z1); n1 = Fma<TLanes, TVector>(s, ref w, n + W, n1); }
            if (v > 2) { r2 = Fma<TLanes, TVector>(s, ref w, r + 2 * W, r2); z2 = Fma<TLanes, TVector>(s, ref w, z + 2 * W, z2); n2 = Fma<TLanes, TVector>(s, ref w, n + 2 * W, n2); }
            if (v > 3) { r3 = Fma<TLanes, TVector>(s, ref w, r + 3 * W, r3); z3 = Fma<TLanes, TVector>(s, ref w, z + 3 * W, z3); n3 = Fma<TLanes, TVector>(s, ref w, n + 3 * W, n3); }
            if (v > 4) { r4 = Fma<TLanes, TVector>(s, ref w, r + 4 * W, r4); z4 = Fma<TLanes, TVector>(s, ref w, z + 4 * W, z4); n4 = Fma<TLanes, TVector>(s, ref w, n + 4 * W, n4); }
            if (tail) { var sE = new Vector<float>(Unsafe.Add(ref x, p)); rE = Fma(sE, ref w, r + e, rE); zE = Fma(sE, ref w, z + e, zE); nE = Fma(sE, ref w, n + e, nE); }
            w = ref Unsafe.Add(ref w, ld);
        }
        for (int p = 0; p < io.HRows; p++)
        {
            var s = TLanes.Create(Unsafe.Add(ref hv, p));
            r0 = Fma<TLanes, TVector>(s, ref w, r, r0); z0 = Fma<TLanes, TVector>(s, ref w, z, z0); m0 = Fma<TLanes, TVector>(s, ref w, n, m0);
            if (v > 1) { r1 = Fma<TLanes, TVector>(s, ref w, r + W, r1); z1 = Fma<TLanes, TVector>(s, ref w, z + W, z1); m1 = Fma<TLanes, TVector>(s, ref w, n + W, m1); }
            if (v > 2) { r2 = Fma<TLanes, TVector>(s, ref w, r + 2 * W, r2); z2 = Fma<TLanes, TVector>(s, ref w, z + 2 * W, z2); m2 = Fma<TLanes, TVector>(s, ref w, n + 2 * W, m2); }
            if (v > 3) { r3 = Fma<TLanes, TVector>(s, ref w, r + 3 * W, r3); z3 = Fma<TLanes, TVector>(s, ref w, z + 3 * W, z3); m3 = Fma<TLanes, TVector>(s, ref w, n + 3 * W, m3); }
            if (v > 4) { r4 = Fma<TLanes, TVector>(s, ref w, r + 4 * W, r4); z4 = Fma<TLanes, TVector>(s, ref w, z + 4 * W, z4); m4 = Fma<TLanes, TVector>(s, ref w, n + 4 * W, m4); }
            if (tail) { var sE = new Vector<float>(Unsafe.Add(ref hv, p)); rE = Fma(sE, ref w, r + e, rE); zE = Fma(sE, ref w, z + e, zE); mE = Fma(sE, ref w, n + e, mE); }
            w = ref Unsafe.Add(ref w, ld);
        }

        GruUnits<TLanes, TVector>(in io, j, r0, z0, n0, m0);
        if (v > 1) GruUnits<TLanes, TVector>(in io, j + W, r1, z1, n1, m1);
        if (v > 2) GruUnits<TLanes, TVector>(in io, j + 2 * W, r2, z2, n2, m2);
        if (v > 3) GruUnits<TLanes, TVector>(in io, j + 3 * W, r3, z3, n3, m3);
        if (v > 4) GruUnits<TLanes, TVector>(in io, j + 4 * W, r4, z4, n4, m4);
        if (tail) GruTail(in io, j + e, rE, zE, nE, mE);
    }

    // GruBlock for a layer that sums h's rows in two chains (SumsInTwoChains), as LstmBlockInTwoChains is LstmBlock's.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GruBlockInTwoChains<TLanes, TVector, TWidth>(in GruIo io, nint j)
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct
        where TWidth : struct, IVectorCount
    {
        int v = TWidth.Vectors;
        nint W = TLanes.Count, H = io.Units, r = j, z = H + j, n = (2 * H) + j, ld = 3 * H;
        ref float bi = ref io.Biases, bh = ref Unsafe.Add(ref bi, ld);
        TVector r0 = Start<TLanes, TVector>(ref bi, ref bh, r), z0 = Start<TLanes, TVector>(ref bi, ref bh, z), n0 = TLanes.Load(ref bi, n), m0 = TLanes.Load(ref bh, n);
        TVector r1 = default, z1 = default, n1 = default, m1 = default, r2 = default, z2 = default, n2 = default, m2 = default;
        TVector r3 = default, z3 = default, n3 = default, m3 = default;
        if (v > 1) { r1 = Start<TLanes, TVector>(ref bi, ref bh, r + W); z1 = Start<TLanes, TVector>(ref bi, ref bh, z + W); n1 = TLanes.Load(ref bi, n + W); m1 = TLanes.Load(ref bh, n + W); }
        if (v > 2) { r2 = Start<TLanes, TVector>(ref bi, ref bh, r + 2 * W); z2 = Start<TLanes, TVector>(ref bi, ref bh, z + 2 * W); n2 = TLanes.Load(ref bi, n + 2 * W); m2 = TLanes.Load(ref bh, n + 2 * W); }
        if (v > 3) { r3 = Start<TLanes, TVector>(ref bi, ref bh, r + 3 * W); z3 = Start<TLanes, TVector>(ref bi, ref bh, z + 3 * W); n3 = TLanes.Load(ref bi, n + 3 * W); m3 = TLanes.Load(ref bh, n + 3 * W); }

        ref float w = ref io.Weights;
        ref float x = ref io.X, hv = ref io.H;
        for (int p = 0; p < io.Inputs; p++)
        {
            var s = TLanes.Create(Unsafe.Add(ref x, p));
            r0 = Fma<TLanes, TVector>(s, ref w, r, r0); z0 = Fma<TLanes, TVector>(s, ref w, z, z0); n0 = Fma<TLanes, TVector>(s, ref w, n, n0);
            if (v > 1) { r1 = Fma<TLanes, TVector>(s, ref w, r + W, r1); z1 = Fma<TLanes, TVector>(s, ref w, z + W, z1); n1 = Fma<TLanes, TVector>(s, ref w, n + W, n1); }
            if (v > 2) { r2 = Fma<TLanes, TVector>(s, ref w, r + 2 * W, r2); z2 = Fma<TLanes, TVector>(s, ref w, z + 2 * W, z2); n2 = Fma<TLanes, TVector>(s, ref w, n + 2 * W, n2); }
            if (v > 3) { r3 = Fma<TLanes, TVector>(s, ref w, r + 3 * W, r3); z3 = Fma<TLanes, TVector>(s, ref w, z + 3 * W, z3); n3 = Fma<TLanes, TVector>(s, ref w, n + 3 * W, n3); }
            w = ref Unsafe.Add(ref w, ld);
        }
        int first = io.HRows / 2;
        // h's rows in two chains side by side, as LstmBlockInTwoChains sums them.
        Debug.Assert(v <= 4 && io.HRows % 2 == 0);
        ref float w2 = ref Unsafe.Add(ref w, first * ld);
        TVector r5 = TLanes.Create(0f), z5 = r5, m5 = r5, r6 = r5, z6 = r5, m6 = r5, r7 = r5, z7 = r5, m7 = r5, r8 = r5, z8 = r5, m8 = r5;
        for (int p = 0; p < first; p++)
        {
            var s = TLanes.Create(Unsafe.Add(ref hv, p));
            var s2 = TLanes.Create(Unsafe.Add(ref hv, first + p));
            r0 = Fma<TLanes, TVector>(s, ref w, r, r0); z0 = Fma<TLanes, TVector>(s, ref w, z, z0); m0 = Fma<TLanes, TVector>(s, ref w, n, m0);
            r5 = Fma<TLanes, TVector>(s2, ref w2, r, r5); z5 = Fma<TLanes, TVector>(s2, ref w2, z, z5); m5 = Fma<TLanes, TVector>(s2, ref w2, n, m5);
            if (v > 1)
            {
                r1 = Fma<TLanes, TVector>(s, ref w, r + W, r1); z1 = Fma<TLanes, TVector>(s, ref w, z + W, z1); m1 = Fma<TLanes, TVector>(s, ref w, n + W, m1);
                r6 = Fma<TLanes, TVector>(s2, ref w2, r + W, r6); z6 = Fma<TLanes, TVector>(s2, ref w2, z + W, z6); m6 = Fma<TLanes, TVector>(s2, ref w2, n + W, m6);
            }
            if (v > 2)
            {
                r2 = Fma<TLanes, TVector>(s, ref w, r + 2 * W, r2); z2 = Fma<TLanes, TVector>(s, ref w, z + 2 * W, z2); m2 = Fma<TLanes, TVector>(s, ref w, n + 2 * W, m2);
                r7 = Fma<TLanes, TVector>(s2, ref w2, r + 2 * W, r7); z7 = Fma<TLanes, TVector>(s2, ref w2, z + 2 * W, z7); m7 = Fma<TLanes, TVector>(s2, ref w2, n + 2 * W, m7);
            }
            if (v > 3)
            {
                r3 = Fma<TLanes, TVector>(s, ref w, r + 3 * W, r3); z3 = Fma<TLanes, TVector>(s, ref w, z + 3 * W, z3); m3 = Fma<TLanes, TVector>(s, ref w, n + 3 * W, m3);
                r8 = Fma<TLanes, TVector>(s2, ref w2, r + 3 * W, r8); z8 = Fma<TLanes, TVector>(s2, ref w2, z + 3 * W, z8); m8 = Fma<TLanes, TVector>(s2, ref w2, n + 3 * W, m8);
            }
            w = ref Unsafe.Add(ref w, ld);
            w2 = ref Unsafe.Add(ref w2, ld);
        }
        (r0, z0, m0) = (TLanes.Add(r0, r5), TLanes.Add(z0, z5), TLanes.Add(m0, m5));
        if (v > 1) (r1, z1, m1) = (TLanes.Add(r1, r6), TLanes.Add(z1, z6), TLanes.Add(m1, m6));
        if (v > 2) (r2, z2, m2) = (TLanes.Add(r2, r7), TLanes.Add(z2, z7), TLanes.Add(m2, m7));
        if (v > 3) (r3, z3, m3) = (TLanes.Add(r3, r8), TLanes.Add(z3, z8), TLanes.Add(m3, m8));

        GruUnits<TLanes, TVector>(in io, j, r0, z0, n0, m0);
        if (v > 1) GruUnits<TLanes, TVector>(in io, j + W, r1, z1, n1, m1);
        if (v > 2) GruUnits<TLanes, TVector>(in io, j + 2 * W, r2, z2, n2, m2);
        if (v > 3) GruUnits<TLanes, TVector>(in io, j + 3 * W, r3, z3, n3, m3);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GruTail(in GruIo io, nint j, Vector<float> r, Vector<float> z, Vector<float> inputN, Vector<float> recurrentN) =>
        GruUnits<GateActivations.VectorLanes, Vector<float>>(in io, j, r, z, inputN, recurrentN);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruUnits<TLanes, TVector>(in GruIo io, nint j, TVector r, TVector z, TVector inputN, TVector recurrentN)
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct
    {
        r = GateActivations.GateSigmoid<TLanes, TVector>(r);
        z = GateActivations.GateSigmoid<TLanes, TVector>(z);
        TVector n = GateActivations.GruCandidate<TLanes, TVector>(inputN, r, recurrentN);
        TVector previous = io.HRows > 0 ? TLanes.Load(ref io.BlendedH, j) : TLanes.Create(0f);
        if (io.Keep)
        {
            nint H = io.Units;
            TLanes.Store(r, ref io.Activated, j);
            TLanes.Store(z, ref io.Activated, H + j);
            TLanes.Store(n, ref io.Activated, (2 * H) + j);
            TLanes.Store(recurrentN, ref io.RecurrentN, j);
        }
        TLanes.Store(GateActivations.GruOutput<TLanes, TVector>(z, previous, n), ref io.Y, j);
    }

    // A GRU's r or z start, b_i + b_h, one add as TensorPrimitives.Add makes it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Start<TLanes, TVector>(ref float inputBias, ref float recurrentBias, nint offset)
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct => TLanes.Add(TLanes.Load(ref inputBias, offset), TLanes.Load(ref recurrentBias, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float source, nint offset) => Vector.LoadUnsafe(ref source, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Fma(Vector<float> s, ref float row, nint offset, Vector<float> accumulator) =>
        Vector.MultiplyAddEstimate(s, Vector.LoadUnsafe(ref row, (nuint)offset), accumulator);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Fma<TLanes, TVector>(TVector s, ref float row, nint offset, TVector accumulator)
        where TLanes : struct, GateActivations.IFloatLanes<TVector>
        where TVector : struct => TLanes.MultiplyAdd(s, TLanes.Load(ref row, offset), accumulator);
}
