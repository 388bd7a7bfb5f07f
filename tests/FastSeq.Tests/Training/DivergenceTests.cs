namespace FastSeq.Tests.Training;

/// <summary>Two timesteps through one recurrent unit and a linear head: small enough to rig its gradients by hand.</summary>
[SequenceModel(Timesteps = 2, Features = 1, MaxBatchSize = 8)]
[SimpleRnn(1)]
[Dense(1)]
public partial class OneUnitForecaster;

/// <summary>
/// A batch whose loss or gradient is NaN or infinite throws <see cref="TrainingDivergedException"/> before anything changes,
/// naming the batch and what was not finite; Fit stops there, or skips such batches when asked.
/// </summary>
public class DivergenceTests
{
    private static float[] SumSignParameters(Trainer<SumSignLogit> trainer) => trainer.Model.Parameters.ToArray();

    private static int Offset(ISequenceModel model, string tensor) => model.StateDict.ToArray().First(e => e.Name == tensor).Offset;

    /// <summary>
    /// Weights for inputs x with <c>inputWeight · x = 0.01</c>: the loss stays finite, and the input kernel's gradient is
    /// x · 3e38 (the head's weight reaches it almost undamped through tanh), which overflows for x = 1e10 but not for x = 1.
    /// </summary>
    private static OneUnitForecaster Rigged(float inputWeight)
    {
        var model = new OneUnitForecaster();
        model.Parameters.Clear();
        model.Parameters[Offset(model, "simple_rnn.weight_ih_l0")] = inputWeight;
        model.Parameters[Offset(model, "dense.weight")] = 3e38f;
        return model;
    }

