namespace FastSeq.Tests.Training;

/// <summary>
/// End to end: a generated model, a loss and an optimizer learn a synthetic task through
/// <see cref="Trainer{TModel}.Fit"/>, which reports a falling loss and a rising accuracy.
/// Everything is seeded, so each run is the same run.
/// </summary>
public class LearningTests
{
    /// <summary>
    /// Fits with a 20% validation split and checks that the model learned: the untrained model is near
    /// chance, the final training and validation accuracies exceed <paramref name="minimumAccuracy"/>,
    /// and the losses fall well below where they started.
    /// </summary>
    private static void FitAndCheckLearning<TModel>(TModel model, Loss loss, SequenceDataset data, int epochs, float minimumAccuracy)
        where TModel : ISequenceModel
    {
        var trainer = new Trainer<TModel>(model, new Adam(learningRate: 1e-2f), loss);
        (float lossBefore, float? accuracyBefore) = trainer.Evaluate(data);
        Assert.True(accuracyBefore < 0.7f, $"the untrained model already has accuracy {accuracyBefore}; the task proves nothing");

        var seen = new List<EpochResult>();
        TrainingHistory history = trainer.Fit(data, epochs, batchSize: 32, validationSplit: 0.2f, seed: 1, onEpochEnd: seen.Add);

        Assert.Equal(seen, history.Epochs);
        Assert.Equal(Enumerable.Range(1, epochs), history.Epochs.Select(e => e.Epoch));
        Assert.All(history.Epochs, e =>
        {
            Assert.Equal(epochs, e.Epochs);
            Assert.True(float.IsFinite(e.Loss) && e.ValidationLoss is float v && float.IsFinite(v), e.ToString());
            Assert.InRange(e.Accuracy!.Value, 0f, 1f);
            Assert.InRange(e.ValidationAccuracy!.Value, 0f, 1f);
        });

        EpochResult first = history.Epochs[0], last = history.Last;
        string figures = $"before training: loss {lossBefore}, accuracy {accuracyBefore}; epochs:\n{string.Join("\n", history.Epochs)}";
        Assert.True(last.Loss < 0.5f * first.Loss, "the training loss did not halve. " + figures);
        Assert.True(last.ValidationLoss < 0.5f * lossBefore, "the validation loss did not halve. " + figures);
        Assert.True(last.Accuracy > minimumAccuracy, $"training accuracy is not above {minimumAccuracy}. " + figures);
        Assert.True(last.ValidationAccuracy > minimumAccuracy, $"validation accuracy is not above {minimumAccuracy}. " + figures);
    }

    [Fact]
    public void Softmax_head_with_sparse_categorical_cross_entropy_tells_three_frequencies_apart()
    {
        SequenceDataset data = SyntheticTasks.SineFrequencies(count: 400, timesteps: FrequencyClassifier.Timesteps, seed: 2);
        FitAndCheckLearning(new FrequencyClassifier(seed: 3), Loss.SparseCategoricalCrossEntropy, data, epochs: 12, minimumAccuracy: 0.9f);
    }

    [Fact]
    public void Linear_head_with_sparse_categorical_cross_entropy_from_logits_tells_three_frequencies_apart()
    {
        SequenceDataset data = SyntheticTasks.SineFrequencies(count: 400, timesteps: FrequencyLogits.Timesteps, seed: 2);
        FitAndCheckLearning(new FrequencyLogits(seed: 3), Loss.SparseCategoricalCrossEntropyFromLogits, data, epochs: 12, minimumAccuracy: 0.9f);
    }

    [Fact]
    public void Sigmoid_head_with_binary_cross_entropy_learns_the_sign_of_the_sum()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 1000, timesteps: SumSignProbability.Timesteps, seed: 4);
        FitAndCheckLearning(new SumSignProbability(seed: 5), Loss.BinaryCrossEntropy, data, epochs: 10, minimumAccuracy: 0.9f);
    }

    [Fact]
    public void Linear_head_with_binary_cross_entropy_from_logits_learns_the_sign_of_the_sum()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 1000, timesteps: SumSignLogit.Timesteps, seed: 4);
        FitAndCheckLearning(new SumSignLogit(seed: 5), Loss.BinaryCrossEntropyFromLogits, data, epochs: 10, minimumAccuracy: 0.9f);
    }

    [Fact]
    public void Sequence_tagger_learns_a_label_per_timestep()
    {
        SequenceDataset data = SyntheticTasks.Rises(count: 400, timesteps: RiseTagger.Timesteps, seed: 6);
        var model = new RiseTagger(seed: 7);
        Assert.Equal(RiseTagger.Timesteps * 2, RiseTagger.OutputLength);
        Assert.Equal(RiseTagger.Timesteps, Loss.SparseCategoricalCrossEntropy.TargetLength(RiseTagger.OutputLength, RiseTagger.OutputUnits));
        FitAndCheckLearning(model, Loss.SparseCategoricalCrossEntropy, data, epochs: 12, minimumAccuracy: 0.9f);
    }
}
