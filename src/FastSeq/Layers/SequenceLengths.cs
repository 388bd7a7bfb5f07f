using System.Diagnostics.CodeAnalysis;

namespace FastSeq.Layers;

/// <summary>
/// Sequences of different lengths in one batch, padded at the end (PyTorch <c>pack_padded_sequence</c>, Keras masking):
/// sample b has <c>lengths[b]</c> real steps, then padding. A recurrent layer runs every step, and the steps past a
/// sequence's end are then zeroed: its state stopped at the last real step, so nothing after it is seen by the layers
/// above, the loss or the final state, and no gradient flows back through them. An empty span of lengths means every
/// sequence is full.
/// </summary>
public static class SequenceLengths
{
    /// <summary>Throws unless <paramref name="lengths"/> holds one length in <c>[1, timesteps]</c> per sample, naming the first that is not.</summary>
    public static void Check(ReadOnlySpan<int> lengths, int batch, int timesteps, string name)
    {
        if (lengths.Length != batch)
            throw new ArgumentException($"{name} must hold one length per sample ({batch}), but holds {lengths.Length}.", name);
        for (int b = 0; b < lengths.Length; b++)
        {
            if (lengths[b] < 1 || lengths[b] > timesteps)
                ThrowLength(lengths[b], b, timesteps, name);
        }
    }

    /// <summary>
    /// The lengths of token sequences whose padding is id 0 at the end (Keras <c>mask_zero</c>): the count of ids before the
    /// trailing zeros. A 0 followed by another id is an <see cref="ArgumentException"/>, and a sequence of zeros only has
    /// no length (<see cref="ArgumentOutOfRangeException"/>); both name the sample.
    /// </summary>
    /// <returns><paramref name="lengths"/>, filled.</returns>
    public static ReadOnlySpan<int> FromTrailingZeros(ReadOnlySpan<int> tokens, int timesteps, Span<int> lengths, string name)
    {
        CheckTrailingZeros(tokens, timesteps, name);
        for (int b = 0; b < lengths.Length; b++)
            lengths[b] = tokens.Slice(b * timesteps, timesteps).LastIndexOfAnyExcept(0) + 1;
        return lengths;
    }

    /// <summary>The checks of <see cref="FromTrailingZeros"/> alone, for <c>[count, timesteps]</c> ids (ints, or held as floats): nothing is written.</summary>
    public static void CheckTrailingZeros<T>(ReadOnlySpan<T> tokens, int timesteps, string name)
        where T : System.Numerics.INumber<T>
    {
        for (int b = 0; b < tokens.Length / timesteps; b++)
        {
            ReadOnlySpan<T> sequence = tokens.Slice(b * timesteps, timesteps);
            int length = sequence.LastIndexOfAnyExcept(T.Zero) + 1;
            int firstZero = sequence.IndexOf(T.Zero);
            if (firstZero >= 0 && firstZero < length)
            {
                throw new ArgumentException(
                    $"{name} of sample {b} hold the padding id 0 at step {firstZero} before id {sequence[length - 1]} at step {length - 1}; with MaskZero, padding comes only at the end.", name);
            }
            if (length == 0)
                ThrowLength(0, b, timesteps, name);
        }
    }

    /// <summary>Throws if a stream's ids hold the padding id 0, which has no meaning one step at a time.</summary>
    public static void CheckNoPadding<T>(ReadOnlySpan<T> tokens, string name)
        where T : System.Numerics.INumber<T>
    {
        int stream = tokens.IndexOf(T.Zero);
        if (stream >= 0)
            throw new ArgumentException($"{name} hold the padding id 0 for stream {stream}; with MaskZero, 0 pads whole sequences and a stream has no padding.", name);
    }

    /// <summary>The real steps of all the sequences: the sum of their lengths.</summary>
    internal static long RealSteps(ReadOnlySpan<int> lengths)
    {
        long sum = 0;
        foreach (int length in lengths)
            sum += length;
        return sum;
    }

    /// <summary>Zeroes the steps of <paramref name="sequence"/> <c>[B, T, width]</c> past each sample's length.</summary>
    public static void ZeroPadding(Span<float> sequence, ReadOnlySpan<int> lengths, int timesteps, int width)
    {
        for (int b = 0; b < lengths.Length; b++)
            sequence.Slice(((b * timesteps) + lengths[b]) * width, (timesteps - lengths[b]) * width).Clear();
    }

    /// <summary><c>last[b] = sequence[b, lengths[b] - 1]</c>: each sequence's output at its last real step (at T - 1 when no lengths are given).</summary>
    public static void Last(ReadOnlySpan<float> sequence, ReadOnlySpan<int> lengths, int timesteps, int width, Span<float> last)
    {
        if (lengths.IsEmpty)
        {
            LastTimestep.Copy(sequence, timesteps, width, last);
            return;
        }
        for (int b = 0; b < lengths.Length; b++)
            sequence.Slice(((b * timesteps) + lengths[b] - 1) * width, width).CopyTo(last.Slice(b * width, width));
    }

    /// <summary>The gradient of <see cref="Last"/>: <paramref name="dLast"/> at each last real step, zero elsewhere.</summary>
    public static void LastBackward(ReadOnlySpan<float> dLast, ReadOnlySpan<int> lengths, int timesteps, int width, Span<float> dSequence)
    {
        if (lengths.IsEmpty)
        {
            LastTimestep.Scatter(dLast, timesteps, width, dSequence);
            return;
        }
        dSequence.Clear();
        for (int b = 0; b < lengths.Length; b++)
            dLast.Slice(b * width, width).CopyTo(dSequence.Slice(((b * timesteps) + lengths[b] - 1) * width, width));
    }

    /// <summary>Sample <paramref name="b"/>'s real steps: its length, or all <paramref name="timesteps"/> when no lengths are given.</summary>
    internal static int Of(ReadOnlySpan<int> lengths, int b, int timesteps) => lengths.IsEmpty ? timesteps : lengths[b];

    /// <summary>
    /// <c>states[b, offset..offset + width] = sequence[b, L_b - 1]</c>: part of each sample's state, <paramref name="stateLength"/>
    /// floats apart, taken from its last real step of <paramref name="sequence"/> <c>[B, T, width]</c>.
    /// </summary>
    internal static void CopyLast(ReadOnlySpan<float> sequence, ReadOnlySpan<int> lengths, int batch, int timesteps, int width,
                                  Span<float> states, int stateLength, int offset)
    {
        for (int b = 0; b < batch; b++)
            sequence.Slice(((b * timesteps) + Of(lengths, b, timesteps) - 1) * width, width).CopyTo(states.Slice((b * stateLength) + offset, width));
    }

    /// <summary>The gradient of <see cref="CopyLast"/>, added: <c>dSequence[b, L_b - 1] += dStates[b, offset..offset + width]</c>.</summary>
    internal static void AddToLast(ReadOnlySpan<float> dStates, int stateLength, int offset, ReadOnlySpan<int> lengths, int batch, int timesteps, int width,
                                   Span<float> dSequence)
    {
        for (int b = 0; b < batch; b++)
        {
            Span<float> row = dSequence.Slice(((b * timesteps) + Of(lengths, b, timesteps) - 1) * width, width);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dStates.Slice((b * stateLength) + offset, width), row);
        }
    }

    [DoesNotReturn]
    private static void ThrowLength(int length, int sample, int timesteps, string name) =>
        throw new ArgumentOutOfRangeException(name, length, $"{name}: sample {sample} has length {length}; a length must be from 1 to Timesteps ({timesteps}).");
}