    [Fact]
    public void A_non_finite_loss_throws_before_the_update_and_leaves_the_optimizer_as_it_was()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 8, timesteps: SumSignLogit.Timesteps, seed: 4);
        float[] poisoned = [.. data.Inputs];
        poisoned[3] = float.NaN;
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits);
        trainer.TrainBatch(data.Inputs, data.Targets, data.Count);
        float[] before = SumSignParameters(trainer);

        TrainingDivergedException e = Assert.Throws<TrainingDivergedException>(() => trainer.TrainBatch(poisoned, data.Targets, data.Count));

        Assert.True(float.IsNaN(e.Loss));
        Assert.Null(e.ParameterIndex);
        Assert.Null(e.Gradient);
        Assert.Null(e.Epoch);
        Assert.Null(e.Batch);
        Assert.Contains("the loss is NaN", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, SumSignParameters(trainer));

        // The optimizer's state (Adam's moments and step count) did not move either: the next step is the one it would have been.
        var reference = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits);
        reference.TrainBatch(data.Inputs, data.Targets, data.Count);
        reference.TrainBatch(data.Inputs, data.Targets, data.Count);
        trainer.TrainBatch(data.Inputs, data.Targets, data.Count);
        Assert.Equal(SumSignParameters(reference), SumSignParameters(trainer));
    }

    [Fact]
    public void A_non_finite_gradient_under_a_finite_loss_throws_naming_the_first_such_parameter()
    {
        OneUnitForecaster model = Rigged(inputWeight: 1e-12f);
        var trainer = new Trainer<OneUnitForecaster>(model, new Sgd(1e-3f) { ClipNorm = 1f }, Loss.MeanAbsoluteError);
        float[] before = model.Parameters.ToArray();

        TrainingDivergedException e = Assert.Throws<TrainingDivergedException>(() => trainer.TrainBatch([1e10f, 1e10f], [0f], 1));

        int kernel = Offset(model, "simple_rnn.weight_ih_l0");
        Assert.True(float.IsFinite(e.Loss), $"the loss is {e.Loss}; the rig should keep it finite");
        Assert.Equal(kernel, e.ParameterIndex);
        Assert.True(float.IsInfinity(e.Gradient!.Value));
        Assert.Contains($"the gradient of parameter {kernel} is ", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Huge_but_finite_gradients_are_not_divergence()
    {
        // The gradients' sum of squares overflows, but every gradient is finite: the step is taken.
        OneUnitForecaster model = Rigged(inputWeight: 0.01f);
        var trainer = new Trainer<OneUnitForecaster>(model, new Sgd(1e-3f), Loss.MeanAbsoluteError);
        float[] before = model.Parameters.ToArray();

        trainer.TrainBatch([1f, 1f], [0f], 1);

        Assert.All(model.Gradients.ToArray(), g => Assert.True(float.IsFinite(g)));
        Assert.True(float.IsPositiveInfinity(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(model.Gradients)));
        Assert.NotEqual(before, model.Parameters.ToArray());
    }

    /// <summary>12 samples, of which sample 9 (in the third batch of 4, unshuffled) has a NaN input.</summary>
    private static (SequenceDataset Data, SequenceDataset Good) Poisoned()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 12, timesteps: SumSignLogit.Timesteps, seed: 4);
        float[] inputs = [.. data.Inputs];
        inputs[(9 * SumSignLogit.InputLength) + 2] = float.NaN;
        return (new SequenceDataset(inputs, data.Targets, data.Timesteps, data.Features), data.Slice(0, 8));
    }

    [Fact]
    public void Fit_stops_naming_the_epoch_and_batch_with_the_last_good_weights()
    {
        (SequenceDataset data, SequenceDataset good) = Poisoned();
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits);

        TrainingDivergedException e = Assert.Throws<TrainingDivergedException>(() =>
            trainer.Fit(data, epochs: 3, batchSize: 4, shuffle: false, onEpochEnd: _ => { }));

        Assert.Equal(1, e.Epoch);
        Assert.Equal(2, e.Batch);
        Assert.Contains("Training diverged in epoch 1, batch 2: the loss is NaN", e.Message, StringComparison.Ordinal);
        var reference = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits);
        reference.Fit(good, epochs: 1, batchSize: 4, shuffle: false, onEpochEnd: _ => { });
        Assert.Equal(SumSignParameters(reference), SumSignParameters(trainer));
    }

    [Fact]
    public void Fit_can_skip_non_finite_batches_and_counts_them()
    {
        (SequenceDataset data, SequenceDataset good) = Poisoned();
        var skipping = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits);
        var reference = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits);

        TrainingHistory history = skipping.Fit(data, epochs: 2, batchSize: 4, shuffle: false, skipNonFiniteBatches: true, onEpochEnd: _ => { });
        TrainingHistory expected = reference.Fit(good, epochs: 2, batchSize: 4, shuffle: false, onEpochEnd: _ => { });

        Assert.All(history.Epochs, epoch => Assert.Equal(1, epoch.SkippedBatches));
        Assert.Contains("skipped 1 non-finite batches", history.Last.ToString(), StringComparison.Ordinal);
        Assert.Equal(SumSignParameters(reference), SumSignParameters(skipping));
        Assert.Equal(expected.Epochs.Select(e => e.Loss), history.Epochs.Select(e => e.Loss));
        Assert.Equal(expected.Epochs.Select(e => e.Accuracy), history.Epochs.Select(e => e.Accuracy));
        Assert.Equal(0, expected.Last.SkippedBatches);
    }

    [Fact]
    public void An_epoch_whose_batches_are_all_skipped_reports_NaN_figures()
    {
        (SequenceDataset data, _) = Poisoned();
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits);
        float[] before = SumSignParameters(trainer);

        EpochResult result = trainer.Fit(data.Slice(8, 4), epochs: 1, batchSize: 4, skipNonFiniteBatches: true, onEpochEnd: _ => { }).Last;

        Assert.Equal(1, result.SkippedBatches);
        Assert.True(float.IsNaN(result.Loss));
        Assert.True(float.IsNaN(result.Accuracy!.Value));
        Assert.Equal(before, SumSignParameters(trainer));
    }

    [Theory]
    [InlineData(0.05f, null)]
    [InlineData(0.05f, 0.01f)]
    [InlineData(null, 0.01f)]
    public void The_guards_sum_of_squares_serves_clipping_with_the_same_bits_as_Optimizer_Step(float? clipNorm, float? clipValue)
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 8, timesteps: SumSignLogit.Timesteps, seed: 4);
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f) { ClipNorm = clipNorm, ClipValue = clipValue }, Loss.BinaryCrossEntropyFromLogits);
        var model = new SumSignLogit(seed: 1);
        var optimizer = new Adam(1e-2f) { ClipNorm = clipNorm, ClipValue = clipValue };
        var outputGradients = new float[data.Count];

        for (int step = 0; step < 3; step++)
        {
            trainer.TrainBatch(data.Inputs, data.Targets, data.Count);
            model.Forward(data.Inputs, data.Count);
            Loss.BinaryCrossEntropyFromLogits.Compute(model.Outputs, model.Logits, data.Targets, 1, model.OutputActivation, outputGradients, out bool forLogits);
            model.Gradients.Clear();
            model.Backward(outputGradients, data.Count, forLogits);
            optimizer.Step(model.Parameters, model.Gradients);
        }

        Assert.Equal(model.Parameters.ToArray(), trainer.Model.Parameters.ToArray());
    }
}
