using FastSeq.Tests.Layers;

namespace FastSeq.Tests.Models;

public class ModelApiTests
{
    [Fact]
    public void Constants_describe_the_declared_shapes()
    {
        Assert.Equal(10, SineForecaster.Timesteps);
        Assert.Equal(1, SineForecaster.Features);
        Assert.Equal(1, SineForecaster.OutputLength);
        Assert.Equal(3201, SineForecaster.ParameterCount);
        Assert.Equal(64, SineForecaster.MaxBatchSize);
        Assert.Equal(5 * 2, MixedSequenceStack.OutputLength);
        Assert.Equal(3201, new SineForecaster().Parameters.Length);
    }

    [Fact]
    public void Summary_matches_keras()
    {
        string summary = new SineForecaster().Summary();
        string[] lines = summary.Split('\n');
        Assert.Equal("Model: \"SineForecaster\"", lines[0]);
        Assert.Contains(lines, l => l.Contains("simple_rnn (SimpleRNN)", StringComparison.Ordinal) && l.Contains("(None, 10, 32)", StringComparison.Ordinal) && l.TrimEnd(' ', '│').EndsWith("1,088", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("simple_rnn_1 (SimpleRNN)", StringComparison.Ordinal) && l.Contains("(None, 32)", StringComparison.Ordinal) && l.TrimEnd(' ', '│').EndsWith("2,080", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("dense (Dense)", StringComparison.Ordinal) && l.Contains("(None, 1)", StringComparison.Ordinal) && l.TrimEnd(' ', '│').EndsWith(" 33", StringComparison.Ordinal));
        Assert.Contains(" Total params: 3,201 (12.50 KB)", lines);
        Assert.Contains(" Trainable params: 3,201 (12.50 KB)", lines);
    }

    [Fact]
    public void Parameter_counts_match_keras_for_lstm_and_gru()
    {
        Assert.Equal(4864 + 132, LstmOnFive.ParameterCount);
        Assert.Contains("4,864", new LstmOnFive().Summary(), StringComparison.Ordinal);
        Assert.Equal(247296, WideGru.ParameterCount);
        Assert.Contains("247,296", new WideGru().Summary(), StringComparison.Ordinal);
        Assert.Contains("(None, 5, 2)", new MixedSequenceStack().Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void Initialisation_is_deterministic_per_seed_and_follows_keras()
    {
        Assert.Equal(new SineForecaster(seed: 7).Parameters.ToArray(), new SineForecaster(seed: 7).Parameters.ToArray());
        Assert.NotEqual(new SineForecaster(seed: 7).Parameters.ToArray(), new SineForecaster(seed: 8).Parameters.ToArray());

        var model = new SineForecaster(seed: 1);
        ReadOnlySpan<float> p = model.Parameters;
        // simple_rnn: kernel [1, 32] glorot-uniform, limit sqrt(6 / 33); recurrent [32, 32] orthogonal; bias zero.
        float limit = MathF.Sqrt(6f / 33f);
        foreach (float w in p[..32])
            Assert.InRange(w, -limit, limit);
        ReadOnlySpan<float> recurrent = p.Slice(32, 1024);
        for (int i = 0; i < 32; i++)
        {
            for (int j = 0; j < 32; j++)
            {
                float dot = 0;
                for (int k = 0; k < 32; k++)
                    dot += recurrent[(i * 32) + k] * recurrent[(j * 32) + k];
                Assert.Equal(i == j ? 1f : 0f, dot, 1e-4f);
            }
        }
        Assert.All(p.Slice(1056, 32).ToArray(), b => Assert.Equal(0f, b));

        // LSTM: forget-gate bias (second block of H) is 1, the others 0.
        var lstm = new LstmOnFive();
        ReadOnlySpan<float> bias = lstm.Parameters.Slice((5 * 128) + (32 * 128), 128);
        Assert.All(bias[..32].ToArray(), b => Assert.Equal(0f, b));
        Assert.All(bias.Slice(32, 32).ToArray(), b => Assert.Equal(1f, b));
        Assert.All(bias[64..].ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void Streaming_steps_match_predict_on_the_whole_sequence()
    {
        CheckStreaming(new SineForecaster(seed: 2));
        CheckStreaming(new LstmStackClassifierModel(seed: 3));
        CheckStreaming(new SmallGruStack(seed: 4));
        CheckStreaming(new MixedSequenceStack(seed: 5));
        CheckStreaming(new SingleStepLstm(seed: 6));
    }

    private static void CheckStreaming(ISequenceModel model)
    {
        var random = new Random(1);
        var input = new float[model.InputLength];
        for (int i = 0; i < input.Length; i++)
            input[i] = random.NextSingle() * 2f - 1f;
        var predicted = new float[model.OutputLength];
        model.Predict(input, predicted);

        var step = new float[model.OutputUnits];
        var streamed = new float[model.OutputLength];
        for (int round = 0; round < 2; round++) // the second round proves ResetState clears everything
        {
            model.ResetState();
            for (int t = 0; t < model.Timesteps; t++)
            {
                model.Step(input.AsSpan(t * model.Features, model.Features), step);
                if (model.OutputLength == model.OutputUnits)
                    step.CopyTo(streamed, 0);
                else
                    step.CopyTo(streamed, t * model.OutputUnits);
            }
            Tolerance.Close(predicted, streamed, 1e-5, 1e-5, $"{model.GetType().Name} round {round}");
        }
    }

    [Fact]
    public void Batched_streams_with_caller_owned_state_match_predict_per_stream()
    {
        CheckBatchedStreams(new LstmStackClassifierModel(seed: 3), streams: 9);   // MaxBatchSize 4: three chunks
        CheckBatchedStreams(new SineForecaster(seed: 2), streams: 5);
        CheckBatchedStreams(new MixedSequenceStack(seed: 5), streams: 3);
    }

    private static void CheckBatchedStreams(ISequenceModel model, int streams)
    {
        var random = new Random(streams);
        var inputs = new float[streams * model.InputLength];   // [streams, T, F]
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = random.NextSingle() * 2f - 1f;

        int stateLength = model.StreamStateLength;
        var states = new float[streams * stateLength];
        var stepInputs = new float[streams * model.Features];
        var stepOutputs = new float[streams * model.OutputUnits];
        var single = new float[stateLength];
        var singleOutput = new float[model.OutputUnits];
        var predicted = new float[model.OutputLength];
        for (int t = 0; t < model.Timesteps; t++)
        {
            for (int s = 0; s < streams; s++)
                inputs.AsSpan((s * model.InputLength) + (t * model.Features), model.Features).CopyTo(stepInputs.AsSpan(s * model.Features));
            model.Step(stepInputs, stepOutputs, states, streams);
        }
        for (int s = 0; s < streams; s++)
        {
            ReadOnlySpan<float> sequence = inputs.AsSpan(s * model.InputLength, model.InputLength);
            model.Predict(sequence, predicted);
            ReadOnlySpan<float> expected = predicted.AsSpan(model.OutputLength - model.OutputUnits);
            Tolerance.Close(expected, stepOutputs.AsSpan(s * model.OutputUnits, model.OutputUnits), 1e-5, 1e-5, $"{model.GetType().Name} stream {s}");

            // The same stream alone, with its own caller-owned state.
            Array.Clear(single);
            for (int t = 0; t < model.Timesteps; t++)
                model.Step(sequence.Slice(t * model.Features, model.Features), singleOutput, single);
            Tolerance.Close(expected, singleOutput, 1e-5, 1e-5, $"{model.GetType().Name} single stream {s}");
        }
    }

    [Fact]
    public void Wrong_sizes_throw_argument_exceptions_naming_expected_and_actual()
    {
        var model = new SineForecaster();
        var output = new float[1];
        var e = Assert.Throws<ArgumentException>(() => model.Predict(new float[9], output));
        Assert.Contains("inputs must hold 10 floats", e.Message, StringComparison.Ordinal);
        Assert.Contains("holds 9", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => model.Predict(new float[20], new float[1], batchSize: 2));
        Assert.Contains("outputs must hold 2 floats", e.Message, StringComparison.Ordinal);

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(Array.Empty<float>(), Array.Empty<float>(), batchSize: 0));
        Assert.Contains("batchSize must be at least 1, but is 0", range.Message, StringComparison.Ordinal);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new float[650], batchSize: 65));
        Assert.Contains("between 1 and the model's MaxBatchSize (64), but is 65", range.Message, StringComparison.Ordinal);

        // A count whose product with the per-sample length wraps around int still fails on the length.
        e = Assert.Throws<ArgumentException>(() => model.Step([], [], [], 1 << 29));
        Assert.Contains($"inputs must hold {(long)(1 << 29) * SineForecaster.Features} floats", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => model.Step(new float[2], new float[1]));
        Assert.Contains("inputs must hold 1 floats", e.Message, StringComparison.Ordinal);
        Assert.Contains("but holds 2", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.Step(new float[3], new float[3], new float[SineForecaster.StreamStateLength], 3));
        Assert.Contains($"states must hold {3 * SineForecaster.StreamStateLength} floats", e.Message, StringComparison.Ordinal);

        var trainer = new Trainer<SineForecaster>(model, new Sgd(0.1f), Loss.MeanSquaredError);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.TrainBatch(new float[20], new float[3], -1));
        Assert.Contains("batchSize must be between 1 and the model's MaxBatchSize (64), but is -1", range.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => trainer.TrainBatch(new float[20], new float[3], 2));
        Assert.Contains("targets must hold 2 floats", e.Message, StringComparison.Ordinal);
        Assert.Contains("holds 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_needs_a_Forward_of_the_same_batch_size()
    {
        var model = new SineForecaster(seed: 1);
        var first = Assert.Throws<InvalidOperationException>(() => model.Backward(new float[1], 1));
        Assert.Contains("call Forward first", first.Message, StringComparison.Ordinal);

        model.Forward(new float[2 * SineForecaster.InputLength], 2);
        var e = Assert.Throws<ArgumentException>(() => model.Backward(new float[1], 1));
        Assert.Equal("batchSize", e.ParamName);
        Assert.Contains("the batch of the last Forward (2), but is 1", e.Message, StringComparison.Ordinal);

        model.Backward(new float[2], 2);
    }

    /// <summary>Predict runs in its own buffers: between a Forward and its Backward it changes nothing Backward reads.</summary>
    [Fact]
    public void Predict_between_Forward_and_Backward_leaves_the_gradients_alone()
    {
        var random = new Random(2);
        float[] x = RandomTensors.Uniform(random, 2 * SineForecaster.InputLength, -1f, 1f);
        float[] dy = RandomTensors.Uniform(random, 2, -1f, 1f);
        var alone = new SineForecaster(seed: 1);
        alone.Forward(x, 2);
        alone.Backward(dy, 2);

        var model = new SineForecaster(seed: 1);
        model.Forward(x, 2);
        model.Predict(RandomTensors.Uniform(random, 3 * SineForecaster.InputLength, -1f, 1f), new float[3], 3);
        model.Backward(dy, 2);
        Assert.Equal(alone.Gradients.ToArray(), model.Gradients.ToArray());
        Assert.Equal(alone.InputGradients.ToArray(), model.InputGradients.ToArray());
    }

    [Fact]
    public void Backward_can_skip_the_input_gradients_and_gives_the_same_parameter_gradients()
    {
        var random = new Random(4);
        const int Batch = 3;
        float[] x = Layers.RandomTensors.Uniform(random, Batch * SineForecaster.InputLength, -1f, 1f);
        float[] dy = Layers.RandomTensors.Uniform(random, Batch * SineForecaster.OutputLength, -1f, 1f);
        var model = new SineForecaster(seed: 3);

        model.Forward(x, Batch);
        model.Backward(dy, Batch);
        float[] gradients = model.Gradients.ToArray(), inputGradients = model.InputGradients.ToArray();
        Assert.Contains(inputGradients, g => g != 0f);

        model.Gradients.Clear();
        model.Forward(x.Reverse().ToArray(), Batch);
        model.Backward(dy, Batch, computeInputGradients: false);
        model.Gradients.Clear();
        model.Forward(x, Batch);
        model.Backward(dy, Batch, computeInputGradients: false);
        Assert.Equal(gradients, model.Gradients.ToArray());
        // Left as the last Backward that computed them wrote them, not those of the reversed inputs.
        Assert.Equal(inputGradients, model.InputGradients.ToArray());
    }

    /// <summary>
    /// A prediction fed back as the next input, in one buffer: the first layer reads the inputs before the last layer
    /// writes the outputs, both when they are different layers and when they are the same one (the model copies out last).
    /// </summary>
    [Fact]
    public void Step_may_write_its_outputs_over_its_inputs()
    {
        CheckFeedback(new FeedbackLstm(seed: 4), streams: 3);          // one layer, 8 -> 8, MaxBatchSize 2: two chunks
        CheckFeedback(new MixedSequenceStack(seed: 6), streams: 2);    // four layers, 2 -> 2
    }

    private static void CheckFeedback(ISequenceModel model, int streams)
    {
        Assert.Equal(model.Features, model.OutputUnits);
        float[] start = Layers.RandomTensors.Uniform(new Random(streams), streams * model.Features, -1f, 1f);
        float[] separateStates = new float[streams * model.StreamStateLength], sharedStates = new float[separateStates.Length];
        float[] input = (float[])start.Clone(), output = new float[start.Length], shared = (float[])start.Clone();
        for (int t = 0; t < 5; t++)
        {
            model.Step(input, output, separateStates, streams);
            output.CopyTo(input, 0);
            model.Step(shared, shared, sharedStates, streams);
            Assert.Equal(output, shared);
        }
        Assert.Equal(separateStates, sharedStates);
    }

    [Fact]
    public void Step_rejects_states_that_share_memory_with_its_inputs_or_outputs()
    {
        var model = new MixedSequenceStack(seed: 1);
        float[] buffer = new float[MixedSequenceStack.StreamStateLength + MixedSequenceStack.Features];
        var e = Assert.Throws<ArgumentException>(() => model.Step(buffer.AsSpan(MixedSequenceStack.StreamStateLength - 1, MixedSequenceStack.Features), new float[MixedSequenceStack.OutputUnits], buffer.AsSpan(0, MixedSequenceStack.StreamStateLength)));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("inputs and states must not share memory", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.Step(new float[MixedSequenceStack.Features], buffer.AsSpan(MixedSequenceStack.StreamStateLength, MixedSequenceStack.OutputUnits), buffer.AsSpan(1, MixedSequenceStack.StreamStateLength)));
        Assert.Equal("outputs", e.ParamName);
        Assert.Contains("outputs and states must not share memory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_needs_at_least_one_stream()
    {
        var model = new SineForecaster();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Step([], [], [], 0));
        Assert.Equal("streams", e.ParamName);
        Assert.Contains("streams must be at least 1, but is 0", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Step([], [], [], -1));
        Assert.Equal("streams", e.ParamName);
    }

    [Fact]
    public void Saved_weights_load_back_bit_exact_into_another_model()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fastseq-{Guid.NewGuid():N}.safetensors");
        try
        {
            var trained = new LstmStackClassifierModel(seed: 1);
            trained.SaveWeights(path);
            var other = new LstmStackClassifierModel(seed: 2);
            other.LoadWeights(path);
            Assert.Equal(trained.Parameters.ToArray(), other.Parameters.ToArray());
            Assert.Contains(trained.StateDict.ToArray(), e => e.Name == "enc1.weight_ih_l0" && e.Shape.SequenceEqual([32, 2]));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Failed_load_names_the_problem_and_leaves_the_model_unchanged()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fastseq-{Guid.NewGuid():N}.safetensors");
        try
        {
            new SineReferenceModel(seed: 1).SaveWeights(path);
            var model = new SineForecaster(seed: 3);
            float[] before = model.Parameters.ToArray();
            var e = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));
            Assert.Contains("simple_rnn.weight_ih_l0", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, model.Parameters.ToArray());

            byte[] bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length - 7)]);
            var reference = new SineReferenceModel(seed: 4);
            before = reference.Parameters.ToArray();
            Assert.Throws<InvalidDataException>(() => reference.LoadWeights(path));
            Assert.Equal(before, reference.Parameters.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Strict_load_rejects_tensors_the_model_does_not_have()
    {
        var model = new LstmSeqModel();
        float[] before = model.Parameters.ToArray();
        var e = Assert.Throws<InvalidDataException>(() => model.LoadWeights(ReferenceCase.Load("lstm_seq").Path, allowUnexpectedTensors: false));
        Assert.Contains("'input'", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Non_finite_inputs_are_refused_when_asked_naming_sample_step_and_feature()
    {
        var model = new SmallRnnStack(seed: 1);
        var inputs = new float[3 * SmallRnnStack.InputLength];
        inputs[(2 * SmallRnnStack.InputLength) + (1 * SmallRnnStack.Features) + 1] = float.NaN;
        var outputs = new float[3 * SmallRnnStack.OutputLength];
        model.Predict(inputs, outputs, 3);   // off by default: the NaN reaches the outputs
        Assert.True(float.IsNaN(outputs[2 * SmallRnnStack.OutputLength]));

        model.CheckInputsFinite = true;
        var e = Assert.Throws<ArgumentException>(() => model.Predict(inputs, outputs, 3));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("inputs hold NaN at sample 2, step 1, feature 1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.Forward(inputs, 3));
        Assert.Contains("at sample 2, step 1, feature 1", e.Message, StringComparison.Ordinal);

        var streams = new float[3 * SmallRnnStack.Features];
        streams[(1 * SmallRnnStack.Features) + 0] = float.PositiveInfinity;
        e = Assert.Throws<ArgumentException>(() => model.Step(streams, new float[3 * SmallRnnStack.OutputUnits], new float[3 * SmallRnnStack.StreamStateLength], 3));
        Assert.Contains("inputs hold Infinity at stream 1, step 0, feature 0", e.Message, StringComparison.Ordinal);

        // Finite values whose sum overflows pass.
        Array.Fill(inputs, float.MaxValue);
        model.Predict(inputs, outputs, 3);
    }
}
