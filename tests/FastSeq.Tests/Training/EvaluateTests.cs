namespace FastSeq.Tests.Training;

/// <summary><see cref="Trainer{TModel}.Evaluate"/> against the loss and accuracy computed by hand, in double, from Predict.</summary>
public class EvaluateTests
{
    /// <summary>Predicts every sample in chunks of MaxBatchSize: <c>[Count, OutputLength]</c>.</summary>
    private static float[] PredictAll(ISequenceModel model, SequenceDataset data)
    {
        var outputs = new float[data.Count * model.OutputLength];
        for (int first = 0; first < data.Count; first += model.MaxBatchSize)
        {
            int batch = Math.Min(model.MaxBatchSize, data.Count - first);
            model.Predict(data.Inputs.AsSpan(first * model.InputLength, batch * model.InputLength), outputs.AsSpan(first * model.OutputLength, batch * model.OutputLength), batch);
        }
        return outputs;
    }

    /// <summary>Mean over rows of <c>-log p[label]</c>, with <c>p</c> the outputs or, for logits, their softmax; accuracy by argmax.</summary>
    private static (double Loss, double Accuracy) SparseCategorical(float[] outputs, float[] labels, int classes, bool outputsAreLogits)
    {
        double loss = 0;
        int correct = 0;
        for (int row = 0; row < labels.Length; row++)
        {
            double[] p = [.. outputs.AsSpan(row * classes, classes).ToArray().Select(v => (double)v)];
            if (outputsAreLogits)
            {
                double max = p.Max();
                double sum = p.Sum(z => Math.Exp(z - max));
                p = [.. p.Select(z => Math.Exp(z - max) / sum)];
            }
            int label = (int)labels[row];
            loss -= Math.Log(p[label]);
            if (Array.IndexOf(p, p.Max()) == label)
                correct++;
        }
        return (loss / labels.Length, (double)correct / labels.Length);
    }

    /// <summary>Mean binary cross-entropy of probabilities (or of the sigmoid of logits); accuracy at 0.5.</summary>
    private static (double Loss, double Accuracy) Binary(float[] outputs, float[] targets, bool outputsAreLogits)
    {
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            double p = outputsAreLogits ? 1 / (1 + Math.Exp(-(double)outputs[i])) : outputs[i];
            loss -= (targets[i] * Math.Log(p)) + ((1 - targets[i]) * Math.Log(1 - p));
            if ((p >= 0.5) == (targets[i] >= 0.5f))
                correct++;
        }
        return (loss / targets.Length, (double)correct / targets.Length);
    }

    private static void AssertAgrees((double Loss, double Accuracy) expected, (float Loss, float? Accuracy) actual)
    {
        Assert.Equal(expected.Loss, actual.Loss, 1e-5 * Math.Max(1, expected.Loss));
        Assert.Equal(expected.Accuracy, actual.Accuracy!.Value, 1e-6);
    }

    // Each model is trained briefly first so that its outputs are not all near chance, then evaluated in batches
    // of 7, which do not divide the sample count: the last, short batch must weigh by its size.

    [Fact]
    public void Sparse_categorical_evaluation_of_a_softmax_head_matches_the_manual_computation()
    {
        SequenceDataset data = SyntheticTasks.SineFrequencies(count: 50, timesteps: FrequencyClassifier.Timesteps, seed: 2);
        var trainer = new Trainer<FrequencyClassifier>(new FrequencyClassifier(seed: 3), new Adam(1e-2f), Loss.SparseCategoricalCrossEntropy);
        trainer.Fit(data, epochs: 2, batchSize: 16, onEpochEnd: _ => { });
        AssertAgrees(SparseCategorical(PredictAll(trainer.Model, data), data.Targets, 3, outputsAreLogits: false), trainer.Evaluate(data, batchSize: 7));
    }

    [Fact]
    public void Sparse_categorical_evaluation_of_a_linear_head_matches_the_manual_computation()
    {
        SequenceDataset data = SyntheticTasks.SineFrequencies(count: 50, timesteps: FrequencyLogits.Timesteps, seed: 2);
        var trainer = new Trainer<FrequencyLogits>(new FrequencyLogits(seed: 3), new Adam(1e-2f), Loss.SparseCategoricalCrossEntropyFromLogits);
        trainer.Fit(data, epochs: 2, batchSize: 16, onEpochEnd: _ => { });
        AssertAgrees(SparseCategorical(PredictAll(trainer.Model, data), data.Targets, 3, outputsAreLogits: true), trainer.Evaluate(data, batchSize: 7));
    }

    [Fact]
    public void Per_timestep_evaluation_of_a_tagger_matches_the_manual_computation()
    {
        SequenceDataset data = SyntheticTasks.Rises(count: 50, timesteps: RiseTagger.Timesteps, seed: 6);
        var trainer = new Trainer<RiseTagger>(new RiseTagger(seed: 7), new Adam(1e-2f), Loss.SparseCategoricalCrossEntropy);
        trainer.Fit(data, epochs: 2, batchSize: 16, onEpochEnd: _ => { });
        // Outputs [Count, T, 2] are Count * T rows of 2 classes; targets [Count, T] are one label per row.
        AssertAgrees(SparseCategorical(PredictAll(trainer.Model, data), data.Targets, 2, outputsAreLogits: false), trainer.Evaluate(data, batchSize: 7));
    }

    [Fact]
    public void Binary_evaluation_matches_the_manual_computation_for_probabilities_and_logits()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 50, timesteps: SumSignLogit.Timesteps, seed: 4);
        var probability = new Trainer<SumSignProbability>(new SumSignProbability(seed: 5), new Adam(1e-2f), Loss.BinaryCrossEntropy);
        probability.Fit(data, epochs: 2, batchSize: 16, onEpochEnd: _ => { });
        AssertAgrees(Binary(PredictAll(probability.Model, data), data.Targets, outputsAreLogits: false), probability.Evaluate(data, batchSize: 7));

        var logit = new Trainer<SumSignLogit>(new SumSignLogit(seed: 5), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits);
        logit.Fit(data, epochs: 2, batchSize: 16, onEpochEnd: _ => { });
        AssertAgrees(Binary(PredictAll(logit.Model, data), data.Targets, outputsAreLogits: true), logit.Evaluate(data, batchSize: 7));
    }

    [Fact]
    public void Mean_squared_error_evaluation_matches_the_manual_computation_and_has_no_accuracy()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 50, timesteps: SumSignLogit.Timesteps, seed: 4);
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 5), new Adam(1e-2f), Loss.MeanSquaredError);
        trainer.Fit(data, epochs: 2, batchSize: 16, onEpochEnd: _ => { });
        float[] outputs = PredictAll(trainer.Model, data);
        double expected = outputs.Zip(data.Targets, (o, y) => ((double)o - y) * ((double)o - y)).Average();
        (float loss, float? accuracy) = trainer.Evaluate(data, batchSize: 7);
        Assert.Equal(expected, loss, 1e-6);
        Assert.Null(accuracy);
    }

    [Fact]
    public void Evaluate_does_not_change_the_model()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 20, timesteps: SumSignLogit.Timesteps, seed: 4);
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 5), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits);
        float[] before = trainer.Model.Parameters.ToArray();
        (float Loss, float? Accuracy) first = trainer.Evaluate(data, batchSize: 7);
        Assert.Equal(first, trainer.Evaluate(data, batchSize: 7));
        Assert.Equal(before, trainer.Model.Parameters.ToArray());
    }
}
