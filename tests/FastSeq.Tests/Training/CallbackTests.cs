namespace FastSeq.Tests.Training;

/// <summary>Fit's callbacks (Keras' EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, a user's own) and cancellation.</summary>
public class CallbackTests
{
    private static readonly SequenceDataset s_data = SyntheticTasks.SumSign(count: 40, timesteps: SumSignLogit.Timesteps, seed: 4);

    private static Trainer<SumSignLogit> Trainer(Optimizer optimizer) => new(new SumSignLogit(seed: 1), optimizer, Loss.BinaryCrossEntropyFromLogits);

    /// <summary>A learning rate so small that the weights do not move: unshuffled, every epoch then measures the same loss, bit for bit.</summary>
    private static Trainer<SumSignLogit> Frozen() => Trainer(new Sgd(1e-30f));

    /// <summary>Records what it is called with, and stops the training after <see cref="StopAfter"/> epochs.</summary>
    private sealed class Recorder : Callback
    {
        public List<string> Calls { get; } = [];

        public int StopAfter { get; init; } = int.MaxValue;

        public override void OnTrainBegin(TrainingContext context) => Calls.Add("train begin");

        public override void OnEpochBegin(int epoch, TrainingContext context) => Calls.Add($"epoch {epoch} begin");

        public override void OnEpochEnd(EpochResult result, TrainingContext context)
        {
            Calls.Add($"epoch {result.Epoch} end, {context.History.Epochs.Count} in history");
            if (result.Epoch == StopAfter)
                context.StopTraining = true;
        }

        public override void OnTrainEnd(TrainingContext context) => Calls.Add("train end");
    }

    [Fact]
    public void A_users_callback_sees_each_moment_in_order_and_can_stop_the_training()
    {
        var recorder = new Recorder { StopAfter = 2 };
        TrainingHistory history = Trainer(new Adam()).Fit(s_data, epochs: 5, batchSize: 8, onEpochEnd: _ => { }, callbacks: [recorder]);

        Assert.Equal(2, history.Epochs.Count);
        Assert.Equal(["train begin", "epoch 1 begin", "epoch 1 end, 1 in history", "epoch 2 begin", "epoch 2 end, 2 in history", "train end"], recorder.Calls);
    }

    [Fact]
    public void EarlyStopping_stops_after_patience_epochs_without_improvement()
    {
        var stopping = new EarlyStopping(monitor: "loss", patience: 2, minDelta: 1e-3f);
        TrainingHistory history = Frozen().Fit(s_data, epochs: 10, batchSize: 8, shuffle: false, onEpochEnd: _ => { }, callbacks: [stopping]);

        // Epoch 1 improves on nothing; 2 and 3 do not improve: stop after 3.
        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(3, stopping.StoppedEpoch);
        Assert.Equal(1, stopping.BestEpoch);
    }

    [Fact]
    public void EarlyStopping_with_patience_zero_stops_at_the_second_epoch_as_Keras_does()
    {
        var stopping = new EarlyStopping(monitor: "loss");
        Assert.Equal(2, Frozen().Fit(s_data, epochs: 10, batchSize: 8, shuffle: false, onEpochEnd: _ => { }, callbacks: [stopping]).Epochs.Count);
    }

    [Fact]
    public void EarlyStopping_can_restore_the_weights_of_the_best_epoch()
    {
        // A large learning rate makes the validation loss wander; the weights kept must be those that scored the best.
        (_, SequenceDataset validation) = s_data.SplitLast(0.25f);
        Trainer<SumSignLogit> trainer = Trainer(new Adam(0.2f));
        var stopping = new EarlyStopping(patience: 100, restoreBestWeights: true);

        TrainingHistory history = trainer.Fit(s_data, epochs: 12, batchSize: 8, validationSplit: 0.25f, seed: 3, onEpochEnd: _ => { }, callbacks: [stopping]);

        float best = history.Epochs.Min(e => e.ValidationLoss!.Value);
        Assert.Equal(12, history.Epochs.Count);
        Assert.Equal(0, stopping.StoppedEpoch);
        Assert.Equal(best, history.Epochs[stopping.BestEpoch - 1].ValidationLoss);
        Assert.Equal(best, trainer.Evaluate(validation, batchSize: 8).Loss);
    }

    [Fact]
    public void EarlyStopping_watches_accuracy_upwards()
    {
        var stopping = new EarlyStopping(monitor: "val_accuracy", patience: 1);
        TrainingHistory history = Trainer(new Adam(1e-2f)).Fit(s_data, epochs: 30, batchSize: 8, validationSplit: 0.25f, onEpochEnd: _ => { }, callbacks: [stopping]);

        // The best epoch is that of the highest accuracy (not the lowest), and with patience 1 the first epoch after it that
        // does not beat it stops the training.
        float[] accuracies = [.. history.Epochs.Select(e => e.ValidationAccuracy!.Value)];
        Assert.Equal(accuracies.Max(), accuracies[stopping.BestEpoch - 1]);
        Assert.Equal(stopping.BestEpoch + 1, stopping.StoppedEpoch);
        Assert.Equal(stopping.StoppedEpoch, history.Epochs.Count);
    }

