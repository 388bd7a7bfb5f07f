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

    /// <summary>Throws unless a span has exactly the expected length.</summary>
    public static void CheckLength(int actual, int expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} must hold {expected} floats, but holds {actual}.", name);
    }

    /// <summary>Throws unless a span has exactly the expected length for a batch, naming the batch in the message.</summary>
    public static void CheckLength(int actual, int expected, string name, int batchSize)
    {
        if (actual != expected)
        {
            throw new ArgumentException(
                $"{name} must hold {expected} floats ({batchSize} x {expected / batchSize} per sample) for batchSize {batchSize}, but holds {actual}.", name);
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
