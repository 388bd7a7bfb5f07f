namespace FastSeq.Tests.Models;

// Every kind of dropout, and the same layers without it: the same parameters for the same seed, a Dropout layer having none.

[SequenceModel(Timesteps = 4, Features = 3, MaxBatchSize = 4)]
[Dropout(0.2f)]
[Lstm(5, ReturnSequences = true, Dropout = 0.3f, RecurrentDropout = 0.4f)]
[Gru(3, ReturnSequences = true, Bidirectional = true, Dropout = 0.25f, RecurrentDropout = 0.3f)]
[Dropout(0.5f)]
[SimpleRnn(4, Dropout = 0.2f, RecurrentDropout = 0.35f)]
[Dense(2)]
public partial class DropoutStack;

[SequenceModel(Timesteps = 4, Features = 3, MaxBatchSize = 4)]
[Lstm(5, ReturnSequences = true)]
[Gru(3, ReturnSequences = true, Bidirectional = true)]
[SimpleRnn(4)]
[Dense(2)]
public partial class PlainStack;

// A model that streams, with dropout everywhere it can be, and its twin without.

[SequenceModel(Timesteps = 5, Features = 2, MaxBatchSize = 4)]
[Gru(16, ReturnSequences = true, Dropout = 0.3f, RecurrentDropout = 0.3f)]
[Dropout(0.4f)]
[Lstm(8, RecurrentDropout = 0.2f)]
[Dense(1)]
[Dropout(0.1f)]
public partial class StreamingDropout;

[SequenceModel(Timesteps = 5, Features = 2, MaxBatchSize = 4)]
[Gru(16, ReturnSequences = true)]
[Lstm(8)]
[Dense(1)]
public partial class StreamingPlain;

[SequenceModel(Timesteps = 10, Features = 8, MaxBatchSize = 64)]
[Dropout(0.25f)]
public partial class OnlyDropout;

[SequenceModel(Timesteps = 6, MaxBatchSize = 4)]
[Embedding(10, 4, MaskZero = true)]
[Dropout(0.3f)]
[Gru(5, Dropout = 0.2f, RecurrentDropout = 0.2f)]
[Dense(3, Activation = Activation.Softmax)]
public partial class DropoutTokenModel;

