using FastSeq.Tests.Layers;

namespace FastSeq.Tests.Models;

/// <summary>
/// Sequences of different lengths in one batch (PyTorch packed-sequence semantics): PyTorch parity, a padded batch giving
/// each sequence's outputs and gradients alone, and lengths out of range refused.
/// </summary>
public class LengthsTests
{
    [Fact]
    public void Bidirectional_gru_with_lengths_matches_pytorch()
    {
        ReferenceCase reference = ReferenceCase.Load("bigru_lengths");
        int batch = reference.Batch;
        float[] input = reference["input"], target = reference["target"];
        int[] lengths = [.. reference["lengths"].Select(length => (int)length)];
        var model = new LengthsTagger();
        model.LoadWeights(reference.Path, allowUnexpectedTensors: true);

        var output = new float[batch * LengthsTagger.OutputLength];
        model.Predict(input, lengths, output, batch);
        Tolerance.Close(reference["output"], output, 1e-5, 0, "output");

        var trainer = new Trainer<LengthsTagger>(model, new Sgd(reference.LearningRate), Loss.MeanSquaredError);
        float loss = trainer.TrainBatch(input, lengths, target, batch);
        Tolerance.Close(reference["loss"], [loss], 1e-6, 1e-5, "loss");
        float[] inputGradient = reference["grad.input"];
        Tolerance.Close(inputGradient, model.InputGradients, 1e-4 * inputGradient.Max(Math.Abs), 1e-4, "grad.input");
        ParityTests.CheckGradientsAndStep(model, reference, reference.LearningRate);
    }

    /// <summary>MaskZero: each sequence's length from its trailing padding ids, into a bidirectional LSTM's final states.</summary>
    [Fact]
    public void Masked_embedding_into_a_bidirectional_lstm_matches_pytorch() =>
        CheckTokenParity(new MaskedClassifier(), "embedding_bilstm_classifier", MaskedClassifier.OutputLength);

    /// <summary>MaskZero with a loss at every step: the mean over real steps.</summary>
    [Fact]
    public void Masked_tagger_matches_pytorch() => CheckTokenParity(new MaskedTagger(), "tagger_masked", MaskedTagger.OutputLength);

    private static void CheckTokenParity<TModel>(TModel model, string name, int outputLength)
        where TModel : ITokenSequenceModel
    {
        ReferenceCase reference = ReferenceCase.Load(name);
        int batch = reference.Batch;
        int[] tokens = [.. reference["input"].Select(id => (int)id)];
        model.LoadWeights(reference.Path, allowUnexpectedTensors: true);

        var output = new float[batch * outputLength];
        model.Predict(tokens, output, batch);
        Tolerance.Close(reference["output"], output, 1e-5, 0, "output");
        var fromFloats = new float[output.Length];
        model.Predict(reference["input"], fromFloats, batch);
        Assert.Equal(output, fromFloats);

        var trainer = new Trainer<TModel>(model, new Sgd(reference.LearningRate), Loss.SparseCategoricalCrossEntropy);
        float loss = trainer.TrainBatch(tokens, reference["target"], batch);
        Assert.Equal(reference["lengths"].Select(length => (int)length), model.Lengths.ToArray());
        Tolerance.Close(reference["loss"], [loss], 1e-6, 1e-5, "loss");
        ParityTests.CheckGradientsAndStep(model, reference, reference.LearningRate);
    }

    [Fact]
    public void Padding_before_an_id_or_a_sequence_of_padding_only_is_refused()
    {
        var model = new MaskedTagger(seed: 1);
        var outputs = new float[MaskedTagger.OutputLength];
        var e = Assert.Throws<ArgumentException>(() => model.Predict([3, 0, 4, 0, 0], outputs));
        Assert.Contains("sample 0 hold the padding id 0 at step 1 before id 4 at step 2", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward([0, 0, 0, 0, 0], 1));
        var step = Assert.Throws<ArgumentException>(() => model.Step([0], new float[MaskedTagger.OutputUnits], new float[MaskedTagger.StreamStateLength]));
        Assert.Contains("padding id 0 for stream 0", step.Message, StringComparison.Ordinal);
    }

