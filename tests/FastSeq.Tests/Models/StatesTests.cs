using FastSeq.Tests.Layers;

namespace FastSeq.Tests.Models;

/// <summary>
/// Initial and final recurrent states through a generated model: Forward from initial states, FinalStates, Backward's
/// InitialStateGradients from the final states' gradients, and Predict with caller-owned states, in Step's layout.
/// </summary>
public class StatesTests
{
    /// <summary>A model, and each recurrent layer's state length per sequence in order (the states' layout is layer after layer).</summary>
    private static (ISequenceModel Model, int[] LayerStates) Create(string name) => name switch
    {
        nameof(LstmStackClassifierModel) => (new LstmStackClassifierModel(seed: 3), [16, 16]),
        nameof(SmallGruStack) => (new SmallGruStack(seed: 4), [7, 3]),
        nameof(MixedSequenceStack) => (new MixedSequenceStack(seed: 5), [8, 3, 5]),
        nameof(RnnSeqModel) => (new RnnSeqModel(seed: 6), [5]),
        nameof(StackedBidirectional) => (new StackedBidirectional(seed: 7), [12, 12]),
        _ => (new StateDecoder(seed: 8), [12, 4]),
    };

    public static TheoryData<string> Models =>
        [nameof(LstmStackClassifierModel), nameof(SmallGruStack), nameof(MixedSequenceStack), nameof(RnnSeqModel), nameof(StackedBidirectional)];

    public static TheoryData<string> SteppingModels => [nameof(LstmStackClassifierModel), nameof(SmallGruStack), nameof(MixedSequenceStack), nameof(RnnSeqModel)];

