namespace FastSeq.Tests.Training;

/// <summary>What <see cref="Trainer{TModel}.Fit"/> reports, which samples it holds out, and that a seed fixes the whole run.</summary>
public class FitTests
{
    private static float[] FitParameters(int modelSeed, int fitSeed, bool shuffle = true)
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 100, timesteps: SumSignProbability.Timesteps, seed: 4);
        var model = new SumSignProbability(modelSeed);
        new Trainer<SumSignProbability>(model, new Adam(1e-2f), Loss.BinaryCrossEntropy)
            .Fit(data, epochs: 2, batchSize: 16, validationSplit: 0.2f, shuffle: shuffle, seed: fitSeed, onEpochEnd: _ => { });
        return model.Parameters.ToArray();
    }

    [Fact]
    public void Equal_seeds_give_bit_identical_parameters()
    {
        float[] first = FitParameters(modelSeed: 1, fitSeed: 9);
        float[] second = FitParameters(modelSeed: 1, fitSeed: 9);
        Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), second.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void A_different_shuffle_seed_trains_a_different_model()
    {
        float[] first = FitParameters(modelSeed: 1, fitSeed: 9);
        float[] second = FitParameters(modelSeed: 1, fitSeed: 10);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Without_shuffling_the_seed_changes_nothing()
    {
        float[] first = FitParameters(modelSeed: 1, fitSeed: 9, shuffle: false);
        float[] second = FitParameters(modelSeed: 1, fitSeed: 10, shuffle: false);
        Assert.Equal(first, second);
        Assert.NotEqual(first, FitParameters(modelSeed: 1, fitSeed: 9, shuffle: true));
    }

    [Fact]
    public void Accuracy_is_reported_for_classification_losses_only()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 40, timesteps: SumSignLogit.Timesteps, seed: 4);
        EpochResult regression = new Trainer<SumSignLogit>(new SumSignLogit(), new Sgd(0.01f), Loss.MeanSquaredError)
            .Fit(data, epochs: 1, batchSize: 8, validationSplit: 0.25f, onEpochEnd: _ => { }).Last;
        Assert.Null(regression.Accuracy);
        Assert.Null(regression.ValidationAccuracy);
        Assert.NotNull(regression.ValidationLoss);
        Assert.DoesNotContain("accuracy", regression.ToString(), StringComparison.Ordinal);
        Assert.Null(new Trainer<SumSignLogit>(new SumSignLogit(), new Sgd(0.01f), Loss.MeanSquaredError).Evaluate(data).Accuracy);

        // Binary cross-entropy needs a Sigmoid head, its from-logits form a Linear one.
        EpochResult[] classifications =
        [
            new Trainer<SumSignLogit>(new SumSignLogit(), new Sgd(0.01f), Loss.BinaryCrossEntropyFromLogits)
                .Fit(data, epochs: 1, batchSize: 8, validationSplit: 0.25f, onEpochEnd: _ => { }).Last,
            new Trainer<SumSignProbability>(new SumSignProbability(), new Sgd(0.01f), Loss.BinaryCrossEntropy)
                .Fit(data, epochs: 1, batchSize: 8, validationSplit: 0.25f, onEpochEnd: _ => { }).Last,
        ];
        foreach (EpochResult result in classifications)
        {
            Assert.NotNull(result.Accuracy);
            Assert.NotNull(result.ValidationAccuracy);
            Assert.Contains(" - accuracy: ", result.ToString(), StringComparison.Ordinal);
            Assert.Contains(" - val_accuracy: ", result.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Without_a_validation_split_no_validation_figures_are_reported()
    {
        SequenceDataset data = SyntheticTasks.SineFrequencies(count: 20, timesteps: FrequencyClassifier.Timesteps, seed: 2);
        EpochResult result = new Trainer<FrequencyClassifier>(new FrequencyClassifier(), new Adam(), Loss.SparseCategoricalCrossEntropy)
            .Fit(data, epochs: 1, batchSize: 8, onEpochEnd: _ => { }).Last;
        Assert.NotNull(result.Accuracy);
        Assert.Null(result.ValidationLoss);
        Assert.Null(result.ValidationAccuracy);
        Assert.DoesNotContain("val_", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Epoch_figures_count_every_training_sample_once()
    {
        // With a learning rate this small the model does not measurably change, so the epoch's mean loss and
        // accuracy over uneven batches (13 samples in batches of 4) must equal one evaluation of all samples.
        SequenceDataset data = SyntheticTasks.Rises(count: 13, timesteps: RiseTagger.Timesteps, seed: 6);
        var trainer = new Trainer<RiseTagger>(new RiseTagger(seed: 2), new Sgd(1e-30f), Loss.SparseCategoricalCrossEntropy);
        EpochResult result = trainer.Fit(data, epochs: 1, batchSize: 4, seed: 3, onEpochEnd: _ => { }).Last;
        (float loss, float? accuracy) = trainer.Evaluate(data, batchSize: 13);
        Assert.Equal(loss, result.Loss, 1e-6f);
        Assert.Equal(accuracy!.Value, result.Accuracy!.Value, 1e-6f);
    }

    [Fact]
    public void Sigmoid_with_binary_cross_entropy_trains_exactly_like_a_linear_head_with_binary_cross_entropy_from_logits()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 100, timesteps: SumSignLogit.Timesteps, seed: 4);
        var probability = new SumSignProbability(seed: 5);
        var logit = new SumSignLogit(seed: 5);
        Assert.Equal(probability.Parameters.ToArray(), logit.Parameters.ToArray());

        TrainingHistory a = new Trainer<SumSignProbability>(probability, new Adam(1e-2f), Loss.BinaryCrossEntropy)
            .Fit(data, epochs: 2, batchSize: 16, validationSplit: 0.2f, seed: 1, onEpochEnd: _ => { });
        TrainingHistory b = new Trainer<SumSignLogit>(logit, new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits)
            .Fit(data, epochs: 2, batchSize: 16, validationSplit: 0.2f, seed: 1, onEpochEnd: _ => { });

        for (int i = 0; i < probability.Parameters.Length; i++)
            Assert.Equal(probability.Parameters[i], logit.Parameters[i], 1e-5f);
        Assert.Equal(a.Last.Loss, b.Last.Loss, 1e-5f);
        Assert.Equal(a.Last.ValidationLoss!.Value, b.Last.ValidationLoss!.Value, 1e-5f);
        Assert.Equal(a.Last.Accuracy, b.Last.Accuracy);
        Assert.Equal(a.Last.ValidationAccuracy, b.Last.ValidationAccuracy);
    }

    /// <summary>
    /// Fit documents Keras' validation_split: the last samples are held out, as many as
    /// <see cref="SequenceDataset.SplitLast"/> holds out. Fitting with the split must then be the same run as
    /// fitting the training part alone, and its validation loss that of the validation part.
    /// </summary>
    [Theory]
    [InlineData(10, 0.2f)]
    [InlineData(400, 0.2f)]
    [InlineData(990, 0.2f)]   // the README's example: 990 windows, 198 of them for validation
    [InlineData(7, 0.5f)]
    public void Fit_holds_out_the_same_last_samples_as_SplitLast(int count, float validationSplit)
    {
        SequenceDataset data = SyntheticTasks.SumSign(count, timesteps: SumSignLogit.Timesteps, seed: 4);
        (SequenceDataset train, SequenceDataset validation) = data.SplitLast(validationSplit);

        var withSplit = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Sgd(0.1f), Loss.BinaryCrossEntropyFromLogits);
        EpochResult result = withSplit.Fit(data, epochs: 1, batchSize: 4, validationSplit: validationSplit, seed: 2, onEpochEnd: _ => { }).Last;
        var alone = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Sgd(0.1f), Loss.BinaryCrossEntropyFromLogits);
        alone.Fit(train, epochs: 1, batchSize: 4, seed: 2, onEpochEnd: _ => { });

        Assert.True(
            alone.Model.Parameters.SequenceEqual(withSplit.Model.Parameters) && withSplit.Evaluate(validation, batchSize: 4).Loss == result.ValidationLoss,
            $"Fit(validationSplit: {validationSplit}) on {count} samples did not train on the first {train.Count} and validate on the last {validation.Count}, as SplitLast and Keras do.");
    }
}
