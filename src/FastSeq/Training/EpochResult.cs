using System.Globalization;

namespace FastSeq;

/// <summary>What one epoch of <see cref="Trainer{TModel}.Fit"/> measured. Accuracies are present for classification losses.</summary>
public readonly record struct EpochResult(
    int Epoch,
    int Epochs,
    float Loss,
    float? ValidationLoss,
    float? Accuracy,
    float? ValidationAccuracy,
    TimeSpan Elapsed)
{
    /// <summary>A Keras-like progress line: <c>Epoch 3/30 - 4ms - loss: 0.0123 - val_loss: 0.0150</c>.</summary>
    public override string ToString()
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"Epoch {Epoch}/{Epochs} - {Elapsed.TotalMilliseconds:0}ms - loss: {Loss:0.000000}");
        if (Accuracy is float accuracy)
            line += string.Create(CultureInfo.InvariantCulture, $" - accuracy: {accuracy:0.0000}");
        if (ValidationLoss is float validationLoss)
            line += string.Create(CultureInfo.InvariantCulture, $" - val_loss: {validationLoss:0.000000}");
        if (ValidationAccuracy is float validationAccuracy)
            line += string.Create(CultureInfo.InvariantCulture, $" - val_accuracy: {validationAccuracy:0.0000}");
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