    /// <summary>A dataset with lengths: Evaluate's loss and metrics are over real steps only, as the loss Fit minimises.</summary>
    [Fact]
    public void A_dataset_with_lengths_is_evaluated_and_fitted_over_real_steps()
    {
        var random = new Random(12);
        const int Count = 24;
        int T = LengthsTagger.Timesteps, units = LengthsTagger.OutputUnits;
        float[] inputs = RandomTensors.Uniform(random, Count * LengthsTagger.InputLength, -1f, 1f);
        int[] lengths = [.. Enumerable.Range(0, Count).Select(i => 1 + (i % T))];
        // Real steps: a target the inputs determine; padding: targets no model could fit.
        float[] targets = new float[Count * LengthsTagger.OutputLength];
        for (int b = 0; b < Count; b++)
        {
            for (int t = 0; t < T; t++)
            {
                for (int u = 0; u < units; u++)
                    targets[(((b * T) + t) * units) + u] = t < lengths[b] ? 0.5f * inputs[(((b * T) + t) * LengthsTagger.Features) + u] : 1000f;
            }
        }
        var data = new SequenceDataset(inputs, lengths, targets, T, LengthsTagger.Features, LengthsTagger.OutputLength);
        var model = new LengthsTagger(seed: 5);
        var trainer = new Trainer<LengthsTagger>(model, new Adam(0.02f), Loss.MeanSquaredError);

        var outputs = new float[Count * LengthsTagger.OutputLength];
        model.Predict(inputs, lengths, outputs, Count);
        double squares = 0;
        int realSteps = 0;
        for (int b = 0; b < Count; b++)
        {
            realSteps += lengths[b];
            for (int i = 0; i < lengths[b] * units; i++)
                squares += Math.Pow(outputs[(b * LengthsTagger.OutputLength) + i] - targets[(b * LengthsTagger.OutputLength) + i], 2);
        }
        float evaluated = trainer.Evaluate(data, batchSize: 4).Loss;
        Assert.Equal(squares / (realSteps * units), evaluated, 1e-5);

        TrainingHistory history = trainer.Fit(data, epochs: 40, batchSize: 4, onEpochEnd: _ => { });
        Assert.True(history.Last.Loss < evaluated / 5, $"loss {evaluated} -> {history.Last.Loss}: the padding's targets would keep it above 1e5");
    }

    public static TheoryData<string> Models => [nameof(LengthsTagger), nameof(LengthsClassifier)];

    private static ISequenceModel Create(string name) => name == nameof(LengthsTagger) ? new LengthsTagger(seed: 3) : new LengthsClassifier(seed: 3);

