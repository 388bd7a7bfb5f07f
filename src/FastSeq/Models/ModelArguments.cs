namespace FastSeq.Models;

/// <summary>Argument checks shared by every generated model, with messages that state expected and actual sizes.</summary>
public static class ModelArguments
{
    /// <summary>Throws unless <c>1 &lt;= batchSize &lt;= maxBatchSize</c>.</summary>
    public static void CheckBatch(int batchSize, int maxBatchSize)
    {
        if (batchSize < 1 || batchSize > maxBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"batchSize must be between 1 and the model's MaxBatchSize ({maxBatchSize}), but is {batchSize}. Raise MaxBatchSize in [SequenceModel] for larger batches.");
        }
    }

    /// <summary>Throws unless at least one stream is stepped.</summary>
    public static void CheckStreams(int streams)
    {
        if (streams < 1)
            throw new ArgumentOutOfRangeException(nameof(streams), streams, $"streams must be at least 1, but is {streams}.");
    }

    /// <summary>Throws unless a span has exactly the expected length.</summary>
    public static void CheckLength(int actual, int expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} must hold {expected} floats, but holds {actual}.", name);
    }

    /// <summary>Throws unless a span holds exactly <paramref name="expected"/> floats for <paramref name="count"/> samples or streams.</summary>
    public static void CheckLength(int actual, int expected, string name, int count, string unit = "sample")
    {
        if (actual != expected)
        {
            throw new ArgumentException(
                $"{name} must hold {expected} floats ({count} {unit}{(count == 1 ? "" : "s")} x {expected / count}), but holds {actual}.", name);
        }
    }

    /// <summary>Throws unless Backward follows a Forward of the same batch size.</summary>
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
}
