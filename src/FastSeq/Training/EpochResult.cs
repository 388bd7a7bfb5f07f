using System.Globalization;

namespace FastSeq;

/// <summary>
/// What one epoch of <see cref="Trainer{TModel}.Fit"/> measured. Accuracies are present for classification losses, mean
/// absolute errors for regression losses; the training figures are means over the epoch's batches, before each update.
/// </summary>
public readonly record struct EpochResult(
    int Epoch,
    int Epochs,
    float Loss,
    float? ValidationLoss,
    float? Accuracy,
    float? ValidationAccuracy,
    TimeSpan Elapsed)
{
    /// <summary>Mean absolute error of the outputs on the training batches (Keras <c>mae</c>); present for regression losses.</summary>
    public float? MeanAbsoluteError { get; init; }

    /// <summary>Mean absolute error on the validation samples (Keras <c>val_mae</c>); present for regression losses with a validation split.</summary>
    public float? ValidationMeanAbsoluteError { get; init; }

    /// <summary>The optimizer's learning rate during the epoch.</summary>
    public float LearningRate { get; init; }

    /// <summary>
    /// Batches left out because their loss or a gradient was not finite, with <c>skipNonFiniteBatches</c>; the training
    /// figures are means over the other batches (NaN if every batch was skipped).
    /// </summary>
    public int SkippedBatches { get; init; }

    /// <summary>
    /// The figure Keras logs under <paramref name="name"/>: <c>loss</c>, <c>val_loss</c>, <c>accuracy</c>,
    /// <c>val_accuracy</c>, <c>mae</c> or <c>val_mae</c>; null when this epoch did not measure it.
    /// </summary>
    /// <exception cref="ArgumentException">The name is none of those.</exception>
    public float? Metric(string name)
    {
        CheckMetricName(name, nameof(name));
        return Lookup(name).Value;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> for <paramref name="parameterName"/> unless <paramref name="name"/> is a metric's name.</summary>
    internal static void CheckMetricName(string name, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        if (!default(EpochResult).Lookup(name).Known)
            throw new ArgumentException($"'{name}' is not a metric; expected loss, val_loss, accuracy, val_accuracy, mae or val_mae.", parameterName);
    }

    private (bool Known, float? Value) Lookup(string name) => name switch
    {
        "loss" => (true, Loss),
        "val_loss" => (true, ValidationLoss),
        "accuracy" => (true, Accuracy),
        "val_accuracy" => (true, ValidationAccuracy),
        "mae" => (true, MeanAbsoluteError),
        "val_mae" => (true, ValidationMeanAbsoluteError),
        _ => (false, null),
    };

    /// <summary>A Keras-like progress line: <c>Epoch 3/30 - 4ms - loss: 0.0123 - mae: 0.0871 - val_loss: 0.0150 - val_mae: 0.0954</c>.</summary>
    public override string ToString()
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"Epoch {Epoch}/{Epochs} - {Elapsed.TotalMilliseconds:0}ms - loss: {Loss:0.000000}");
        if (Accuracy is float accuracy)
            line += string.Create(CultureInfo.InvariantCulture, $" - accuracy: {accuracy:0.0000}");
        if (MeanAbsoluteError is float meanAbsoluteError)
            line += string.Create(CultureInfo.InvariantCulture, $" - mae: {meanAbsoluteError:0.000000}");
        if (ValidationLoss is float validationLoss)
            line += string.Create(CultureInfo.InvariantCulture, $" - val_loss: {validationLoss:0.000000}");
        if (ValidationAccuracy is float validationAccuracy)
            line += string.Create(CultureInfo.InvariantCulture, $" - val_accuracy: {validationAccuracy:0.0000}");
        if (ValidationMeanAbsoluteError is float validationMeanAbsoluteError)
            line += string.Create(CultureInfo.InvariantCulture, $" - val_mae: {validationMeanAbsoluteError:0.000000}");
        if (SkippedBatches > 0)
            line += string.Create(CultureInfo.InvariantCulture, $" - skipped {SkippedBatches} non-finite batches");
        return line;
    }
}

/// <summary>The per-epoch figures of a whole <see cref="Trainer{TModel}.Fit"/>, as Keras' <c>History</c>.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochResult> _epochs = [];

    /// <summary>Every finished epoch in order.</summary>
    public IReadOnlyList<EpochResult> Epochs => _epochs;

    /// <summary>The last epoch's result.</summary>
    public EpochResult Last => _epochs[^1];

    internal void Restart(int epochs)
    {
        _epochs.Clear();
        _epochs.EnsureCapacity(epochs);
    }

    internal void Add(EpochResult result) => _epochs.Add(result);
}
