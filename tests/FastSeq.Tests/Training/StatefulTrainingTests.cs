namespace FastSeq.Tests.Training;

/// <summary>A forecaster for stateful training: its LSTM's state carries from one window to the next.</summary>
[SequenceModel(Timesteps = 8, Features = 1, MaxBatchSize = 16)]
[Lstm(6)]
[Dense(1)]
public partial class CarryingForecaster;

/// <summary>
/// Stateful training (Keras <c>stateful=True</c>): each batch starts from the final states of the one before, sample by sample;
/// the batches keep their size until ResetStates; Fit runs in order, resets at each epoch, and gives the bits of the same
/// batches trained by hand; StatefulWindows lays consecutive windows out so that sample b continues sample b.
/// </summary>
public class StatefulTrainingTests
{
    private static float[] Series(int length) => [.. Enumerable.Range(0, length).Select(i => MathF.Sin(0.3f * i) + (0.1f * MathF.Cos(1.7f * i)))];

    [Fact]
    public void StatefulWindows_cut_the_series_into_streams_whose_windows_follow_each_other_batch_by_batch()
    {
        float[] series = Series(100);
        SequenceDataset data = TimeSeries.StatefulWindows(series, streams: 3, window: 8);
        // 3 parts of 33 values hold 4 windows of 8 with the value after each: 12 samples.
        Assert.Equal(12, data.Count);
        for (int k = 0; k < 4; k++)
        {
            for (int b = 0; b < 3; b++)
            {
                int sample = (k * 3) + b, first = (b * 33) + (k * 8);
                Assert.Equal(series[first..(first + 8)], data.Inputs[(sample * 8)..((sample + 1) * 8)]);
                Assert.Equal(series[first + 8], data.Targets[sample]);
            }
        }
        SequenceDataset everyStep = TimeSeries.StatefulWindows(series, streams: 3, window: 8, targetEveryStep: true);
        Assert.Equal(8, everyStep.TargetLength);
        Assert.Equal(series[1..9], everyStep.Targets[..8]);
        Assert.Throws<ArgumentException>(() => TimeSeries.StatefulWindows(series, streams: 20, window: 8));
        Assert.Throws<ArgumentException>(() => TimeSeries.StatefulWindows(series, streams: 0, window: 8));
    }

    [Fact]
    public void A_stateful_batch_starts_from_the_final_states_of_the_batch_before()
    {
        SequenceDataset data = TimeSeries.StatefulWindows(Series(200), streams: 4, window: 8);
        var first = data.Slice(0, 4);
        var second = data.Slice(4, 4);
        // A rate that moves nothing: each batch's loss is that of the model as it was made.
        var trainer = new Trainer<CarryingForecaster>(new CarryingForecaster(seed: 1), new Sgd(1e-30f), Loss.MeanSquaredError) { Stateful = true };
        trainer.TrainBatch(first.Inputs, first.Targets, 4);
        float stateful = trainer.TrainBatch(second.Inputs, second.Targets, 4);

        var model = new CarryingForecaster(seed: 1);
        model.Forward(first.Inputs, default, 4);
        float[] carried = model.FinalStates.ToArray();
        model.Forward(second.Inputs, default, carried, 4);
        float expected = Loss.MeanSquaredError.Evaluate(model.Outputs, model.Logits, second.Targets, 1, Activation.Linear);
        Assert.Equal(expected, stateful);

        trainer.ResetStates();
        float fresh = trainer.TrainBatch(second.Inputs, second.Targets, 4);
        model.Forward(second.Inputs, default, 4);
        Assert.Equal(Loss.MeanSquaredError.Evaluate(model.Outputs, model.Logits, second.Targets, 1, Activation.Linear), fresh);
        Assert.NotEqual(stateful, fresh);
    }

    [Fact]
    public void The_batch_size_is_kept_until_ResetStates_and_Fit_asks_for_order_and_whole_batches()
    {
        SequenceDataset data = TimeSeries.StatefulWindows(Series(200), streams: 4, window: 8);
        var trainer = new Trainer<CarryingForecaster>(new CarryingForecaster(seed: 1), new Adam(), Loss.MeanSquaredError) { Stateful = true };
        trainer.TrainBatch(data.Inputs.AsSpan(0, 4 * 8), data.Targets.AsSpan(0, 4), 4);
        Assert.Contains("ResetStates", Assert.Throws<InvalidOperationException>(() => trainer.TrainBatch(data.Inputs.AsSpan(0, 2 * 8), data.Targets.AsSpan(0, 2), 2)).Message);
        trainer.ResetStates();
        trainer.TrainBatch(data.Inputs.AsSpan(0, 2 * 8), data.Targets.AsSpan(0, 2), 2);

        Assert.Contains("shuffle: false", Assert.Throws<ArgumentException>(() => trainer.Fit(data, epochs: 1, batchSize: 4, onEpochEnd: _ => { })).Message);
        Assert.Throws<ArgumentException>(() => trainer.Fit(data, epochs: 1, batchSize: 5, shuffle: false, onEpochEnd: _ => { }));
    }

    [Fact]
    public void A_stateful_Fit_gives_the_bits_of_its_batches_trained_in_order_from_zero_states_each_epoch()
    {
        SequenceDataset data = TimeSeries.StatefulWindows(Series(300), streams: 4, window: 8);
        var fitted = new Trainer<CarryingForecaster>(new CarryingForecaster(seed: 1), new Adam(1e-2f), Loss.MeanSquaredError) { Stateful = true };
        fitted.Fit(data, epochs: 2, batchSize: 4, shuffle: false, onEpochEnd: _ => { });

        var byHand = new Trainer<CarryingForecaster>(new CarryingForecaster(seed: 1), new Adam(1e-2f), Loss.MeanSquaredError) { Stateful = true };
        for (int epoch = 0; epoch < 2; epoch++)
        {
            byHand.ResetStates();
            for (int first = 0; first < data.Count; first += 4)
                byHand.TrainBatch(data.Inputs.AsSpan(first * 8, 4 * 8), data.Targets.AsSpan(first, 4), 4);
        }
        Assert.Equal(byHand.Model.Parameters.ToArray(), fitted.Model.Parameters.ToArray());

        var stateless = new Trainer<CarryingForecaster>(new CarryingForecaster(seed: 1), new Adam(1e-2f), Loss.MeanSquaredError);
        stateless.Fit(data, epochs: 2, batchSize: 4, shuffle: false, onEpochEnd: _ => { });
        Assert.NotEqual(stateless.Model.Parameters.ToArray(), fitted.Model.Parameters.ToArray());
    }
}
