namespace FastSeq.Tests.Training;

/// <summary>The mean absolute error reported beside regression losses, and categorical cross-entropy on one-hot targets through Fit.</summary>
public class MetricTests
{
    private static double MeanAbsoluteError(ISequenceModel model, SequenceDataset data)
    {
        var outputs = new float[data.Count * model.OutputLength];
        model.Predict(data.Inputs, outputs, data.Count);
        return outputs.Zip(data.Targets, (o, y) => Math.Abs((double)o - y)).Average();
    }

    [Theory]
    [InlineData("MeanSquaredError")]
    [InlineData("MeanAbsoluteError")]
    [InlineData("Huber")]
    public void Regression_losses_report_the_mean_absolute_error_of_training_and_validation(string name)
    {
        // A learning rate this small leaves the model as it is, so the epoch's figures are those of the untrained model.
        SequenceDataset data = SyntheticTasks.SumSign(count: 30, timesteps: SumSignLogit.Timesteps, seed: 4);
        (SequenceDataset train, SequenceDataset validation) = data.SplitLast(0.2f);
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 2), new Sgd(1e-30f), LossTestData.ByName(name));

        EpochResult result = trainer.Fit(data, epochs: 1, batchSize: 7, validationSplit: 0.2f, onEpochEnd: _ => { }).Last;

        Assert.Equal(MeanAbsoluteError(trainer.Model, train), result.MeanAbsoluteError!.Value, 1e-6);
        Assert.Equal(MeanAbsoluteError(trainer.Model, validation), result.ValidationMeanAbsoluteError!.Value, 1e-6);
        Assert.Null(result.Accuracy);
        Assert.Equal(result.MeanAbsoluteError, result.Metric("mae"));
        Assert.Equal(result.ValidationMeanAbsoluteError, result.Metric("val_mae"));
        Assert.Contains(" - mae: ", result.ToString(), StringComparison.Ordinal);
        Assert.Contains(" - val_mae: ", result.ToString(), StringComparison.Ordinal);
        if (name == "MeanAbsoluteError")
            Assert.Equal(result.Loss, result.MeanAbsoluteError!.Value, 1e-6f);
    }

    [Fact]
    public void Classification_losses_report_no_mean_absolute_error()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 30, timesteps: SumSignLogit.Timesteps, seed: 4);
        EpochResult result = new Trainer<SumSignLogit>(new SumSignLogit(), new Sgd(0.01f), Loss.BinaryCrossEntropyFromLogits)
            .Fit(data, epochs: 1, batchSize: 8, validationSplit: 0.2f, onEpochEnd: _ => { }).Last;
        Assert.Null(result.MeanAbsoluteError);
        Assert.Null(result.ValidationMeanAbsoluteError);
        Assert.Null(result.Metric("mae"));
        Assert.DoesNotContain("mae", result.ToString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => result.Metric("val_acc"));
    }

    /// <summary>The labels of a dataset as one-hot rows of <paramref name="classes"/>.</summary>
    private static SequenceDataset OneHot(SequenceDataset data, int classes)
    {
        var targets = new float[data.Count * classes];
        for (int i = 0; i < data.Count; i++)
            targets[i * classes + (int)data.Targets[i]] = 1f;
        return new SequenceDataset(data.Inputs, targets, data.Timesteps, data.Features, targetLength: classes);
    }

    [Fact]
    public void Categorical_cross_entropy_on_one_hot_targets_trains_exactly_like_the_sparse_form_on_labels()
    {
        SequenceDataset labels = SyntheticTasks.SineFrequencies(count: 60, timesteps: FrequencyClassifier.Timesteps, seed: 2);
        var sparse = new Trainer<FrequencyClassifier>(new FrequencyClassifier(seed: 3), new Adam(1e-2f), Loss.SparseCategoricalCrossEntropy);
        var categorical = new Trainer<FrequencyClassifier>(new FrequencyClassifier(seed: 3), new Adam(1e-2f), Loss.CategoricalCrossEntropy);

        EpochResult a = sparse.Fit(labels, epochs: 2, batchSize: 16, validationSplit: 0.2f, seed: 1, onEpochEnd: _ => { }).Last;
        EpochResult b = categorical.Fit(OneHot(labels, 3), epochs: 2, batchSize: 16, validationSplit: 0.2f, seed: 1, onEpochEnd: _ => { }).Last;

        // softmax - onehot is the same in both, so the gradients and updates are the same bits.
        Assert.Equal(sparse.Model.Parameters.ToArray(), categorical.Model.Parameters.ToArray());
        Assert.Equal(a.Loss, b.Loss, 1e-6f);
        Assert.Equal(a.ValidationLoss!.Value, b.ValidationLoss!.Value, 1e-6f);
        Assert.Equal(a.Accuracy, b.Accuracy);
        Assert.Equal(a.ValidationAccuracy, b.ValidationAccuracy);
        Assert.Equal(sparse.Evaluate(labels), categorical.Evaluate(OneHot(labels, 3)), (x, y) => Math.Abs(x.Loss - y.Loss) < 1e-6f && x.Accuracy == y.Accuracy);
    }
}
