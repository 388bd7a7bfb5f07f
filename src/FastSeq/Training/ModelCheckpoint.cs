using System.Globalization;

namespace FastSeq;

/// <summary>
/// Saves a training checkpoint after each epoch, as Keras' <c>ModelCheckpoint</c> does: the model's weights with the
/// optimizer's state, so that <see cref="Trainer{TModel}.LoadCheckpoint"/> and <see cref="Trainer{TModel}.Fit"/> with
/// <c>initialEpoch</c> resume the training with the same bits as if it had not stopped. Each save is crash-safe: a save
/// that fails or is killed leaves the previous file whole.
/// </summary>
/// <remarks>The callbacks' own state (an <see cref="EarlyStopping"/>'s patience count, say) is not in the file, as in Keras.</remarks>
public sealed class ModelCheckpoint : Callback
{
    private const string EpochPlaceholder = "{epoch}";
    private readonly MonitoredMetric _metric;
    private float _best;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">The file to write; <c>{epoch}</c> in it is replaced by the epoch's number (from 1), to keep one file per epoch.</param>
    /// <param name="monitor">The figure <paramref name="saveBestOnly"/> watches, by its Keras name (<c>val_loss</c>, <c>loss</c>, <c>val_accuracy</c>...).</param>
    /// <param name="saveBestOnly">Save only after an epoch that improves the monitored figure on every earlier one of this Fit.</param>
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _metric = new MonitoredMetric(monitor, 0f, nameof(ModelCheckpoint));
        Path = path;
        SaveBestOnly = saveBestOnly;
    }

    /// <summary>The file written, <c>{epoch}</c> standing for the epoch's number.</summary>
    public string Path { get; }

    /// <summary>The watched figure's Keras name.</summary>
    public string Monitor => _metric.Name;

    /// <summary>Whether only epochs that improve <see cref="Monitor"/> are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <summary>The file of the last save in the last Fit; null before any.</summary>
    public string? LastSavedPath { get; private set; }

    /// <summary>The epoch (from 1) of the last save in the last Fit; 0 before any.</summary>
    public int LastSavedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _best = _metric.Worst;
        LastSavedPath = null;
        LastSavedEpoch = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochResult result, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (SaveBestOnly)
        {
            float current = _metric.Read(result);
            if (!_metric.Improves(current, _best))
                return;
            _best = current;
        }
        string path = Path.Replace(EpochPlaceholder, result.Epoch.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        TrainingCheckpoint.Save(path, context.Model, context.Optimizer, result.Epoch);
        LastSavedPath = path;
        LastSavedEpoch = result.Epoch;
    }
}