    /// <summary>Padding holds garbage: it must change nothing, in the outputs or the gradients.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void A_padded_batch_gives_each_sequence_its_outputs_and_gradients_alone(string name)
    {
        ISequenceModel model = Create(name);
        int T = model.Timesteps;
        int[] lengths = [T, 2, T - 1];
        var random = new Random(9);
        float[] inputs = RandomTensors.Uniform(random, lengths.Length * model.InputLength, -1f, 1f);
        float[] outputGradients = RandomTensors.Uniform(random, lengths.Length * model.OutputLength, -1f, 1f);
        bool perStep = model.OutputLength != model.OutputUnits;
        if (perStep)
        {
            // The gradient of a loss over real steps only is zero past each end.
            for (int b = 0; b < lengths.Length; b++)
                outputGradients.AsSpan((b * model.OutputLength) + (lengths[b] * model.OutputUnits), (T - lengths[b]) * model.OutputUnits).Clear();
        }

        var outputs = new float[lengths.Length * model.OutputLength];
        model.Predict(inputs, lengths, outputs, lengths.Length);
        model.Forward(inputs, lengths, lengths.Length);
        Assert.Equal(outputs, model.Outputs.ToArray());
        model.Gradients.Clear();
        model.Backward(outputGradients, lengths.Length);
        float[] batchGradients = model.Gradients.ToArray();
        float[] batchInputGradients = model.InputGradients.ToArray();

        var summed = new float[batchGradients.Length];
        var alone = new float[model.OutputLength];
        for (int b = 0; b < lengths.Length; b++)
        {
            ReadOnlySpan<float> sample = inputs.AsSpan(b * model.InputLength, model.InputLength);
            model.Predict(sample, [lengths[b]], alone, 1);
            Tolerance.Close(alone, outputs.AsSpan(b * model.OutputLength, model.OutputLength), 1e-6, 1e-5, $"{name} sample {b} outputs");
            if (perStep)
                Assert.All(alone.AsSpan(lengths[b] * model.OutputUnits).ToArray(), value => Assert.Equal(0f, value));

            model.Forward(sample, [lengths[b]], 1);
            model.Gradients.Clear();
            model.Backward(outputGradients.AsSpan(b * model.OutputLength, model.OutputLength), 1);
            System.Numerics.Tensors.TensorPrimitives.Add(summed, model.Gradients, summed);
            Tolerance.Close(model.InputGradients, batchInputGradients.AsSpan(b * model.InputLength, model.InputLength), 1e-5, 1e-4, $"{name} sample {b} input gradients");
            Assert.All(model.InputGradients[(lengths[b] * model.Features)..].ToArray(), value => Assert.Equal(0f, value));
        }
        Tolerance.Close(summed, batchGradients, 1e-5, 1e-4, $"{name} parameter gradients");
    }

    [Fact]
    public void Lengths_out_of_range_are_refused_naming_the_sample()
    {
        var model = new LengthsTagger(seed: 1);
        var inputs = new float[2 * LengthsTagger.InputLength];
        var outputs = new float[2 * LengthsTagger.OutputLength];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(inputs, [3, 0], outputs, 2));
        Assert.Contains("sample 1 has length 0; a length must be from 1 to Timesteps (6)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(inputs, [7, 1], 2));
        Assert.Contains("sample 0 has length 7", e.Message, StringComparison.Ordinal);
        var wrong = Assert.Throws<ArgumentException>(() => model.Predict(inputs, [3], outputs, 2));
        Assert.Contains("one length per sample (2)", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Calls_with_lengths_allocate_nothing_after_warm_up()
    {
        var model = new LengthsClassifier(seed: 1);
        int[] lengths = [4, 1, 3];
        var inputs = new float[3 * LengthsClassifier.InputLength];
        var outputs = new float[3 * LengthsClassifier.OutputLength];
        var trainer = new Trainer<LengthsClassifier>(model, new Adam(1e-3f), Loss.MeanSquaredError);
        var targets = new float[3 * LengthsClassifier.OutputLength];
        Allocations.AssertNone(() => model.Predict(inputs, lengths, outputs, 3));
        Allocations.AssertNone(() => trainer.TrainBatch(inputs, lengths, targets, 3));
    }
}

[SequenceModel(Timesteps = 6, Features = 3, MaxBatchSize = 4)]
[Gru(4, ReturnSequences = true, Bidirectional = true)]
[Dense(2)]
public partial class LengthsTagger;

[SequenceModel(Timesteps = 5, Features = 2, MaxBatchSize = 4)]
[Lstm(5, ReturnSequences = true)]
[SimpleRnn(3, ReturnSequences = true)]
[Gru(4, Bidirectional = true)]
[Dense(2, Activation = Activation.Tanh)]
public partial class LengthsClassifier;

[SequenceModel(Timesteps = 7, MaxBatchSize = 4)]
[Embedding(12, 5, MaskZero = true)]
[Lstm(6, Bidirectional = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class MaskedClassifier;

[SequenceModel(Timesteps = 5, MaxBatchSize = 4)]
[Embedding(10, 4, MaskZero = true)]
[Lstm(5, ReturnSequences = true)]
[Dense(4, Activation = Activation.Softmax)]
public partial class MaskedTagger;
