namespace FastSeq;

/// <summary>
/// Stops the training when a monitored figure has stopped improving, as Keras' <c>EarlyStopping</c> does: after
/// <see cref="Patience"/> epochs in a row without an improvement larger than <see cref="MinDelta"/>. With
/// <see cref="RestoreBestWeights"/>, the model ends the Fit with the parameters of its best epoch.
/// </summary>
public sealed class EarlyStopping : Callback
{
    private readonly MonitoredMetric _metric;
    private float[] _bestWeights = [];
    private bool _haveBestWeights;
    private float _best;
    private int _wait;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The figure to watch, by its Keras name: <c>val_loss</c>, <c>loss</c>, <c>val_accuracy</c>, <c>accuracy</c>, <c>val_mae</c> or <c>mae</c>.
    /// Accuracies should rise, the others fall.</param>
    /// <param name="patience">Epochs without improvement after which the training stops; 0 stops at the first.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement, non-negative.</param>
    /// <param name="restoreBestWeights">Whether to end with the parameters of the best epoch rather than the last.</param>
    public EarlyStopping(string monitor = "val_loss", int patience = 0, float minDelta = 0f, bool restoreBestWeights = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        _metric = new MonitoredMetric(monitor, minDelta, nameof(EarlyStopping));
        Patience = patience;
        RestoreBestWeights = restoreBestWeights;
    }

    /// <summary>The watched figure's Keras name.</summary>
    public string Monitor => _metric.Name;

    /// <summary>Epochs without improvement after which the training stops.</summary>
    public int Patience { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public float MinDelta => _metric.MinDelta;

    /// <summary>Whether the Fit ends with the parameters of the best epoch.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The epoch (from 1) in which the last Fit was stopped; 0 if it ran all its epochs.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>The epoch (from 1) with the best monitored figure in the last Fit; 0 before any.</summary>
    public int BestEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _best = _metric.Worst;
        _wait = 0;
        StoppedEpoch = 0;
        BestEpoch = 0;
        _haveBestWeights = false;
        if (RestoreBestWeights && _bestWeights.Length != context.Model.Parameters.Length)
            _bestWeights = new float[context.Model.Parameters.Length];
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochResult result, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        float current = _metric.Read(result);
        _wait++;
        if (_metric.Improves(current, _best))
        {
            _best = current;
            BestEpoch = result.Epoch;
            _wait = 0;
            if (RestoreBestWeights)
            {
                context.Model.Parameters.CopyTo(_bestWeights);
                _haveBestWeights = true;
            }
            return;
        }
        // As Keras: never on the first epoch.
        if (_wait >= Patience && result.Epoch > 1)
        {
            StoppedEpoch = result.Epoch;
            context.StopTraining = true;
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (RestoreBestWeights && _haveBestWeights)
            _bestWeights.CopyTo(context.Model.Parameters);
    }
}
