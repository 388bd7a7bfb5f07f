namespace FastSeq;

/// <summary>
/// Thrown by <see cref="Trainer{TModel}.TrainBatch(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/> and
/// <see cref="Trainer{TModel}.Fit"/> when a batch's loss or a gradient is NaN or infinite. It is thrown before the
/// optimizer step, so the model's parameters and the optimizer's state are those from before the batch: the last good ones.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public TrainingDivergedException()
        : base("Training diverged: a loss or a gradient was not finite.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal TrainingDivergedException(int? epoch, int? batch, float loss, int parameterIndex, float gradient)
        : base(Describe(epoch, batch, loss, parameterIndex, gradient))
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
        ParameterIndex = parameterIndex < 0 ? null : parameterIndex;
        Gradient = parameterIndex < 0 ? null : gradient;
    }

    /// <summary>The epoch (from 1) of <see cref="Trainer{TModel}.Fit"/> the batch belonged to; null for a lone <c>TrainBatch</c>.</summary>
    public int? Epoch { get; }

    /// <summary>The batch's index (from 0) within its epoch of <see cref="Trainer{TModel}.Fit"/>; null for a lone <c>TrainBatch</c>.</summary>
    public int? Batch { get; }

    /// <summary>The batch's loss: not finite itself, or finite with a gradient that is not.</summary>
    public float Loss { get; }

    /// <summary>
    /// When the loss was finite, the index in <see cref="ISequenceModel.Parameters"/> of the first parameter whose gradient is not
    /// finite (the model's <see cref="ISequenceModel.StateDict"/> tells which tensor holds it); null when the loss was not finite.
    /// </summary>
    public int? ParameterIndex { get; }

    /// <summary>That parameter's gradient: NaN or an infinity; null when the loss was not finite.</summary>
    public float? Gradient { get; }

    private static string Describe(int? epoch, int? batch, float loss, int parameterIndex, float gradient)
    {
        string where = epoch is int e ? $"Training diverged in epoch {e}, batch {batch}" : "Training diverged in this batch";
        string what = parameterIndex < 0
            ? $"the loss is {loss} (look for NaN or infinite inputs or targets, or lower the learning rate)"
            : $"the loss is {loss} but the gradient of parameter {parameterIndex} is {gradient}, the first that is not finite (lower the learning rate, or clip the gradients with ClipNorm or ClipValue)";
        return $"{where}: {what}. The parameters and the optimizer's state are left as they were before the batch.";
    }
}
