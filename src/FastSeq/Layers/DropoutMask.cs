using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace FastSeq.Layers;

/// <summary>
/// Inverted dropout, as Keras and PyTorch apply it in training: a mask holds 0 where a value is dropped and
/// <c>1 / (1 - rate)</c> where it is kept, so that the expected value of <c>x ⊙ mask</c> is x and inference needs no
/// mask at all. Masks are drawn from a counter-based generator (SplitMix64 read at any position): element i of a
/// stream is a hash of the stream and i, so a mask depends only on its seed, its pass and which mask it is, never on
/// who draws it or in which order, and drawing allocates nothing.
/// </summary>
/// <remarks>
/// The recurrent layers take two kinds of mask (Keras <c>dropout</c> and <c>recurrent_dropout</c>), each one row per
/// sample reused at every timestep: <c>[B, I]</c> on the inputs x_t, and <c>[B, H]</c> on h_{t-1} where it enters the
/// recurrent product, one mask shared by every gate (Keras' LSTM/GRU <c>implementation=2</c>). The helpers below apply
/// such per-sample masks to rows laid out <c>[B, T, width]</c>.
/// </remarks>
public static class DropoutMask
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The stream of mask number <paramref name="mask"/> in training pass <paramref name="pass"/> of a model seeded with <paramref name="seed"/>.</summary>
    public static ulong Stream(int seed, long pass, int mask) => Mix(Mix(Mix((uint)seed + Golden) ^ (ulong)pass) ^ (uint)mask);

    /// <summary>
    /// Fills <paramref name="mask"/> from <paramref name="stream"/>: each element is 0 with probability
    /// <paramref name="rate"/> and <c>1 / (1 - rate)</c> otherwise.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is not in [0, 1).</exception>
    public static void Fill(float rate, ulong stream, Span<float> mask)
    {
        CheckRate(rate, nameof(rate));
        float kept = 1f / (1f - rate);
        for (int i = 0; i < mask.Length; i++)
        {
            // A uniform in [0, 1) from the top 24 bits: every float of that grid is exact.
            float u = (Mix(stream + ((ulong)(i + 1) * Golden)) >> 40) * (1f / (1 << 24));
            mask[i] = u < rate ? 0f : kept;
        }
    }

    /// <summary>A dropout rate must lie in [0, 1), as Keras requires.</summary>
    public static void CheckRate(float rate, string name)
    {
        if (!(rate >= 0f && rate < 1f))
            ThrowRate(rate, name);
    }

    /// <summary><c>destination = source ⊙ mask</c>, element by element (a <c>Dropout</c> layer and its gradient); destination may be source.</summary>
    public static void Apply(ReadOnlySpan<float> source, ReadOnlySpan<float> mask, Span<float> destination)
    {
        LayerArguments.Length(mask.Length, source.Length, "one float per source float", nameof(mask));
        LayerArguments.Length(destination.Length, source.Length, "one float per source float", nameof(destination));
        TensorPrimitives.Multiply(source, mask, destination);
    }

    /// <summary>
    /// <c>destination[b, t] = source[b, t] ⊙ mask[b]</c> for rows <c>[B, T, width]</c> and a mask <c>[B, width]</c>: one
    /// mask per sample for every timestep. Destination may be source (a gradient masked in place).
    /// </summary>
    public static void ApplyPerSample(ReadOnlySpan<float> source, ReadOnlySpan<float> mask, int batch, int timesteps, int width, Span<float> destination)
    {
        LayerArguments.Length(mask.Length, checked(batch * width), "[B, width]", nameof(mask));
        LayerArguments.Length(source.Length, checked(batch * timesteps * width), "[B, T, width]", nameof(source));
        LayerArguments.Length(destination.Length, source.Length, "[B, T, width]", nameof(destination));
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> row = mask.Slice(b * width, width);
            for (int t = 0; t < timesteps; t++)
            {
                int at = ((b * timesteps) + t) * width;
                TensorPrimitives.Multiply(source.Slice(at, width), row, destination.Slice(at, width));
            }
        }
    }

    /// <summary>
    /// What a layer that drops its inputs reads: <paramref name="x"/> itself when <paramref name="mask"/> is empty (inference), else
    /// <c>x ⊙ mask</c> per sample (<see cref="ApplyPerSample"/>) written into <paramref name="masked"/> and returned.
    /// </summary>
    public static ReadOnlySpan<float> PerSampleInputs(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, int batch, int timesteps, int width, Span<float> masked)
    {
        if (mask.IsEmpty)
            return x;
        ApplyPerSample(x, mask, batch, timesteps, width, masked);
        return masked;
    }

    /// <summary>The gradient of <see cref="PerSampleInputs"/>: <paramref name="dx"/> <c>⊙= mask</c> per sample, in place; nothing when either is empty.</summary>
    public static void PerSampleGradient(Span<float> dx, ReadOnlySpan<float> mask, int batch, int timesteps, int width)
    {
        if (!mask.IsEmpty && !dx.IsEmpty)
            ApplyPerSample(dx, mask, batch, timesteps, width, dx);
    }

    /// <summary>
    /// A <c>Dropout</c> layer: <c>output = x ⊙ mask</c>, an independent mask value per element, or a copy of x when
    /// <paramref name="mask"/> is empty (inference).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, Span<float> output)
    {
        if (mask.IsEmpty)
        {
            LayerArguments.Length(output.Length, x.Length, "one float per x float", nameof(output));
            x.CopyTo(output);
        }
        else
            Apply(x, mask, output);
    }

    /// <summary>The gradient of <see cref="Forward"/>: <c>dx = dOutput ⊙ mask</c> (dOutput itself without a mask); nothing when <paramref name="dx"/> is empty.</summary>
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> mask, Span<float> dx)
    {
        if (dx.IsEmpty)
            return;
        Forward(dOutput, mask, dx);
    }

    /// <summary>
    /// A recurrent mask is empty or one row of <c>H</c> per sample, apart from the span the layer writes while it reads the mask
    /// (<paramref name="written"/>, named <paramref name="writtenName"/>).
    /// </summary>
    internal static void CheckRecurrent(ReadOnlySpan<float> recurrentMask, LayerShape s, ReadOnlySpan<float> written, string writtenName)
    {
        LayerArguments.LengthOrEmpty(recurrentMask.Length, checked(s.Batch * s.Units), "[B, H]", nameof(recurrentMask));
        LayerArguments.Disjoint(recurrentMask, nameof(recurrentMask), written, writtenName);
    }

    /// <summary>
    /// What enters step t's recurrent product (t &gt; 0), rows <c>T*H</c> apart: h_{t-1} itself, or, with a recurrent mask,
    /// <c>h_{t-1} ⊙ mask</c> written into the rows of step t of <paramref name="hidden"/>, which the step overwrites after the
    /// product (<paramref name="hidden"/> <c>[B, T, H]</c>).
    /// </summary>
    internal static ReadOnlySpan<float> PreviousHidden(Span<float> hidden, ReadOnlySpan<float> recurrentMask, LayerShape s, int t)
    {
        int T = s.Timesteps, H = s.Units;
        if (recurrentMask.IsEmpty)
            return hidden[((t - 1) * H)..];
        for (int b = 0; b < s.Batch; b++)
        {
            int previous = ((b * T) + t - 1) * H;
            TensorPrimitives.Multiply(hidden.Slice(previous, H), recurrentMask.Slice(b * H, H), hidden.Slice(previous + H, H));
        }
        return hidden[(t * H)..];
    }

    /// <summary>
    /// The initial h as it enters the first step's recurrent product, with its row stride in <paramref name="ld"/>: the first
    /// <c>H</c> floats of each sample's <paramref name="initialState"/> (<paramref name="stateLength"/> apart), or, with a recurrent
    /// mask, those times the sample's mask, written into step 0's rows of <paramref name="hidden"/> (which step 0 then overwrites).
    /// </summary>
    internal static ReadOnlySpan<float> InitialHidden(ReadOnlySpan<float> initialState, int stateLength, Span<float> hidden, ReadOnlySpan<float> recurrentMask,
                                                      LayerShape s, out int ld)
    {
        int T = s.Timesteps, H = s.Units;
        if (recurrentMask.IsEmpty)
        {
            ld = stateLength;
            return initialState;
        }
        for (int b = 0; b < s.Batch; b++)
            TensorPrimitives.Multiply(initialState.Slice(b * stateLength, H), recurrentMask.Slice(b * H, H), hidden.Slice(b * T * H, H));
        ld = T * H;
        return hidden;
    }

    /// <summary>
    /// h_{t-1} of each sample as step t's recurrent product reads it, <paramref name="ld"/> apart: <see cref="PreviousHidden"/>,
    /// or at <c>t = 0</c> <see cref="InitialHidden"/> of <paramref name="initialState"/>, empty when there is none (a zero state).
    /// </summary>
    internal static ReadOnlySpan<float> RecurrentInput(Span<float> hidden, ReadOnlySpan<float> initialState, int stateLength, ReadOnlySpan<float> recurrentMask,
                                                       LayerShape s, int t, out int ld)
    {
        ld = s.Timesteps * s.Units;
        if (t > 0)
            return PreviousHidden(hidden, recurrentMask, s, t);
        return initialState.IsEmpty ? default : InitialHidden(initialState, stateLength, hidden, recurrentMask, s, out ld);
    }

    /// <summary>The gradient through <see cref="InitialHidden"/>: each sample's d loss / d h_{-1} (<paramref name="ld"/> apart) <c>⊙= mask</c>; nothing without a mask.</summary>
    internal static void MaskInitialHiddenGradient(Span<float> dInitialState, int ld, ReadOnlySpan<float> recurrentMask, LayerShape s)
    {
        if (recurrentMask.IsEmpty || dInitialState.IsEmpty)
            return;
        int H = s.Units;
        for (int b = 0; b < s.Batch; b++)
            TensorPrimitives.Multiply(dInitialState.Slice(b * ld, H), recurrentMask.Slice(b * H, H), dInitialState.Slice(b * ld, H));
    }

    /// <summary>
    /// Where step t's product with the transposed recurrent kernel goes, rows <c>T*H</c> apart: into dh_{t-1} directly, or,
    /// with a recurrent mask, into step t's rows of <paramref name="scratch"/> <c>[B, T, H]</c>, cleared, for
    /// <see cref="AddPreviousHiddenGradient"/> to mask (dHidden keeps the total d loss / d h_t of every step).
    /// </summary>
    internal static Span<float> PreviousHiddenGradient(Span<float> dHidden, Span<float> scratch, ReadOnlySpan<float> recurrentMask, LayerShape s, int t)
    {
        int T = s.Timesteps, H = s.Units;
        if (recurrentMask.IsEmpty)
            return dHidden[((t - 1) * H)..];
        for (int b = 0; b < s.Batch; b++)
            scratch.Slice(((b * T) + t) * H, H).Clear();
        return scratch[(t * H)..];
    }

    /// <summary>With a recurrent mask, <c>dh_{t-1} += product ⊙ mask</c>, the product being where <see cref="PreviousHiddenGradient"/> put it.</summary>
    internal static void AddPreviousHiddenGradient(Span<float> dHidden, ReadOnlySpan<float> scratch, ReadOnlySpan<float> recurrentMask, LayerShape s, int t)
    {
        if (recurrentMask.IsEmpty)
            return;
        int T = s.Timesteps, H = s.Units;
        for (int b = 0; b < s.Batch; b++)
        {
            int step = ((b * T) + t) * H;
            Span<float> dPrevious = dHidden.Slice(step - H, H);
            TensorPrimitives.MultiplyAdd(scratch.Slice(step, H), recurrentMask.Slice(b * H, H), dPrevious, dPrevious);
        }
    }

    /// <summary>With a recurrent mask, <c>dh_{-1} += product ⊙ mask</c>, the product being in step 0's rows of <paramref name="scratch"/> (<see cref="PreviousHiddenGradient"/> at t = 0).</summary>
    internal static void AddInitialHiddenGradient(ReadOnlySpan<float> scratch, ReadOnlySpan<float> recurrentMask, LayerShape s, Span<float> dInitialState)
    {
        int T = s.Timesteps, H = s.Units;
        for (int b = 0; b < s.Batch; b++)
        {
            Span<float> dInitial = dInitialState.Slice(b * H, H);
            TensorPrimitives.MultiplyAdd(scratch.Slice(b * T * H, H), recurrentMask.Slice(b * H, H), dInitial, dInitial);
        }
    }

    /// <summary>SplitMix64's finaliser.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [DoesNotReturn]
    private static void ThrowRate(float rate, string name) =>
        throw new ArgumentOutOfRangeException(name, rate, $"{name} must be in [0, 1): the fraction of values dropped.");
}
