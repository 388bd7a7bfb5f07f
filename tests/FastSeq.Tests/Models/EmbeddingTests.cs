
namespace FastSeq.Tests.Models;

/// <summary>
/// Models that start with an Embedding read token ids: PyTorch parity, the int and float overloads agreeing, ids out of
/// range refused before anything changes, Keras names, counts and initialisation, and allocation-free calls.
/// </summary>
public class EmbeddingTests
{
    [Fact]
    public void Embedding_lstm_classifier_matches_pytorch()
    {
        ReferenceCase reference = ReferenceCase.Load("embedding_lstm_classifier");
        int batch = reference.Batch;
        int[] tokens = [.. reference["input"].Select(id => (int)id)];
        float[] target = reference["target"];
        var model = new TokenClassifier();
        model.LoadWeights(reference.Path, allowUnexpectedTensors: true);

        var output = new float[batch * TokenClassifier.OutputLength];
        model.Predict(tokens, output, batch);
        Tolerance.Close(reference["output"], output, 1e-5, 0, "output");

        var trainer = new Trainer<TokenClassifier>(model, new Sgd(reference.LearningRate), Loss.SparseCategoricalCrossEntropy);
        float loss = trainer.TrainBatch(tokens, target, batch);
        Tolerance.Close(reference["loss"], [loss], 1e-6, 1e-5, "loss");
        Assert.True(model.InputGradients.IsEmpty);
        ParityTests.CheckGradientsAndStep(model, reference, reference.LearningRate);
    }

    [Fact]
    public void Ids_held_as_floats_give_the_bits_of_ints_in_every_call()
    {
        var model = new TokenTagger(seed: 2);
        int[] tokens = RandomTokens(new Random(3), 3 * TokenTagger.Timesteps);
        float[] asFloats = [.. tokens.Select(id => (float)id)];
        var fromInts = new float[3 * TokenTagger.OutputLength];
        var fromFloats = new float[fromInts.Length];
        model.Predict(tokens, fromInts, 3);
        model.Predict(asFloats, fromFloats, 3);
        Assert.Equal(fromInts, fromFloats);

        // Streaming each sequence's tokens gives Predict's per-step outputs.
        var states = new float[3 * TokenTagger.StreamStateLength];
        var step = new float[3 * TokenTagger.OutputUnits];
        var column = new int[3];
        for (int t = 0; t < TokenTagger.Timesteps; t++)
        {
            for (int b = 0; b < 3; b++)
                column[b] = tokens[(b * TokenTagger.Timesteps) + t];
            model.Step(column, step, states, 3);
            for (int b = 0; b < 3; b++)
            {
                Tolerance.Close(fromInts.AsSpan((b * TokenTagger.OutputLength) + (t * TokenTagger.OutputUnits), TokenTagger.OutputUnits),
                                step.AsSpan(b * TokenTagger.OutputUnits, TokenTagger.OutputUnits), 1e-6, 1e-5, $"step {t}, stream {b}");
            }
        }

        model.Forward(tokens, 3);
        float[] forwardInts = model.Outputs.ToArray();
        model.Forward(asFloats, 3);
        Assert.Equal(forwardInts, model.Outputs.ToArray());
    }

