using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastSeq.Kernels;

/// <summary>
/// The nonlinear part of one LSTM or GRU timestep, and the sigmoid and tanh the other layers use, in two kinds:
/// the gates' (<see cref="GateSigmoid{TLanes, TVector}"/>, <see cref="GateTanh{TLanes, TVector}"/>), a rational function
/// short enough that the path from one step's h to the next waits less on it, and the activations'
/// (<see cref="Sigmoid(Vector{float})"/>, <see cref="Tanh(Vector{float})"/>), from a float exp of its own (cheaper than
/// TensorPrimitives' double-precision one), whose sigmoid keeps its relative precision near 0 for a model's outputs.
/// No per-gate calls. Vectorised with <see cref="Vector{T}"/> unless <see cref="MatMul.Path"/> is Scalar.
/// </summary>
internal static class GateActivations
{
    private static readonly bool s_vectorized = MatMul.Path != KernelPath.Scalar && Vector.IsHardwareAccelerated;

    /// <summary>Whether the activations run on <see cref="Vector{T}"/> (false on the Scalar path).</summary>
    internal static bool IsVectorized => s_vectorized;

    /// <summary>
    /// LSTM, gates i, f, g, o: activates <paramref name="gates"/> <c>[4H]</c> in place (σ, σ, tanh, σ),
    /// turns <paramref name="cell"/> from c_{t-1} into <c>c_t = f ⊙ c_{t-1} + i ⊙ g</c>, and writes <c>h_t = o ⊙ tanh(c_t)</c>.
    /// </summary>
    public static void LstmCell(Span<float> gates, Span<float> cell, Span<float> h)
    {
        int units = cell.Length;
        Check(gates.Length, 4 * units, nameof(gates));
        Check(h.Length, units, nameof(h));
        // Each gate block is activated in its own pass: the vectors of a pass are independent, so
        // their long activation chains overlap in the pipeline instead of waiting on one another.
        GateSigmoid(gates[..(2 * units)], gates[..(2 * units)]);
        GateTanh(gates.Slice(2 * units, units), gates.Slice(2 * units, units));
        GateSigmoid(gates[(3 * units)..], gates[(3 * units)..]);

        ref float i = ref MemoryMarshal.GetReference(gates);
        ref float f = ref Unsafe.Add(ref i, units);
        ref float g = ref Unsafe.Add(ref i, 2 * units);
        ref float o = ref Unsafe.Add(ref i, 3 * units);
        ref float c = ref MemoryMarshal.GetReference(cell);
        ref float y = ref MemoryMarshal.GetReference(h);
        if (!s_vectorized)
        {
            for (nint j = 0; j < units; j++)
            {
                float sc = (Unsafe.Add(ref f, j) * Unsafe.Add(ref c, j)) + (Unsafe.Add(ref i, j) * Unsafe.Add(ref g, j));
                Unsafe.Add(ref c, j) = sc;
                Unsafe.Add(ref y, j) = Unsafe.Add(ref o, j) * MathF.Tanh(sc);
            }
            return;
        }
        nint full = units - (units % Vector<float>.Count);
        for (nint j = 0; j < full; j += Vector<float>.Count)
            LstmCombine(ref i, ref f, ref g, ref o, ref c, ref y, j, Vector<float>.Count);
        if (full < units)
            LstmCombinePartial(ref i, ref f, ref g, ref o, ref c, ref y, full, units - (int)full);
    }

    /// <summary><c>c = f ⊙ c + i ⊙ g</c>, <c>h = o ⊙ tanh(c)</c> for the <paramref name="lanes"/> elements at <paramref name="j"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LstmCombine(ref float i, ref float f, ref float g, ref float o, ref float c, ref float y, nint j, int lanes)
    {
        Vector<float> vc = LstmCellState(Load(ref Unsafe.Add(ref f, j), lanes), Load(ref Unsafe.Add(ref c, j), lanes),
                                         Load(ref Unsafe.Add(ref i, j), lanes), Load(ref Unsafe.Add(ref g, j), lanes));
        Store(vc, ref Unsafe.Add(ref c, j), lanes);
        Store(LstmOutput(Load(ref Unsafe.Add(ref o, j), lanes), vc), ref Unsafe.Add(ref y, j), lanes);
    }

    /// <summary><c>c = f ⊙ c_prev + i ⊙ g</c> from activated gates (shared with <see cref="FusedCells"/>, so both give the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> LstmCellState(Vector<float> f, Vector<float> previousCell, Vector<float> i, Vector<float> g) =>
        LstmCellState<VectorLanes, Vector<float>>(f, previousCell, i, g);