[SequenceModel(Timesteps = 6, MaxBatchSize = 4)]
[Embedding(10, 4, MaskZero = true)]
[Gru(5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class PlainTokenModel;

/// <summary>
/// Dropout through generated models: inference gives the bits of the model without it, a training pass drops what the
/// masks say and Backward follows them, and the same seed gives the same bits (its training allocates nothing: TrainingAllocationTests).
/// </summary>
public class DropoutTests
{
    [Fact]
    public void Predict_Forward_and_Evaluate_give_the_bits_of_the_model_without_dropout()
    {
        var dropout = new DropoutStack(seed: 3);
        var plain = new PlainStack(seed: 3);
        Assert.Equal(plain.Parameters.ToArray(), dropout.Parameters.ToArray());
        float[] inputs = Inputs(4 * DropoutStack.InputLength, seed: 1);

        // Train the dropout model's buffers first: masks drawn must not reach inference.
        dropout.Forward(inputs, default, 4, training: true);
        foreach (int batch in new[] { 1, 4 })
        {
            ReadOnlySpan<float> x = inputs.AsSpan(0, batch * DropoutStack.InputLength);
            Assert.Equal(Predict(plain, x, batch), Predict(dropout, x, batch));
            dropout.Forward(x, batch);
            plain.Forward(x, batch);
            Assert.Equal(plain.Outputs.ToArray(), dropout.Outputs.ToArray());
        }

        var data = new SequenceDataset(inputs, Inputs(4 * DropoutStack.OutputLength, seed: 2), DropoutStack.Timesteps, DropoutStack.Features, DropoutStack.OutputLength);
        float plainLoss = new Trainer<PlainStack>(plain, new Sgd(0.1f), Loss.MeanSquaredError).Evaluate(data, batchSize: 3).Loss;
        Assert.Equal(plainLoss, new Trainer<DropoutStack>(dropout, new Sgd(0.1f), Loss.MeanSquaredError).Evaluate(data, batchSize: 3).Loss);
    }

    [Fact]
    public void Streaming_gives_the_bits_of_the_model_without_dropout()
    {
        var dropout = new StreamingDropout(seed: 5);
        var plain = new StreamingPlain(seed: 5);
        float[] inputs = Inputs(StreamingDropout.InputLength, seed: 3);
        dropout.Forward(inputs, default, 1, training: true);
        var a = new float[1];
        var b = new float[1];
        for (int t = 0; t < StreamingDropout.Timesteps; t++)
        {
            dropout.Step(inputs.AsSpan(t * 2, 2), a);
            plain.Step(inputs.AsSpan(t * 2, 2), b);
            Assert.Equal(b[0], a[0]);
        }
        Assert.Equal(Predict(plain, inputs, 1), Predict(dropout, inputs, 1));
    }

    [Fact]
    public void A_token_model_trains_with_dropout_and_predicts_without()
    {
        int[] tokens = [3, 1, 4, 1, 5, 0, 9, 2, 6, 5, 3, 5, 8, 9, 0, 0, 0, 0];
        var dropout = new DropoutTokenModel(seed: 2);
        var plain = new PlainTokenModel(seed: 2);
        var trainer = new Trainer<DropoutTokenModel>(dropout, new Sgd(0.5f), Loss.SparseCategoricalCrossEntropy);
        var twin = new Trainer<PlainTokenModel>(new PlainTokenModel(seed: 2), new Sgd(0.5f), Loss.SparseCategoricalCrossEntropy);
        float[] targets = [0, 1, 2];
        Assert.NotEqual(twin.TrainBatch(tokens, targets, 3), trainer.TrainBatch(tokens, targets, 3));

        // The weights it learnt, in the twin: the same outputs without dropout.
        dropout.Parameters.CopyTo(plain.Parameters);
        var a = new float[3 * DropoutTokenModel.OutputLength];
        var b = new float[a.Length];
        dropout.Predict(tokens, a, 3);
        plain.Predict(tokens, b, 3);
        Assert.Equal(b, a);
    }

    [Fact]
    public void A_training_pass_drops_values_and_each_pass_draws_new_masks()
    {
        var model = new DropoutStack(seed: 3);
        float[] inputs = Inputs(4 * DropoutStack.InputLength, seed: 1);
        model.Forward(inputs, 4);
        float[] inference = model.Outputs.ToArray();
        model.Forward(inputs, default, 4, training: true);
        float[] first = model.Outputs.ToArray();
        model.Forward(inputs, default, 4, training: true);
        float[] second = model.Outputs.ToArray();
        Assert.NotEqual(inference, first);
        Assert.NotEqual(first, second);

        model.ResetDropout(11);
        model.Forward(inputs, default, 4, training: true);
        float[] again = model.Outputs.ToArray();
        model.ResetDropout(11);
        model.Forward(inputs, default, 4, training: true);
        Assert.Equal(again, model.Outputs.ToArray());
    }

    [Fact]
    public void A_dropout_layer_drops_about_its_rate_and_scales_what_it_keeps()
    {
        var model = new OnlyDropout(seed: 1);
        float[] ones = [.. Enumerable.Repeat(1f, 64 * OnlyDropout.InputLength)];
        model.Forward(ones, default, 64, training: true);
        float[] outputs = model.Outputs.ToArray();
        Assert.All(outputs, v => Assert.True(v == 0f || v == 1f / 0.75f, $"{v}"));
        // 5,120 values: 5 standard deviations of the fraction are 0.03.
        Assert.InRange(outputs.Count(v => v == 0f) / (double)outputs.Length, 0.22, 0.28);
        // Each element has its own mask: the steps of one sample differ.
        Assert.NotEqual(outputs.AsSpan(0, 8).ToArray(), outputs.AsSpan(8, 8).ToArray());

        model.Forward(ones, 64);
        Assert.Equal(ones, model.Outputs.ToArray());
        model.Gradients.Clear();
        model.Backward(ones, 64);
        Assert.Equal(ones, model.InputGradients.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Backward_with_the_masks_of_a_training_pass_matches_central_differences(int batch)
    {
        var model = new DropoutStack(seed: 7);
        var random = new Random(11);
        float[] input = Inputs(batch * DropoutStack.InputLength, seed: 12);
        float[] weights = Inputs(batch * DropoutStack.OutputLength, seed: 13);
        Span<float> parameters = model.Parameters;
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] += (random.NextSingle() - 0.5f) * 0.5f;

        // ResetDropout before each pass fixes the masks: every pass below draws those of pass 0 of seed 5.
        double Objective()
        {
            model.ResetDropout(5);
            model.Forward(input, default, batch, training: true);
            return FastSeq.Tests.Layers.FiniteDifferences.WeightedSum(weights, model.Outputs);
        }

        Objective();
        model.Gradients.Clear();
        model.Backward(weights, batch);
        float[] analytic = model.Gradients.ToArray();
        float[] analyticInput = model.InputGradients.ToArray();
        Assert.Contains(analyticInput, v => v == 0f);   // inputs dropped by the first Dropout layer get no gradient
        float[] values = model.Parameters.ToArray();
        FastSeq.Tests.Layers.FiniteDifferences.Check("parameters", values, analytic, () =>
        {
            values.CopyTo(model.Parameters);
            return Objective();
        });
        FastSeq.Tests.Layers.FiniteDifferences.Check("inputs", input, analyticInput, Objective);
    }

    [Fact]
    public void The_same_seed_gives_bit_identical_training_and_another_seed_other_masks()
    {
        SequenceDataset data = Data(count: 40);

        int[] Fit(int seed)
        {
            var trainer = new Trainer<DropoutStack>(new DropoutStack(seed: 1), new Adam(1e-2f), Loss.MeanSquaredError);
            trainer.Fit(data, epochs: 2, batchSize: 4, seed: seed, onEpochEnd: _ => { });
            return [.. trainer.Model.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits)];
        }

        Assert.Equal(Fit(7), Fit(7));
        Assert.NotEqual(Fit(7), Fit(8));

        // TrainBatch: two models of one seed follow each other bit for bit.
        float[] inputs = Inputs(4 * DropoutStack.InputLength, seed: 1);
        float[] targets = Inputs(4 * DropoutStack.OutputLength, seed: 2);
        var first = new Trainer<DropoutStack>(new DropoutStack(seed: 2), new Sgd(0.1f), Loss.MeanSquaredError);
        var second = new Trainer<DropoutStack>(new DropoutStack(seed: 2), new Sgd(0.1f), Loss.MeanSquaredError);
        for (int i = 0; i < 3; i++)
            Assert.Equal(first.TrainBatch(inputs, targets, 4), second.TrainBatch(inputs, targets, 4));
        Assert.Equal(first.Model.Parameters.ToArray(), second.Model.Parameters.ToArray());
    }

    [Fact]
    public void A_dropout_layer_is_in_the_summary_and_not_in_the_weights()
    {
        string summary = new DropoutStack(seed: 1).Summary();
        Assert.Contains("dropout (Dropout)", summary, StringComparison.Ordinal);
        Assert.Contains("dropout_1 (Dropout)", summary, StringComparison.Ordinal);
        string row = summary.Split('\n').Single(line => line.Contains("dropout_1 (Dropout)", StringComparison.Ordinal));
        Assert.Contains("(None, 4, 6)", row, StringComparison.Ordinal);
        Assert.EndsWith("0 │", row.TrimEnd(), StringComparison.Ordinal);

        var dropout = new DropoutStack(seed: 1);
        Assert.Equal(new PlainStack(seed: 1).StateDict.ToArray().Select(e => e.Name), dropout.StateDict.ToArray().Select(e => e.Name));
        using var file = new MemoryStream();
        new PlainStack(seed: 9).SaveWeights(file);
        file.Position = 0;
        dropout.LoadWeights(file);
        Assert.Equal(new PlainStack(seed: 9).Parameters.ToArray(), dropout.Parameters.ToArray());
    }

    private static float[] Predict(ISequenceModel model, ReadOnlySpan<float> inputs, int batch)
    {
        var outputs = new float[batch * model.OutputLength];
        model.Predict(inputs, outputs, batch);
        return outputs;
    }

    internal static SequenceDataset Data(int count) => new(
        Inputs(count * DropoutStack.InputLength, seed: 21), Inputs(count * DropoutStack.OutputLength, seed: 22),
        DropoutStack.Timesteps, DropoutStack.Features, DropoutStack.OutputLength);

    internal static float[] Inputs(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (random.NextSingle() * 2f) - 1f)];
    }
}
