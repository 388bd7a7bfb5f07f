using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastSeq.Models;

/// <summary>
/// Argument checks shared by every generated model, with messages that state expected and actual sizes.
/// Each check is inlined and its throw kept out of line: they run on every streaming step.
/// </summary>
public static class ModelArguments
{
    /// <summary>Throws unless <c>1 &lt;= batchSize &lt;= maxBatchSize</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckBatch(int batchSize, int maxBatchSize)
    {
        if (batchSize < 1 || batchSize > maxBatchSize)
            ThrowBatch(batchSize, maxBatchSize);
    }

    /// <summary>Throws unless at least one stream is stepped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckStreams(int streams)
    {
        if (streams < 1)
            ThrowStreams(streams);
    }

    /// <summary>Throws unless a span holds exactly <paramref name="expected"/> floats for <paramref name="count"/> samples or streams.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckLength(int actual, int expected, string name, int count, string unit = "sample")
    {
        if (actual != expected)
            ThrowLength(actual, expected, name, count, unit);
    }

    /// <summary>Throws if the caller's <paramref name="states"/> share memory with its inputs or outputs, which Step reads and writes while the states change.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckStates(ReadOnlySpan<float> states, ReadOnlySpan<float> inputs, ReadOnlySpan<float> outputs)
    {
        if (states.Overlaps(inputs))
            ThrowOverlap("inputs");
        if (states.Overlaps(outputs))
            ThrowOverlap("outputs");
    }

    /// <summary>Throws unless Backward follows a Forward of the same batch size, with no Predict in between.</summary>
    public static void CheckBackward(int batchSize, int forwardBatchSize, bool predictedSinceForward)
    {
        if (forwardBatchSize == 0)
            throw new InvalidOperationException("Backward needs the activations of a Forward call; call Forward first.");
        if (predictedSinceForward)
        {
            throw new InvalidOperationException(
                "Backward needs the activations of the last Forward, but a Predict since then replaced them (Predict runs its forward pass in the same buffers); call Forward again.");
        }
        if (batchSize != forwardBatchSize)
        {
            throw new ArgumentException(
                $"batchSize must equal the batch of the last Forward ({forwardBatchSize}), but is {batchSize}.", nameof(batchSize));
        }
    }

    [DoesNotReturn]
    private static void ThrowBatch(int batchSize, int maxBatchSize) =>
        throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
            $"batchSize must be between 1 and the model's MaxBatchSize ({maxBatchSize}), but is {batchSize}. Raise MaxBatchSize in [SequenceModel] for larger batches.");

    [DoesNotReturn]
    private static void ThrowOverlap(string name) =>
        throw new ArgumentException($"{name} and states must not share memory: Step reads and writes both while the states change.", name);

    [DoesNotReturn]
    private static void ThrowStreams(int streams) =>
        throw new ArgumentOutOfRangeException(nameof(streams), streams, $"streams must be at least 1, but is {streams}.");

    [DoesNotReturn]
    private static void ThrowLength(int actual, int expected, string name, int count, string unit) =>
        throw new ArgumentException(
            $"{name} must hold {expected} floats ({count} {unit}{(count == 1 ? "" : "s")} x {expected / count}), but holds {actual}.", name);
}
