namespace FastSeq;

/// <summary>
/// Multiplies the learning rate by <see cref="Factor"/> when a monitored figure has stopped improving, as Keras'
/// <c>ReduceLROnPlateau</c> does: after <see cref="Patience"/> epochs without an improvement larger than
/// <see cref="MinDelta"/>; then the count restarts during <see cref="Cooldown"/> epochs (Keras' rule: the last of them counts
/// again). The rate never goes below <see cref="MinLearningRate"/>.
/// </summary>
public sealed class ReduceLROnPlateau : Callback
{
    private readonly MonitoredMetric _metric;
    private float _best;
    private int _wait;
    private int _cooldownLeft;

    /// <summary>Creates the callback; the defaults are Keras'.</summary>
    /// <param name="factor">What the learning rate is multiplied by, in (0, 1).</param>
    /// <param name="patience">Epochs without improvement after which the rate is reduced (0 acts as 1).</param>
    /// <param name="minLearningRate">The rate is never reduced below this; non-negative.</param>
    /// <param name="monitor">The figure to watch, by its Keras name (see <see cref="EarlyStopping"/>).</param>
    /// <param name="minDelta">The smallest change that counts as an improvement, non-negative.</param>
    /// <param name="cooldown">Epochs after a reduction during which the count of epochs without improvement restarts; the last of them counts again, as in Keras.</param>
    public ReduceLROnPlateau(float factor = 0.1f, int patience = 10, float minLearningRate = 0f, string monitor = "val_loss", float minDelta = 1e-4f, int cooldown = 0)
    {
        if (!(factor is > 0f and < 1f))
            throw new ArgumentException($"factor is {factor}; it must be in (0, 1).", nameof(factor));
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        if (!(minLearningRate >= 0f) || !float.IsFinite(minLearningRate))
            throw new ArgumentException($"minLearningRate is {minLearningRate}; it must be non-negative and finite.", nameof(minLearningRate));
        _metric = new MonitoredMetric(monitor, minDelta, nameof(ReduceLROnPlateau));
        Factor = factor;
        Patience = patience;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
    }

    /// <summary>The watched figure's Keras name.</summary>
    public string Monitor => _metric.Name;

    /// <summary>What the learning rate is multiplied by.</summary>
    public float Factor { get; }

    /// <summary>Epochs without improvement after which the rate is reduced.</summary>
    public int Patience { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public float MinDelta => _metric.MinDelta;

    /// <summary>Epochs after a reduction during which the count of epochs without improvement restarts (the last of them counts again).</summary>
    public int Cooldown { get; }

    /// <summary>The lowest learning rate this callback sets.</summary>
    public float MinLearningRate { get; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context)
    {
        _best = _metric.Worst;
        _wait = 0;
        _cooldownLeft = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochResult result, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        float current = _metric.Read(result);
        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _wait = 0;
        }
        if (_metric.Improves(current, _best))
        {
            _best = current;
            _wait = 0;
        }
        else if (_cooldownLeft == 0 && ++_wait >= Patience)
        {
            float rate = context.Optimizer.LearningRate;
            if (rate > MinLearningRate)
                context.Optimizer.LearningRate = Math.Max(rate * Factor, MinLearningRate);
            _cooldownLeft = Cooldown;
            _wait = 0;
        }
    }
}
