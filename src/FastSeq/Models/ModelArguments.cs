using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastSeq.Models;

/// <summary>
/// Argument checks shared by every generated model, with messages that state expected and actual sizes. For generated
/// code. Each check is inlined and its throw kept out of line: they run on every streaming step.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ModelArguments
{
    /// <summary>
    /// Whether two spans share memory: <c>MemoryExtensions.Overlaps</c>, written here so that NativeAOT inlines it too (its
    /// out-of-line call took 6 % of a streaming step's time there).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Overlap(ReadOnlySpan<float> first, ReadOnlySpan<float> second)
    {
        if (first.IsEmpty || second.IsEmpty)
            return false;
        nint offset = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(first), ref MemoryMarshal.GetReference(second));
        return (nuint)offset < (nuint)((nint)first.Length * sizeof(float)) || (nuint)(-offset) < (nuint)((nint)second.Length * sizeof(float));
    }

    /// <summary>Throws unless <c>1 &lt;= batchSize &lt;= maxBatchSize</c> (the batches Forward's buffers hold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckBatch(int batchSize, int maxBatchSize)
    {
        if (batchSize < 1 || batchSize > maxBatchSize)
            ThrowBatch(batchSize, maxBatchSize);
    }

    /// <summary>Throws unless at least one sample or stream is given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckCount(int count, string name)
    {
        if (count < 1)
            ThrowCount(count, name);
    }

    /// <summary>
    /// Throws unless a span holds exactly <paramref name="count"/> × <paramref name="perItem"/> floats, computed in 64 bits
    /// so that a huge count cannot wrap around to a length that passes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckLength(int actual, int count, int perItem, string name, string unit = "sample")
    {
        if (actual != (long)count * perItem)
            ThrowLength(actual, count, perItem, name, unit);
    }

    /// <summary>Throws if Predict's outputs share memory with its inputs: it writes outputs while later inputs are still to be read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckDisjoint(ReadOnlySpan<float> inputs, ReadOnlySpan<float> outputs)
    {
        if (inputs.Overlaps(outputs))
            throw new ArgumentException("outputs must not share memory with inputs: Predict writes outputs while it still reads inputs.", nameof(outputs));
    }

    /// <summary>Throws if the caller's <paramref name="states"/> share memory with its inputs or outputs, which <paramref name="member"/> (Step or Predict) reads and writes while the states change.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckStates(ReadOnlySpan<float> states, ReadOnlySpan<float> inputs, ReadOnlySpan<float> outputs, string member = "Step")
    {
        if (states.Overlaps(inputs))
            ThrowOverlap("inputs", member);
        if (states.Overlaps(outputs))
            ThrowOverlap("outputs", member);
    }

    /// <summary>Throws if recurrent <paramref name="states"/> hold a NaN or an infinity, naming the first by its index.</summary>
    public static void CheckFiniteStates(ReadOnlySpan<float> states, string name)
    {
        if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(states)))
            return;
        for (int i = 0; i < states.Length; i++)
        {
            if (!float.IsFinite(states[i]))
            {
                throw new ArgumentException(
                    $"{name} hold {states[i].ToString(System.Globalization.CultureInfo.InvariantCulture)} at index {i}; the model accepts only finite states (CheckInputsFinite is on).", name);
            }
        }
    }

    /// <summary>
    /// Throws if <paramref name="values"/>, <c>[count, steps, features]</c>, hold a NaN or an infinity, naming the first by
    /// <paramref name="unit"/> (sample or stream), step and feature. One summing pass when all are finite.
    /// </summary>
    public static void CheckFinite(ReadOnlySpan<float> values, int steps, int features, string name, string unit = "sample")
    {
        // A non-finite value makes the sum non-finite; a finite sum that overflowed sends us to the scan, which then finds nothing.
        if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(values)))
            return;
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                int perItem = steps * features;
                throw new ArgumentException(
                    $"{name} hold {values[i].ToString(System.Globalization.CultureInfo.InvariantCulture)} at {unit} {i / perItem}, step {i % perItem / features}, feature {i % features}; " +
                    "the model accepts only finite values (CheckInputsFinite is on).", name);
            }
        }
    }

    /// <summary>Throws unless Backward follows a completed Forward of the same batch size.</summary>
    public static void CheckBackward(int batchSize, int forwardBatchSize)
    {
        if (forwardBatchSize == 0)
            throw new InvalidOperationException("Backward needs the activations of a Forward call; call Forward first.");
        if (batchSize != forwardBatchSize)
        {
            throw new ArgumentException(
                $"batchSize must equal the batch of the last Forward ({forwardBatchSize}), but is {batchSize}.", nameof(batchSize));
        }
    }

    /// <summary>Returns <paramref name="degree"/>, a MaxDegreeOfParallelism, unless it is below 1.</summary>
    public static int CheckDegree(int degree)
    {
        if (degree < 1)
            throw new ArgumentOutOfRangeException("value", degree, "MaxDegreeOfParallelism must be at least 1 (1 runs everything on the calling thread).");
        return degree;
    }

    [DoesNotReturn]
    private static void ThrowBatch(int batchSize, int maxBatchSize) =>
        throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
            $"batchSize must be between 1 and the model's MaxBatchSize ({maxBatchSize}), but is {batchSize}. Raise MaxBatchSize in [SequenceModel] for larger batches.");

    [DoesNotReturn]
    private static void ThrowOverlap(string name, string member) =>
        throw new ArgumentException($"{name} and states must not share memory: {member} reads and writes both while the states change.", name);

    [DoesNotReturn]
    private static void ThrowCount(int count, string name) =>
        throw new ArgumentOutOfRangeException(name, count, $"{name} must be at least 1, but is {count}.");

    [DoesNotReturn]
    private static void ThrowLength(int actual, int count, int perItem, string name, string unit) =>
        throw new ArgumentException(
            $"{name} must hold {(long)count * perItem} floats ({count} {unit}{(count == 1 ? "" : "s")} x {perItem}), but holds {actual}.", name);
}