    [Fact]
    public void An_id_out_of_range_names_sample_step_and_id_and_changes_nothing()
    {
        var model = new TokenTagger(seed: 4);
        int[] good = RandomTokens(new Random(5), 2 * TokenTagger.Timesteps);
        model.Forward(good, 2);
        float[] outputs = model.Outputs.ToArray();
        float[] parameters = model.Parameters.ToArray();

        int[] bad = [.. good];
        bad[TokenTagger.Timesteps + 3] = TokenTagger.VocabularySize;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(bad, 2));
        Assert.Contains($"token id {TokenTagger.VocabularySize} at sample 1, step 3", e.Message, StringComparison.Ordinal);
        var trainer = new Trainer<TokenTagger>(model, new Sgd(0.1f), Loss.SparseCategoricalCrossEntropy);
        bad[0] = -1;
        e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.TrainBatch(bad, new float[2 * TokenTagger.Timesteps], 2));
        Assert.Contains("token id -1 at sample 0, step 0", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict([.. good.Select(id => id + 0.5f)], new float[2 * TokenTagger.OutputLength], 2));
        Assert.Contains("ids must be whole numbers", e.Message, StringComparison.Ordinal);

        // The last good Forward is still what Backward reads, and nothing moved.
        Assert.Equal(outputs, model.Outputs.ToArray());
        Assert.Equal(parameters, model.Parameters.ToArray());
        model.Backward(new float[2 * TokenTagger.OutputLength], 2);
    }

    [Fact]
    public void Names_counts_summary_and_initialisation_follow_keras_and_pytorch()
    {
        var model = new TokenTagger(seed: 1);
        Assert.Equal(["embedding.weight"], model.StateDict.ToArray().Take(1).Select(e => e.Name));
        Assert.Equal([TokenTagger.VocabularySize, 4], model.StateDict[0].Shape);
        Assert.Contains("embedding (Embedding)", model.Summary(), StringComparison.Ordinal);
        Assert.Contains("(None, 6, 4)", model.Summary(), StringComparison.Ordinal);
        ReadOnlySpan<float> table = model.Parameters[..(TokenTagger.VocabularySize * 4)];
        Assert.All(table.ToArray(), v => Assert.InRange(v, -0.05f, 0.05f));
        Assert.True(table.ToArray().Distinct().Count() > table.Length / 2);
        Assert.Throws<InvalidOperationException>(() => new Trainer<SineForecaster>(new SineForecaster(), new Sgd(0.1f), Loss.MeanSquaredError).TrainBatch(new int[10], new float[1], 1));
    }

    [Fact]
    public void Token_calls_allocate_nothing_after_warm_up()
    {
        var model = new TokenTagger(seed: 1);
        int[] tokens = RandomTokens(new Random(6), 3 * TokenTagger.Timesteps);
        float[] asFloats = [.. tokens.Select(id => (float)id)];
        var outputs = new float[3 * TokenTagger.OutputLength];
        var states = new float[3 * TokenTagger.StreamStateLength];
        var step = new float[3 * TokenTagger.OutputUnits];
        var trainer = new Trainer<TokenTagger>(model, new Adam(1e-3f), Loss.SparseCategoricalCrossEntropy);
        var targets = new float[3 * TokenTagger.Timesteps];
        Allocations.AssertNone(() => model.Predict(tokens, outputs, 3));
        Allocations.AssertNone(() => model.Predict(asFloats, outputs, 3));
        Allocations.AssertNone(() => model.Step(tokens.AsSpan(0, 3), step, states, 3));
        Allocations.AssertNone(() => trainer.TrainBatch(tokens, targets, 3));
    }

    [Fact]
    public void A_dataset_of_ids_trains_and_evaluates()
    {
        var random = new Random(7);
        int[] tokens = RandomTokens(random, 40 * TokenTagger.Timesteps);
        // Each step's class is its token's parity: learnable from the embedding alone.
        float[] targets = [.. tokens.Select(id => (float)(id % 2))];
        SequenceDataset data = SequenceDataset.FromTokens(tokens, targets, TokenTagger.Timesteps, targetLength: TokenTagger.Timesteps);
        var model = new TokenTagger(seed: 8);
        var trainer = new Trainer<TokenTagger>(model, new Adam(0.02f), Loss.SparseCategoricalCrossEntropy);
        float before = trainer.Evaluate(data, batchSize: 8).Loss;
        trainer.Fit(data, epochs: 30, batchSize: 8, onEpochEnd: _ => { });
        (float after, float? accuracy) = trainer.Evaluate(data, batchSize: 8);
        Assert.True(after < before / 4, $"loss {before} -> {after}");
        Assert.True(accuracy > 0.95f, $"accuracy {accuracy}");
    }

    private static int[] RandomTokens(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(TokenTagger.VocabularySize))];
}

[SequenceModel(Timesteps = 7, MaxBatchSize = 4)]
[Embedding(12, 5)]
[Lstm(6)]
[Dense(3, Activation = Activation.Softmax)]
public partial class TokenClassifier;

[SequenceModel(Timesteps = 6, MaxBatchSize = 8)]
[Embedding(10, 4)]
[Gru(8, ReturnSequences = true)]
[Dense(2, Activation = Activation.Softmax)]
public partial class TokenTagger;