    /// <summary><c>h = o ⊙ tanh(c)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> LstmOutput(Vector<float> o, Vector<float> cell) => LstmOutput<VectorLanes, Vector<float>>(o, cell);

    // The padded last vector lives here, out of line, so the full-vector loops carry no buffers.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LstmCombinePartial(ref float i, ref float f, ref float g, ref float o, ref float c, ref float y, nint j, int lanes) =>
        LstmCombine(ref i, ref f, ref g, ref o, ref c, ref y, j, lanes);

    /// <summary>
    /// GRU, gates r, z, n: <paramref name="gates"/> <c>[3H]</c> holds the pre-activations of r and z (input and
    /// recurrent parts summed) and the input part of n; <paramref name="recurrentN"/> <c>[H]</c> is
    /// <c>h_{t-1}·Wh_n + b_hn</c>. Activates the gates in place, <c>n = tanh(n_in + r ⊙ recurrentN)</c>, and
    /// writes <c>h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}</c>; an empty <paramref name="previousH"/> is zero.
    /// </summary>
    public static void GruCell(Span<float> gates, ReadOnlySpan<float> recurrentN, ReadOnlySpan<float> previousH, Span<float> h)
    {
        int units = h.Length;
        Check(gates.Length, 3 * units, nameof(gates));
        Check(recurrentN.Length, units, nameof(recurrentN));
        if (!previousH.IsEmpty)
            Check(previousH.Length, units, nameof(previousH));
        GateSigmoid(gates[..(2 * units)], gates[..(2 * units)]);

        ref float r = ref MemoryMarshal.GetReference(gates);
        ref float z = ref Unsafe.Add(ref r, units);
        ref float n = ref Unsafe.Add(ref r, 2 * units);
        ref float hn = ref MemoryMarshal.GetReference(recurrentN);
        ref float y = ref MemoryMarshal.GetReference(h);
        bool fromZero = previousH.IsEmpty;
        ref float p = ref fromZero ? ref y : ref MemoryMarshal.GetReference(previousH);
        if (!s_vectorized)
        {
            for (nint j = 0; j < units; j++)
            {
                float tn = MathF.Tanh(Unsafe.Add(ref n, j) + (Unsafe.Add(ref r, j) * Unsafe.Add(ref hn, j)));
                float previous = fromZero ? 0f : Unsafe.Add(ref p, j);
                Unsafe.Add(ref n, j) = tn;
                Unsafe.Add(ref y, j) = ((1f - Unsafe.Add(ref z, j)) * tn) + (Unsafe.Add(ref z, j) * previous);
            }
            return;
        }
        nint full = units - (units % Vector<float>.Count);
        for (nint j = 0; j < full; j += Vector<float>.Count)
            GruCombine(ref r, ref z, ref n, ref hn, ref p, fromZero, ref y, j, Vector<float>.Count);
        if (full < units)
            GruCombinePartial(ref r, ref z, ref n, ref hn, ref p, fromZero, ref y, full, units - (int)full);
    }

    /// <summary><c>n = tanh(n_in + r ⊙ recurrentN)</c>, <c>h = (1 - z) ⊙ n + z ⊙ h_prev</c> for the <paramref name="lanes"/> elements at <paramref name="j"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruCombine(ref float r, ref float z, ref float n, ref float hn, ref float p, bool fromZero, ref float y, nint j, int lanes)
    {
        Vector<float> vn = GruCandidate(Load(ref Unsafe.Add(ref n, j), lanes), Load(ref Unsafe.Add(ref r, j), lanes), Load(ref Unsafe.Add(ref hn, j), lanes));
        Vector<float> previous = fromZero ? Vector<float>.Zero : Load(ref Unsafe.Add(ref p, j), lanes);
        Store(vn, ref Unsafe.Add(ref n, j), lanes);
        Store(GruOutput(Load(ref Unsafe.Add(ref z, j), lanes), previous, vn), ref Unsafe.Add(ref y, j), lanes);
    }

    /// <summary><c>n = tanh(n_in + r ⊙ recurrentN)</c> (shared with <see cref="FusedCells"/>, so both give the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> GruCandidate(Vector<float> inputN, Vector<float> r, Vector<float> recurrentN) =>
        GruCandidate<VectorLanes, Vector<float>>(inputN, r, recurrentN);