    [Theory]
    [MemberData(nameof(SteppingModels))]
    public void FinalStates_are_what_Step_leaves_after_each_sequence_s_last_real_step(string name)
    {
        (ISequenceModel model, int[] layerStates) = Create(name);
        int B = model.MaxBatchSize, S = model.StreamStateLength;
        var random = new Random(1);
        float[] inputs = RandomTensors.Uniform(random, B * model.InputLength, -1f, 1f);
        float[] initial = RandomTensors.Uniform(random, B * S, -1f, 1f);
        int[] lengths = Lengths(B, model.Timesteps);
        model.Forward(inputs, lengths, initial, B);
        float[] final = model.FinalStates.ToArray();
        Assert.Equal(B * S, final.Length);

        var output = new float[model.OutputUnits];
        for (int b = 0; b < B; b++)
        {
            float[] state = Select(initial, B, b, 1, layerStates);
            for (int t = 0; t < lengths[b]; t++)
                model.Step(inputs.AsSpan((b * model.InputLength) + (t * model.Features), model.Features), output, state);
            Tolerance.Close(state, Select(final, B, b, 1, layerStates), 1e-5, 1e-5, $"{name} sample {b}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Predict_with_states_gives_Forward_s_outputs_and_final_states_in_any_batch(string name)
    {
        (ISequenceModel model, int[] layerStates) = Create(name);
        int B = model.MaxBatchSize + 2, S = model.StreamStateLength;   // two chunks
        var random = new Random(2);
        float[] inputs = RandomTensors.Uniform(random, B * model.InputLength, -1f, 1f);
        float[] initial = RandomTensors.Uniform(random, B * S, -1f, 1f);
        int[] lengths = Lengths(B, model.Timesteps);
        float[] states = [.. initial], outputs = new float[B * model.OutputLength];
        model.Predict(inputs, lengths, outputs, states, B);

        // Forward on each chunk, its states selected from the whole batch's layout.
        for (int first = 0; first < B; first += model.MaxBatchSize)
        {
            int count = Math.Min(model.MaxBatchSize, B - first);
            model.Forward(inputs.AsSpan(first * model.InputLength, count * model.InputLength), lengths.AsSpan(first, count), Select(initial, B, first, count, layerStates), count);
            Assert.Equal(model.Outputs.ToArray(), outputs.AsSpan(first * model.OutputLength, count * model.OutputLength).ToArray());
            Assert.Equal(model.FinalStates.ToArray(), Select(states, B, first, count, layerStates));
        }

        // Without lengths, and without states: from zeros, as Predict always ran.
        float[] zeros = new float[B * S], fromZeros = new float[outputs.Length], plain = new float[outputs.Length];
        model.Predict(inputs, fromZeros, zeros, B);
        model.Predict(inputs, plain, B);
        Assert.Equal(plain, fromZeros);
    }

    [Theory]
    [MemberData(nameof(SteppingModels))]
    public void A_sequence_predicted_in_two_parts_through_its_states_gives_the_bits_of_the_whole(string name)
    {
        (ISequenceModel model, _) = Create(name);
        int T = model.Timesteps, F = model.Features, split = T / 2;
        var random = new Random(3);
        float[] whole = RandomTensors.Uniform(random, model.InputLength, -1f, 1f);
        float[] expected = new float[model.OutputLength], states = new float[model.StreamStateLength];
        model.Predict(whole, [T], expected, states, 1);
        float[] expectedStates = [.. states];

        // The first part padded to T, then the rest from the states it left.
        float[] first = new float[model.InputLength], second = new float[model.InputLength];
        whole.AsSpan(0, split * F).CopyTo(first);
        whole.AsSpan(split * F).CopyTo(second);
        float[] firstOutputs = new float[model.OutputLength], secondOutputs = new float[model.OutputLength];
        Array.Clear(states);
        model.Predict(first, [split], firstOutputs, states, 1);
        model.Predict(second, [T - split], secondOutputs, states, 1);

        Assert.Equal(expectedStates, states);
        int U = model.OutputUnits;
        if (model.OutputLength == U)
            Assert.Equal(expected, secondOutputs);
        else
        {
            Assert.Equal(expected.AsSpan(0, split * U).ToArray(), firstOutputs.AsSpan(0, split * U).ToArray());
            Assert.Equal(expected.AsSpan(split * U).ToArray(), secondOutputs.AsSpan(0, (T - split) * U).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Gradients_of_initial_states_and_weights_match_finite_differences(string name)
    {
        (ISequenceModel model, _) = Create(name);
        int B = 3, S = model.StreamStateLength;
        var random = new Random(4);
        float[] inputs = RandomTensors.Uniform(random, B * model.InputLength, -1f, 1f);
        float[] initial = RandomTensors.Uniform(random, B * S, -1f, 1f);
        int[] lengths = Lengths(B, model.Timesteps);
        float[] w = RandomTensors.Uniform(random, B * model.OutputLength, -1f, 1f);
        float[] v = RandomTensors.Uniform(random, B * S, -1f, 1f);
        if (model.OutputLength != model.OutputUnits)
            Mask(w, lengths, model.Timesteps, model.OutputUnits);   // a loss of real steps only, as Fit's

        model.Forward(inputs, lengths, initial, B);
        model.Gradients.Clear();
        model.Backward(w, v, B);
        float[] dInitial = model.InitialStateGradients.ToArray(), dParameters = model.Gradients.ToArray(), dInputs = model.InputGradients.ToArray();
        float[] parameters = model.Parameters.ToArray();

        double Loss()
        {
            parameters.CopyTo(model.Parameters);
            model.Forward(inputs, lengths, initial, B);
            return FiniteDifferences.WeightedSum(w, model.Outputs) + FiniteDifferences.WeightedSum(v, model.FinalStates);
        }
        FiniteDifferences.Check("dInitialStates", initial, dInitial, Loss);
        FiniteDifferences.Check("dParameters", parameters, dParameters, Loss);
        FiniteDifferences.Check("dInputs", inputs, dInputs, Loss);
    }

    [Fact]
    public void An_encoder_s_final_states_start_a_decoder_and_its_gradient_flows_back_into_the_encoder()
    {
        const int B = 3;
        var encoder = new StateEncoder(seed: 1);
        var decoder = new StateDecoder(seed: 2);
        Assert.Equal(StateEncoder.StreamStateLength, StateDecoder.StreamStateLength);
        var random = new Random(5);
        float[] source = RandomTensors.Uniform(random, B * StateEncoder.InputLength, -1f, 1f);
        float[] target = RandomTensors.Uniform(random, B * StateDecoder.InputLength, -1f, 1f);
        int[] sourceLengths = [5, 3, 1];
        float[] w = RandomTensors.Uniform(random, B * StateDecoder.OutputLength, -1f, 1f);

        encoder.Forward(source, sourceLengths, default, B);
        decoder.Forward(target, default, encoder.FinalStates, B);
        encoder.Gradients.Clear();
        decoder.Gradients.Clear();
        decoder.Backward(w, B);
        encoder.Backward(new float[B * StateEncoder.OutputLength], decoder.InitialStateGradients, B);
        float[] dEncoder = encoder.Gradients.ToArray(), dDecoder = decoder.Gradients.ToArray(), dSource = encoder.InputGradients.ToArray();
        float[] encoderParameters = encoder.Parameters.ToArray(), decoderParameters = decoder.Parameters.ToArray();
        Assert.Empty(encoder.InitialStateGradients.ToArray());   // its Forward had no initial states

        double Loss()
        {
            encoderParameters.CopyTo(encoder.Parameters);
            decoderParameters.CopyTo(decoder.Parameters);
            encoder.Forward(source, sourceLengths, default, B);
            decoder.Forward(target, default, encoder.FinalStates, B);
            return FiniteDifferences.WeightedSum(w, decoder.Outputs);
        }
        FiniteDifferences.Check("dEncoder", encoderParameters, dEncoder, Loss);
        FiniteDifferences.Check("dDecoder", decoderParameters, dDecoder, Loss);
        FiniteDifferences.Check("dSource", source, dSource, Loss);
    }

    [Fact]
    public void A_token_model_predicts_and_trains_from_states()
    {
        var model = new TokenClassifier(seed: 1);
        const int B = 2;
        int[] tokens = [1, 2, 3, 4, 5, 6, 7, 11, 10, 9, 8, 7, 6, 5];
        float[] initial = RandomTensors.Uniform(new Random(6), B * TokenClassifier.StreamStateLength, -1f, 1f);
        float[] states = [.. initial], outputs = new float[B * TokenClassifier.OutputLength];
        model.Predict(tokens, outputs, states, B);
        model.Forward(tokens, initial, B);
        Assert.Equal(model.Outputs.ToArray(), outputs);
        Assert.Equal(model.FinalStates.ToArray(), states);
        model.Backward(new float[outputs.Length], states, B);
        Assert.Equal(initial.Length, model.InitialStateGradients.Length);
    }

    [Fact]
    public void Wrong_or_non_finite_states_are_rejected_naming_them()
    {
        var model = new LstmStackClassifierModel();
        int S = LstmStackClassifierModel.StreamStateLength;
        float[] inputs = new float[2 * LstmStackClassifierModel.InputLength], outputs = new float[2 * LstmStackClassifierModel.OutputLength];
        var e = Assert.Throws<ArgumentException>(() => model.Predict(inputs, outputs, new float[S], 2));
        Assert.Equal("states", e.ParamName);
        Assert.Contains($"states must hold {2 * S} floats", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.Forward(inputs, default, new float[(2 * S) + 1], 2));
        Assert.Equal("initialStates", e.ParamName);
        model.Forward(inputs, default, new float[2 * S], 2);
        e = Assert.Throws<ArgumentException>(() => model.Backward(outputs, new float[S], 2));
        Assert.Equal("finalStateGradients", e.ParamName);

        float[] shared = new float[(2 * S) + outputs.Length];
        e = Assert.Throws<ArgumentException>(() => model.Predict(inputs, shared.AsSpan(0, outputs.Length), shared.AsSpan(1, 2 * S), 2));
        Assert.Contains("Predict reads and writes both", e.Message, StringComparison.Ordinal);

        float[] bad = new float[2 * S];
        bad[S + 3] = float.NaN;
        model.Predict(inputs, outputs, [.. bad], 2);   // unchecked unless asked
        model.CheckInputsFinite = true;
        e = Assert.Throws<ArgumentException>(() => model.Predict(inputs, outputs, bad, 2));
        Assert.Contains($"states hold NaN at index {S + 3}", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.Forward(inputs, default, bad, 2));
        Assert.Equal("initialStates", e.ParamName);
    }

    [Fact]
    public void Predict_and_training_with_states_allocate_nothing()
    {
        var model = new LstmStackClassifierModel();
        const int B = 7;   // two chunks of MaxBatchSize 4
        int S = LstmStackClassifierModel.StreamStateLength;
        float[] inputs = new float[B * LstmStackClassifierModel.InputLength], outputs = new float[B * LstmStackClassifierModel.OutputLength];
        float[] states = new float[B * S];
        int[] lengths = Lengths(B, LstmStackClassifierModel.Timesteps);
        Allocations.AssertNone(() => model.Predict(inputs, lengths, outputs, states, B));
        Allocations.AssertNone(() =>
        {
            model.Forward(inputs.AsSpan(0, 4 * LstmStackClassifierModel.InputLength), lengths.AsSpan(0, 4), states.AsSpan(0, 4 * S), 4);
            model.Backward(outputs.AsSpan(0, 4 * LstmStackClassifierModel.OutputLength), states.AsSpan(0, 4 * S), 4);
        });
    }

    /// <summary>PyTorch parity: an LSTM started from given h0 and c0, with lengths, its h_n and c_n in the loss (the lstm_states case).</summary>
    [Fact]
    public void An_lstm_from_given_states_matches_pytorch()
    {
        ReferenceCase reference = ReferenceCase.Load("lstm_states");
        int B = reference.Batch, H = 5, U = StatesReferenceTagger.OutputUnits;
        float[] input = reference["input"], target = reference["target"];
        int[] lengths = [.. reference["lengths"].Select(length => (int)length)];
        var model = new StatesReferenceTagger();
        model.LoadWeights(reference.Path, allowUnexpectedTensors: true);

        // PyTorch's h and c, [1, B, H] each, are one LSTM state [B, 2H] here: each sequence's h, then its c.
        float[] initial = HThenC(reference["h0"], reference["c0"], B, H);
        float[] states = [.. initial], output = new float[B * StatesReferenceTagger.OutputLength];
        model.Predict(input, lengths, output, states, B);
        Tolerance.Close(reference["output"], output, 1e-5, 0, "output");
        Tolerance.Close(HThenC(reference["h_n"], reference["c_n"], B, H), states, 1e-5, 0, "h_n, c_n");

        // The masked MSE's gradient at the real steps, and the state weights' as the final states' gradients.
        model.Forward(input, lengths, initial, B);
        float[] dOutput = new float[output.Length];
        int realSteps = lengths.Sum();
        for (int i = 0; i < dOutput.Length; i++)
            dOutput[i] = 2f * (model.Outputs[i] - target[i]) / (realSteps * U);
        Mask(dOutput, lengths, StatesReferenceTagger.Timesteps, U);
        model.Gradients.Clear();
        model.Backward(dOutput, HThenC(reference["h_n_weight"], reference["c_n_weight"], B, H), B);
        float[] dInitial = HThenC(reference["grad.h0"], reference["grad.c0"], B, H);
        Tolerance.Close(dInitial, model.InitialStateGradients, 1e-4 * dInitial.Max(Math.Abs), 1e-4, "grad.h0, grad.c0");
        float[] dInput = reference["grad.input"];
        Tolerance.Close(dInput, model.InputGradients, 1e-4 * dInput.Max(Math.Abs), 1e-4, "grad.input");
        for (int i = 0; i < model.Parameters.Length; i++)
            model.Parameters[i] -= reference.LearningRate * model.Gradients[i];
        ParityTests.CheckGradientsAndStep(model, reference, reference.LearningRate);
    }

    private static float[] HThenC(float[] h, float[] c, int batch, int units)
    {
        var state = new float[2 * batch * units];
        for (int b = 0; b < batch; b++)
        {
            h.AsSpan(b * units, units).CopyTo(state.AsSpan(2 * b * units));
            c.AsSpan(b * units, units).CopyTo(state.AsSpan(((2 * b) + 1) * units));
        }
        return state;
    }

    /// <summary>Lengths T, T - 1, ... (at least 1), one per sample.</summary>
    private static int[] Lengths(int batch, int timesteps) => [.. Enumerable.Range(0, batch).Select(b => Math.Max(1, timesteps - (b % timesteps)))];

    /// <summary>Zeroes the weights of the steps past each sequence's end.</summary>
    private static void Mask(float[] weights, int[] lengths, int timesteps, int units)
    {
        for (int b = 0; b < lengths.Length; b++)
            weights.AsSpan(((b * timesteps) + lengths[b]) * units, (timesteps - lengths[b]) * units).Clear();
    }

    /// <summary>The states of sequences <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> of <paramref name="batch"/>, in the same layout.</summary>
    private static float[] Select(float[] states, int batch, int first, int count, int[] layerStates)
    {
        var selected = new List<float>();
        int offset = 0;
        foreach (int S in layerStates)
        {
            selected.AddRange(states.AsSpan(offset + (first * S), count * S).ToArray());
            offset += batch * S;
        }
        return [.. selected];
    }
}

[SequenceModel(Timesteps = 5, Features = 2, MaxBatchSize = 4)]
[Lstm(6, ReturnSequences = true)]
[Gru(4)]
public partial class StateEncoder;

[SequenceModel(Timesteps = 3, Features = 1, MaxBatchSize = 4)]
[Lstm(6, ReturnSequences = true)]
[Gru(4, ReturnSequences = true)]
[Dense(2)]
public partial class StateDecoder;

[SequenceModel(Timesteps = 4, Features = 3, MaxBatchSize = 4)]
[Lstm(5, ReturnSequences = true)]
[Dense(2)]
public partial class StatesReferenceTagger;
