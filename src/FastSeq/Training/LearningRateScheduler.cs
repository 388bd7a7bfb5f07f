namespace FastSeq;

/// <summary>
/// Sets the learning rate before each epoch from a schedule, as Keras' <c>LearningRateScheduler</c> does: the schedule
/// receives the epoch's index, counted from 0 as in Keras, and the current rate, and returns the rate for the epoch.
/// </summary>
public sealed class LearningRateScheduler : Callback
{
    private readonly Func<int, float, float> _schedule;

    /// <summary>Creates the callback.</summary>
    /// <param name="schedule"><c>(epochIndex, learningRate) =&gt; newLearningRate</c>, with the epoch index from 0; it must return a positive, finite rate.</param>
    public LearningRateScheduler(Func<int, float, float> schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        _schedule = schedule;
    }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        float rate = _schedule(epoch - 1, context.Optimizer.LearningRate);
        if (!(rate > 0f) || !float.IsFinite(rate))
            throw new InvalidOperationException($"The learning-rate schedule returned {rate} for epoch index {epoch - 1}; a learning rate must be positive and finite.");
        context.Optimizer.LearningRate = rate;
    }
}