    /// <summary>
    /// <c>h = (1 - z) ⊙ n + z ⊙ h_prev</c>, one multiply-add after n: 1 - z and z ⊙ h_prev are ready before n, whose tanh is the
    /// last link of the path from one step's h to the next (<c>n + z ⊙ (h_prev - n)</c> would be two).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> GruOutput(Vector<float> z, Vector<float> previousH, Vector<float> n) =>
        GruOutput<VectorLanes, Vector<float>>(z, previousH, n);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GruCombinePartial(ref float r, ref float z, ref float n, ref float hn, ref float p, bool fromZero, ref float y, nint j, int lanes) =>
        GruCombine(ref r, ref z, ref n, ref hn, ref p, fromZero, ref y, j, lanes);

    /// <summary>The logistic sigmoid of every value, in place, within a few float ulps.</summary>
    public static void Sigmoid(Span<float> values) => Apply<SigmoidFunction>(values, values);

    /// <summary><c>y = σ(x)</c>, element by element, within a few float ulps; <paramref name="y"/> may be <paramref name="x"/> itself.</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Apply<SigmoidFunction>(x, y);

    /// <summary>tanh of every value, in place, to about 1e-7 absolute.</summary>
    public static void Tanh(Span<float> values) => Apply<TanhFunction>(values, values);

    /// <summary><c>y = tanh(x)</c>, element by element, to about 1e-7 absolute; <paramref name="y"/> may be <paramref name="x"/> itself.</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Apply<TanhFunction>(x, y);

    /// <summary><c>y = σ(x)</c> as the gates take it (<see cref="GateSigmoid{TLanes, TVector}"/>); <paramref name="y"/> may be <paramref name="x"/> itself.</summary>
    public static void GateSigmoid(ReadOnlySpan<float> x, Span<float> y) => Apply<GateSigmoidFunction>(x, y);

    /// <summary><c>y = tanh(x)</c> as the gates take it (<see cref="GateTanh{TLanes, TVector}"/>); <paramref name="y"/> may be <paramref name="x"/> itself.</summary>
    public static void GateTanh(ReadOnlySpan<float> x, Span<float> y) => Apply<GateTanhFunction>(x, y);

    /// <summary>A function applied element by element, in its vector form and its scalar (Scalar path) form.</summary>
    private interface IElementwise
    {
        static abstract Vector<float> Vector(Vector<float> x);

        static abstract float Scalar(float x);
    }

    private readonly struct SigmoidFunction : IElementwise
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Vector(Vector<float> x) => Sigmoid(x);

