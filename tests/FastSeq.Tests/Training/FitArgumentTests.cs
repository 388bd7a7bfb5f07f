namespace FastSeq.Tests.Training;

/// <summary>Fit and Evaluate reject bad arguments up front, with messages that name the expected and actual sizes, and leave the model alone.</summary>
public class FitArgumentTests
{
    private static readonly SequenceDataset s_data = SyntheticTasks.SineFrequencies(count: 20, timesteps: FrequencyClassifier.Timesteps, seed: 2);

    private static Trainer<FrequencyClassifier> Classifier() =>
        new(new FrequencyClassifier(seed: 1), new Adam(), Loss.SparseCategoricalCrossEntropy);

    /// <summary>Runs <paramref name="fit"/> on a fresh classifier, expects <typeparamref name="TException"/>, and checks the parameters did not move.</summary>
    private static TException Rejects<TException>(Action<Trainer<FrequencyClassifier>> fit)
        where TException : ArgumentException
    {
        Trainer<FrequencyClassifier> trainer = Classifier();
        float[] before = trainer.Model.Parameters.ToArray();
        TException exception = Assert.Throws<TException>(() => fit(trainer));
        Assert.Equal(before, trainer.Model.Parameters.ToArray());
        return exception;
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void ValidationSplit_outside_zero_to_one_is_rejected(float validationSplit)
    {
        ArgumentOutOfRangeException e = Rejects<ArgumentOutOfRangeException>(t => t.Fit(s_data, epochs: 1, validationSplit: validationSplit, onEpochEnd: _ => { }));
        Assert.Equal("validationSplit", e.ParamName);
        Assert.Contains("[0, 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidationSplit_that_leaves_no_training_sample_is_rejected()
    {
        SequenceDataset two = s_data.Slice(0, 2);
        ArgumentException e = Rejects<ArgumentException>(t => t.Fit(two, epochs: 1, validationSplit: 0.9f, onEpochEnd: _ => { }));
        Assert.Equal("validationSplit", e.ParamName);
        Assert.Contains("no training samples out of 2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(FrequencyClassifier.MaxBatchSize + 1)]
    public void BatchSize_outside_one_to_MaxBatchSize_is_rejected(int batchSize)
    {
        ArgumentOutOfRangeException fit = Rejects<ArgumentOutOfRangeException>(t => t.Fit(s_data, epochs: 1, batchSize: batchSize, onEpochEnd: _ => { }));
        ArgumentOutOfRangeException evaluate = Rejects<ArgumentOutOfRangeException>(t => t.Evaluate(s_data, batchSize));
        foreach (ArgumentOutOfRangeException e in new[] { fit, evaluate })
        {
            Assert.Equal("batchSize", e.ParamName);
            Assert.Contains($"MaxBatchSize ({FrequencyClassifier.MaxBatchSize})", e.Message, StringComparison.Ordinal);
            Assert.Contains($"but is {batchSize}", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Epochs_below_one_are_rejected()
    {
        ArgumentOutOfRangeException e = Rejects<ArgumentOutOfRangeException>(t => t.Fit(s_data, epochs: 0, onEpochEnd: _ => { }));
        Assert.Equal("epochs", e.ParamName);
    }

    [Fact]
    public void Null_dataset_is_rejected()
    {
        Assert.Equal("data", Rejects<ArgumentNullException>(t => t.Fit(null!, epochs: 1)).ParamName);
        Assert.Equal("data", Rejects<ArgumentNullException>(t => t.Evaluate(null!)).ParamName);
    }

    [Theory]
    [InlineData(FrequencyClassifier.Timesteps - 1, 1)]   // too short
    [InlineData(FrequencyClassifier.Timesteps / 2, 2)]   // the same floats per sample, the wrong shape
    [InlineData(FrequencyClassifier.Timesteps, 2)]       // too many features
    public void Dataset_with_samples_of_another_shape_is_rejected(int timesteps, int features)
    {
        var data = new SequenceDataset(new float[3 * timesteps * features], new float[3], timesteps, features);
        ArgumentException fit = Rejects<ArgumentException>(t => t.Fit(data, epochs: 1, onEpochEnd: _ => { }));
        ArgumentException evaluate = Rejects<ArgumentException>(t => t.Evaluate(data));
        foreach (ArgumentException e in new[] { fit, evaluate })
        {
            Assert.Equal("data", e.ParamName);
            Assert.Contains($"[{timesteps}, {features}]", e.Message, StringComparison.Ordinal);
            Assert.Contains($"expects [{FrequencyClassifier.Timesteps}, {FrequencyClassifier.Features}]", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Dataset_of_one_hot_targets_for_a_sparse_loss_is_rejected()
    {
        // Three floats per sample (one-hot) where SparseCategoricalCrossEntropy wants one label.
        var data = new SequenceDataset(new float[4 * FrequencyClassifier.InputLength], new float[4 * 3], FrequencyClassifier.Timesteps, 1, targetLength: 3);
        ArgumentException e = Rejects<ArgumentException>(t => t.Fit(data, epochs: 1, onEpochEnd: _ => { }));
        Assert.Equal("data", e.ParamName);
        Assert.Contains("3 target floats per sample", e.Message, StringComparison.Ordinal);
        Assert.Contains("SparseCategoricalCrossEntropy on this model expects 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dataset_whose_targets_do_not_match_the_model_output_is_rejected()
    {
        // Mean squared error on a 3-unit head needs 3 targets per sample; a label dataset has 1.
        var mse = new Trainer<FrequencyClassifier>(new FrequencyClassifier(), new Adam(), Loss.MeanSquaredError);
        ArgumentException e = Assert.Throws<ArgumentException>(() => mse.Fit(s_data, epochs: 1, onEpochEnd: _ => { }));
        Assert.Contains("1 target floats per sample but MeanSquaredError on this model expects 3", e.Message, StringComparison.Ordinal);

        // A tagger wants a label per timestep, [B, T]; one label per sequence is not enough.
        SequenceDataset perSequence = SyntheticTasks.SumSign(count: 8, timesteps: RiseTagger.Timesteps, seed: 1);
        var tagger = new Trainer<RiseTagger>(new RiseTagger(), new Adam(), Loss.SparseCategoricalCrossEntropy);
        e = Assert.Throws<ArgumentException>(() => tagger.Fit(perSequence, epochs: 1, onEpochEnd: _ => { }));
        Assert.Contains($"expects {RiseTagger.Timesteps}", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => tagger.Evaluate(perSequence));
        Assert.Contains($"expects {RiseTagger.Timesteps}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_that_are_not_classes_are_rejected_naming_the_label()
    {
        var data = new SequenceDataset(new float[2 * FrequencyClassifier.InputLength], [0f, 3f], FrequencyClassifier.Timesteps, 1);
        ArgumentException e = Assert.Throws<ArgumentException>(() => Classifier().Fit(data, epochs: 1, onEpochEnd: _ => { }));
        Assert.Contains("is 3, which is not a class label: expected an integer in [0, 3)", e.Message, StringComparison.Ordinal);
    }
}