    [Fact]
    public void A_monitored_figure_the_fit_does_not_report_is_an_error_naming_it()
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() =>
            Frozen().Fit(s_data, epochs: 2, batchSize: 8, onEpochEnd: _ => { }, callbacks: [new EarlyStopping()]));
        Assert.Contains("EarlyStopping monitors 'val_loss'", e.Message, StringComparison.Ordinal);
        Assert.Contains("validationSplit", e.Message, StringComparison.Ordinal);

        ArgumentException misspelt = Assert.Throws<ArgumentException>(() => new EarlyStopping("val_los"));
        Assert.Contains("'val_los' is not a metric", misspelt.Message, StringComparison.Ordinal);
        Assert.Equal("monitor", misspelt.ParamName);
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(factor: 1f));
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(minDelta: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(patience: -1));
        Assert.Throws<ArgumentNullException>(() => new LearningRateScheduler(null!));
        Assert.Throws<ArgumentException>(() => Frozen().Fit(s_data, epochs: 1, onEpochEnd: _ => { }, callbacks: [null!]));
    }

    [Fact]
    public void ReduceLROnPlateau_multiplies_the_rate_after_patience_epochs_and_stops_at_the_minimum()
    {
        var reduce = new ReduceLROnPlateau(monitor: "loss", factor: 0.5f, patience: 2, minLearningRate: 0.2e-30f);
        TrainingHistory history = Frozen().Fit(s_data, epochs: 8, batchSize: 8, shuffle: false, onEpochEnd: _ => { }, callbacks: [reduce]);

        // Epoch 1 improves; 2 and 3 do not, so epoch 4 runs at half the rate; 4 and 5 do not, so 6 runs at a quarter,
        // and 8 at the floor 0.2e-30 rather than an eighth.
        Assert.Equal([1e-30f, 1e-30f, 1e-30f, 0.5e-30f, 0.5e-30f, 0.25e-30f, 0.25e-30f, 0.2e-30f], history.Epochs.Select(e => e.LearningRate));
    }

    [Fact]
    public void ReduceLROnPlateau_waits_its_cooldown_before_counting_again()
    {
        var reduce = new ReduceLROnPlateau(monitor: "loss", factor: 0.5f, patience: 1, cooldown: 3);
        TrainingHistory history = Frozen().Fit(s_data, epochs: 8, batchSize: 8, shuffle: false, onEpochEnd: _ => { }, callbacks: [reduce]);

        // Reduced after epoch 2; epochs 3 and 4 do not count (Keras' rule: the last of the 3 cooldown epochs, 5, counts
        // again), so with patience 1 it is reduced again after epoch 5, and after 8 would be the next.
        Assert.Equal([1e-30f, 1e-30f, 0.5e-30f, 0.5e-30f, 0.5e-30f, 0.25e-30f, 0.25e-30f, 0.25e-30f], history.Epochs.Select(e => e.LearningRate));
    }

    [Fact]
    public void LearningRateScheduler_sets_each_epochs_rate_from_its_index_counted_from_zero()
    {
        var seen = new List<(int, float)>();
        var scheduler = new LearningRateScheduler((epoch, rate) =>
        {
            seen.Add((epoch, rate));
            return epoch < 2 ? rate : rate * 0.5f;
        });
        Trainer<SumSignLogit> trainer = Trainer(new Sgd(0.1f));

        TrainingHistory history = trainer.Fit(s_data, epochs: 4, batchSize: 8, onEpochEnd: _ => { }, callbacks: [scheduler]);

        Assert.Equal([(0, 0.1f), (1, 0.1f), (2, 0.1f), (3, 0.05f)], seen);
        Assert.Equal([0.1f, 0.1f, 0.05f, 0.025f], history.Epochs.Select(e => e.LearningRate));
        Assert.Equal(0.025f, trainer.Optimizer.LearningRate);

        var broken = new LearningRateScheduler((_, _) => 0f);
        Assert.Contains("returned 0 for epoch index 0", Assert.Throws<InvalidOperationException>(() =>
            trainer.Fit(s_data, epochs: 1, onEpochEnd: _ => { }, callbacks: [broken])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancelling_stops_between_batches_with_the_weights_of_the_last_finished_one()
    {
        using var cancellation = new CancellationTokenSource();
        Trainer<SumSignLogit> trainer = Trainer(new Adam(1e-2f));

        Assert.Throws<OperationCanceledException>(() => trainer.Fit(s_data, epochs: 5, batchSize: 8, seed: 2,
            onEpochEnd: result =>
            {
                if (result.Epoch == 2)
                    cancellation.Cancel();
            },
            cancellationToken: cancellation.Token));

        Trainer<SumSignLogit> reference = Trainer(new Adam(1e-2f));
        reference.Fit(s_data, epochs: 2, batchSize: 8, seed: 2, onEpochEnd: _ => { });
        Assert.Equal(reference.Model.Parameters.ToArray(), trainer.Model.Parameters.ToArray());
        Assert.Equal(2, trainer.History.Epochs.Count);
    }

    [Fact]
    public void A_cancelled_token_changes_nothing()
    {
        Trainer<SumSignLogit> trainer = Trainer(new Adam(1e-2f));
        float[] before = trainer.Model.Parameters.ToArray();
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(s_data, epochs: 1, onEpochEnd: _ => { }, cancellationToken: new CancellationToken(canceled: true)));
        Assert.Equal(before, trainer.Model.Parameters.ToArray());
    }
}