        public static float Scalar(float x) => 1f / (1f + MathF.Exp(-x));
    }

    private readonly struct TanhFunction : IElementwise
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Vector(Vector<float> x) => Tanh(x);

        public static float Scalar(float x) => MathF.Tanh(x);
    }

    private readonly struct GateSigmoidFunction : IElementwise
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Vector(Vector<float> x) => GateSigmoid<VectorLanes, Vector<float>>(x);

        public static float Scalar(float x) => SigmoidFunction.Scalar(x);
    }

    private readonly struct GateTanhFunction : IElementwise
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Vector(Vector<float> x) => GateTanh<VectorLanes, Vector<float>>(x);

        public static float Scalar(float x) => MathF.Tanh(x);
    }

    private static void Apply<TFunction>(ReadOnlySpan<float> x, Span<float> y)
        where TFunction : struct, IElementwise
    {
        Check(y.Length, x.Length, nameof(y));
        ref float source = ref MemoryMarshal.GetReference(x);
        ref float destination = ref MemoryMarshal.GetReference(y);
        if (!s_vectorized)
        {
            for (nint j = 0; j < x.Length; j++)
                Unsafe.Add(ref destination, j) = TFunction.Scalar(Unsafe.Add(ref source, j));
            return;
        }
        nint full = x.Length - (x.Length % Vector<float>.Count);
        for (nint j = 0; j < full; j += Vector<float>.Count)
            TFunction.Vector(Vector.LoadUnsafe(ref source, (nuint)j)).StoreUnsafe(ref destination, (nuint)j);
        if (full < x.Length)
            ApplyPartial<TFunction>(ref Unsafe.Add(ref source, full), ref Unsafe.Add(ref destination, full), x.Length - (int)full);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ApplyPartial<TFunction>(ref float x, ref float y, int lanes)
        where TFunction : struct, IElementwise => Store(TFunction.Vector(Load(ref x, lanes)), ref y, lanes);

    /// <summary>
    /// Loads <paramref name="lanes"/> floats, zero-padding a partial last vector, so that every element, wherever
    /// it sits in its span, goes through the same vector arithmetic and gives the same result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float source, int lanes)
    {
        if (lanes == Vector<float>.Count)
            return Vector.LoadUnsafe(ref source);
        // A fixed buffer, not stackalloc: a method with stackalloc is never inlined.
        PartialVector padded = default;
        MemoryMarshal.CreateReadOnlySpan(ref source, lanes).CopyTo(padded);
        return Vector.LoadUnsafe(ref padded[0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> value, ref float destination, int lanes)
    {
        if (lanes == Vector<float>.Count)
        {
            value.StoreUnsafe(ref destination);
            return;
        }
        PartialVector padded = default;
        value.StoreUnsafe(ref padded[0]);
        ((ReadOnlySpan<float>)padded)[..lanes].CopyTo(MemoryMarshal.CreateSpan(ref destination, lanes));
    }

    /// <summary>Room for the widest <see cref="Vector{T}"/> of floats (512 bits).</summary>
    [InlineArray(16)]
    private struct PartialVector
    {
        private float _element;
    }

    /// <summary><c>1 / (1 + e^-x)</c>: within a few float ulps, saturating to 0 and 1 without overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> Sigmoid(Vector<float> x) => Vector<float>.One / (Vector<float>.One + ExpOfNegated(x));

    /// <summary>
    /// <c>tanh x = (1 - e^-2x) / (1 + e^-2x)</c>: absolute error about 1e-7, exactly ±1 far out. The two sums side by side, so the
    /// chain from x is the doubling, the exp, one add and the division; the sigmoid's exp serves both (x + x is exact).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> Tanh(Vector<float> x)
    {
        Vector<float> e = ExpOfNegated(x + x);
        return (Vector<float>.One - e) / (Vector<float>.One + e);
    }

    /// <summary><see cref="LstmCellState"/> on any vector type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector LstmCellState<TLanes, TVector>(TVector f, TVector previousCell, TVector i, TVector g)
        where TLanes : struct, IFloatLanes<TVector>
        where TVector : struct => TLanes.MultiplyAdd(f, previousCell, TLanes.Multiply(i, g));

    /// <summary><see cref="LstmOutput"/> on any vector type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector LstmOutput<TLanes, TVector>(TVector o, TVector cell)
        where TLanes : struct, IFloatLanes<TVector>
        where TVector : struct => TLanes.Multiply(o, GateTanh<TLanes, TVector>(cell));

    /// <summary><see cref="GruCandidate"/> on any vector type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector GruCandidate<TLanes, TVector>(TVector inputN, TVector r, TVector recurrentN)
        where TLanes : struct, IFloatLanes<TVector>
        where TVector : struct => GateTanh<TLanes, TVector>(TLanes.MultiplyAdd(r, recurrentN, inputN));

    /// <summary><see cref="GruOutput"/> on any vector type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector GruOutput<TLanes, TVector>(TVector z, TVector previousH, TVector n)
        where TLanes : struct, IFloatLanes<TVector>
        where TVector : struct => TLanes.MultiplyAdd(n, TLanes.Subtract(TLanes.Create(1f), z), TLanes.Multiply(z, previousH));

    /// <summary>
    /// The gates' tanh: <c>x·P(x²)/Q(x²)</c>, x clamped to ±9.25 (beyond 9.01, tanh rounds to 1), where the quotient is exactly ±1.
    /// P and Q (degrees 5 and 4 in x²) were fitted for least maximum relative error on [0, 9.25], their coefficients rounded to float
    /// one by one, each time refitting the rest (docs/fit_gate_tanh.py). Evaluated in float the error is under 2.6e-7, absolute and
    /// relative (<see cref="Tanh(Vector{float})"/>'s: 1.3e-7 absolute); near ±1 that rounding may pass the bound by up to two
    /// ulps, left unclamped. Its chain from x is 6 operations (x², its bound, x⁴, two multiply-adds, the division) where the exp's
    /// tanh is 13, and an LSTM step has two gate activations in a row on the path from one step's h to the next.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector GateTanh<TLanes, TVector>(TVector x)
        where TLanes : struct, IFloatLanes<TVector>
        where TVector : struct
    {
        // u = x² bounded, one min where clamping x first would be two operations more on the way to u; x's own clamp runs beside.
        TVector u = TLanes.AtMost(TLanes.Multiply(x, x), 9.25f * 9.25f), u2 = TLanes.Multiply(u, u);
        x = TLanes.Clamp(x, -9.25f, 9.25f);
        // x·P and Q by Estrin's scheme, (c0 + c1 u) + u²((c2 + c3 u) + u²(c4 + c5 u)), x multiplied into P's two halves
        // (x·low + x·u²·high) so that the product with x is not a step of its own: three multiply-adds deep after u.
        TVector xP = TLanes.MultiplyAdd(
            TLanes.MultiplyAdd(TLanes.MultiplyAdd(TLanes.Create(-1.0202104e-11f), u, TLanes.Create(2.767441e-08f)), u2,
                               TLanes.MultiplyAdd(TLanes.Create(2.6730124e-05f), u, TLanes.Create(0.003803212f))), TLanes.Multiply(x, u2),
            TLanes.Multiply(x, TLanes.MultiplyAdd(TLanes.Create(0.13627523f), u, TLanes.Create(1f))));
        TVector q = TLanes.MultiplyAdd(
            TLanes.MultiplyAdd(TLanes.Create(1.2002164e-06f), u2, TLanes.MultiplyAdd(TLanes.Create(0.0003825083f), u, TLanes.Create(0.02700611f))), u2,
            TLanes.MultiplyAdd(TLanes.Create(0.46960858f), u, TLanes.Create(1f)));
        return TLanes.Divide(xP, q);
    }

    /// <summary>
    /// The gates' sigmoid, <c>1/2 + tanh(x/2)/2</c> by <see cref="GateTanh{TLanes, TVector}"/> (halving is exact): under 1.6e-7 absolute
    /// error, and like tanh up to two ulps past 0 or 1. A gate needs no more, while <see cref="Sigmoid(Vector{float})"/> keeps its
    /// relative precision far below 1/2 for a model's outputs. Its own quotient, with P and Q's coefficients scaled to x²/4, would be
    /// one multiplication shorter, but its constants beside tanh's made an LSTM(64) block spill 55 vectors to the stack, 5 % slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector GateSigmoid<TLanes, TVector>(TVector x)
        where TLanes : struct, IFloatLanes<TVector>
        where TVector : struct
    {
        TVector half = TLanes.Create(0.5f);
        return TLanes.MultiplyAdd(half, GateTanh<TLanes, TVector>(TLanes.Multiply(half, x)), half);
    }

    /// <summary>
    /// <c>e^-x</c> in float arithmetic, the negation folded into the constants: -x = n ln 2 + r with |r| &lt;= ln 2 / 2, e^r by
    /// a degree-5 polynomial (relative error about 2e-7), times 2^n built in the exponent bits. x is clamped to [-88, 87], where
    /// the result stays a normal float; the sigmoid and tanh only need that range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> ExpOfNegated(Vector<float> x)
    {
        // Adding 1.5 * 2^23 + 127 rounds -x log2(e) to the nearest integer n, and n + 127 (2^n's biased
        // exponent, 1 to 254 in the clamped range) lands in the low mantissa bits of t.
        Vector<float> roundingShift = VectorLanes.Create(12583039f);
        // The bound goes first: x86's max and min return their second operand when one is NaN, so NaN stays NaN.
        x = VectorLanes.Clamp(x, -88f, 87f);
        Vector<float> t = VectorLanes.MultiplyAdd(x, VectorLanes.Create(-1.44269504f), roundingShift);
        Vector<float> n = VectorLanes.Subtract(t, roundingShift);
        // q = x + n ln 2 = -r, with ln 2 split in a part exact in float and a small correction, so q keeps its precision.
        Vector<float> q = VectorLanes.MultiplyAdd(n, VectorLanes.Create(0.693359375f), x);
        q = VectorLanes.MultiplyAdd(n, VectorLanes.Create(-2.12194440e-4f), q);
        // e^r by a degree-5 polynomial fitted for least maximum relative error on |r| <= ln 2 / 2 (2.1e-7 evaluated in float,
        // against 2.3e-7 for the degree-6 Taylor polynomial), in q: its odd coefficients negated.
        // Evaluated as (c0 + c1 q) + q²((c2 + c3 q) + q²(c4 + c5 q)): three multiply-adds deep after q² where Horner's
        // scheme is five.
        Vector<float> q2 = VectorLanes.Multiply(q, q);
        Vector<float> low = VectorLanes.MultiplyAdd(VectorLanes.Create(-0.9999997f), q, VectorLanes.Create(1.0000001f));
        Vector<float> middle = VectorLanes.MultiplyAdd(VectorLanes.Create(-0.16667575f), q, VectorLanes.Create(0.49998894f));
        Vector<float> high = VectorLanes.MultiplyAdd(VectorLanes.Create(-0.008297638f), q, VectorLanes.Create(0.041915365f));
        Vector<float> p = VectorLanes.MultiplyAdd(VectorLanes.MultiplyAdd(high, q2, middle), q2, low);
        // 2^n: the biased exponent n + 127 shifted into the exponent field (the shift drops t's own exponent).
        return VectorLanes.Multiply(p, Vector.AsVectorSingle(Vector.AsVectorInt32(t) << 23));
    }

    /// <summary>
    /// The lane-wise float arithmetic the activations and the fused cells take, for one vector type: written once,
    /// generic over it, they give every lane the same bits whatever the width (each operation is IEEE's, lane by lane).
    /// </summary>
    internal interface IFloatLanes<TVector>
        where TVector : struct
    {
        /// <summary>Floats per vector.</summary>
        static abstract int Count { get; }

        static abstract TVector Create(float value);

        static abstract TVector Load(ref float source, nint offset);

        static abstract void Store(TVector value, ref float destination, nint offset);

        static abstract TVector Add(TVector x, TVector y);

        static abstract TVector Subtract(TVector x, TVector y);

        static abstract TVector Multiply(TVector x, TVector y);

        static abstract TVector Divide(TVector x, TVector y);

        /// <summary><c>x·y + addend</c>, fused where the CPU has FMA.</summary>
        static abstract TVector MultiplyAdd(TVector x, TVector y, TVector addend);

        /// <summary><c>min(upper, max(lower, x))</c> with the CPU's own min and max (NaN stays NaN on x86).</summary>
        static abstract TVector Clamp(TVector x, float lower, float upper);

        /// <summary><c>min(upper, x)</c> with the CPU's own min (NaN stays NaN on x86).</summary>
        static abstract TVector AtMost(TVector x, float upper);
    }

    /// <summary><see cref="Vector{T}"/> of floats, the width the runtime chose.</summary>
    internal readonly struct VectorLanes : IFloatLanes<Vector<float>>
    {
        public static int Count => Vector<float>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Create(float value) => new(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Load(ref float source, nint offset) => Vector.LoadUnsafe(ref source, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Add(Vector<float> x, Vector<float> y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Subtract(Vector<float> x, Vector<float> y) => x - y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Multiply(Vector<float> x, Vector<float> y) => x * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Divide(Vector<float> x, Vector<float> y) => x / y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> MultiplyAdd(Vector<float> x, Vector<float> y, Vector<float> addend) => Vector.MultiplyAddEstimate(x, y, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Clamp(Vector<float> x, float lower, float upper) =>
            Vector.MinNative(new Vector<float>(upper), Vector.MaxNative(new Vector<float>(lower), x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> AtMost(Vector<float> x, float upper) => Vector.MinNative(new Vector<float>(upper), x);
    }

    /// <summary><see cref="Vector512{T}"/> of floats, for the fused cells where the CPU runs it natively.</summary>
    internal readonly struct Vector512Lanes : IFloatLanes<Vector512<float>>
    {
        public static int Count => Vector512<float>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Create(float value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(ref float source, nint offset) => Vector512.LoadUnsafe(ref source, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Subtract(Vector512<float> x, Vector512<float> y) => x - y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Multiply(Vector512<float> x, Vector512<float> y) => x * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Divide(Vector512<float> x, Vector512<float> y) => x / y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> x, Vector512<float> y, Vector512<float> addend) => Vector512.MultiplyAddEstimate(x, y, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Clamp(Vector512<float> x, float lower, float upper) =>
            Vector512.MinNative(Vector512.Create(upper), Vector512.MaxNative(Vector512.Create(lower), x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> AtMost(Vector512<float> x, float upper) => Vector512.MinNative(Vector512.Create(upper), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Check(int actual, int expected, string name)
    {
        if (actual != expected)
            ThrowLength(actual, expected, name);
    }

    [DoesNotReturn]
    private static void ThrowLength(int actual, int expected, string name) =>
        throw new ArgumentException($"{name} must hold {expected} floats, but holds {actual}.", name);
}
