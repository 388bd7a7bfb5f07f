using FastSeq.Tests.Layers;

namespace FastSeq.Tests.EncoderDecoder;

/// <summary>A token encoder: ids padded with 0 at the end, its LSTM's final states the decoder's start.</summary>
[SequenceModel(Timesteps = 5, MaxBatchSize = 8)]
[Embedding(7, 3, MaskZero = true)]
[Lstm(4)]
public partial class TinyEncoder;

/// <summary>A token decoder whose LSTM takes the encoder's states.</summary>
[SequenceModel(Timesteps = 4, MaxBatchSize = 8)]
[Embedding(7, 3)]
[Lstm(4, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class TinyDecoder;

/// <summary>An encoder large enough to learn the copy task quickly.</summary>
[SequenceModel(Timesteps = 5, MaxBatchSize = 16)]
[Embedding(7, 8, MaskZero = true)]
[Gru(24)]
public partial class CopyEncoder;

/// <summary>Its decoder.</summary>
[SequenceModel(Timesteps = 4, MaxBatchSize = 16)]
[Embedding(7, 8)]
[Gru(24, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class CopyDecoder;

/// <summary>A float encoder of two stacked GRUs.</summary>
[SequenceModel(Timesteps = 6, Features = 2, MaxBatchSize = 8)]
[Gru(5, ReturnSequences = true)]
[Gru(3)]
public partial class FloatEncoder;

/// <summary>A float decoder: a forecast horizon of 3 steps from the encoder's states.</summary>
[SequenceModel(Timesteps = 3, Features = 1, MaxBatchSize = 8)]
[Gru(5, ReturnSequences = true)]
[Gru(3, ReturnSequences = true)]
[Dense(1)]
public partial class FloatDecoder;

/// <summary>An LSTM decoder whose state does not fit the GRU encoder's.</summary>
[SequenceModel(Timesteps = 3, Features = 1)]
[Lstm(5, ReturnSequences = true)]
[Dense(1)]
public partial class LstmDecoder;

/// <summary>
/// EncoderDecoder: teacher-forced training whose gradient reaches the encoder through its final states (central differences
/// over both models' parameters), greedy decoding that equals stepping by hand, allocation-free, and clear errors.
/// </summary>
public class EncoderDecoderTests
{
    private static (int[] Sources, int[] DecoderInputs, float[] Targets) TokenBatch(int batch, int seed)
    {
        var random = new Random(seed);
        var sources = new int[batch * TinyEncoder.Timesteps];
        var decoderInputs = new int[batch * TinyDecoder.Timesteps];
        var targets = new float[batch * TinyDecoder.Timesteps];
        for (int b = 0; b < batch; b++)
        {
            int length = 1 + random.Next(TinyEncoder.Timesteps);   // then 0s: padding
            for (int t = 0; t < length; t++)
                sources[(b * TinyEncoder.Timesteps) + t] = 1 + random.Next(6);
            for (int t = 0; t < TinyDecoder.Timesteps; t++)
            {
                decoderInputs[(b * TinyDecoder.Timesteps) + t] = random.Next(7);
                targets[(b * TinyDecoder.Timesteps) + t] = random.Next(7);
            }
        }
        return (sources, decoderInputs, targets);
    }

    private static void Spread(Span<float> parameters, Random random)
    {
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] += (random.NextSingle() - 0.5f) * 0.5f;
    }

    [Fact]
    public void Token_training_gradients_reach_the_encoder_through_its_states_and_match_central_differences()
    {
        var encoder = new TinyEncoder(seed: 1);
        var decoder = new TinyDecoder(seed: 2);
        var random = new Random(3);
        Spread(encoder.Parameters, random);
        Spread(decoder.Parameters, random);
        // A rate that moves nothing: the gradients stay in the models after the step.
        var translator = new EncoderDecoder<TinyEncoder, TinyDecoder>(encoder, decoder, new Sgd(1e-30f), Loss.SparseCategoricalCrossEntropy);
        (int[] sources, int[] decoderInputs, float[] targets) = TokenBatch(batch: 3, seed: 4);

        translator.TrainBatch(sources, decoderInputs, targets, 3);
        float[] encoderGradients = encoder.Gradients.ToArray(), decoderGradients = decoder.Gradients.ToArray();
        Assert.Contains(encoderGradients, g => g != 0f);

        double LossOf() => translator.Evaluate(sources, decoderInputs, targets, 3);
        float[] encoderParameters = encoder.Parameters.ToArray(), decoderParameters = decoder.Parameters.ToArray();
        FiniteDifferences.Check("encoder", encoderParameters, encoderGradients, () => { encoderParameters.CopyTo(encoder.Parameters); return LossOf(); });
        FiniteDifferences.Check("decoder", decoderParameters, decoderGradients, () => { decoderParameters.CopyTo(decoder.Parameters); return LossOf(); });
    }

    [Fact]
    public void Float_training_of_stacked_layers_matches_central_differences()
    {
        var encoder = new FloatEncoder(seed: 1);
        var decoder = new FloatDecoder(seed: 2);
        var random = new Random(5);
        Spread(encoder.Parameters, random);
        Spread(decoder.Parameters, random);
        var translator = new EncoderDecoder<FloatEncoder, FloatDecoder>(encoder, decoder, new Sgd(1e-30f), Loss.MeanSquaredError);
        float[] sources = [.. Enumerable.Range(0, 2 * FloatEncoder.InputLength).Select(_ => random.NextSingle() * 2 - 1)];
        float[] decoderInputs = [.. Enumerable.Range(0, 2 * FloatDecoder.InputLength).Select(_ => random.NextSingle() * 2 - 1)];
        float[] targets = [.. Enumerable.Range(0, 2 * FloatDecoder.OutputLength).Select(_ => random.NextSingle() * 2 - 1)];

        translator.TrainBatch(sources, decoderInputs, targets, 2);
        float[] encoderGradients = encoder.Gradients.ToArray(), decoderGradients = decoder.Gradients.ToArray();

        double LossOf() => translator.Evaluate(sources, decoderInputs, targets, 2);
        float[] encoderParameters = encoder.Parameters.ToArray(), decoderParameters = decoder.Parameters.ToArray();
        FiniteDifferences.Check("encoder", encoderParameters, encoderGradients, () => { encoderParameters.CopyTo(encoder.Parameters); return LossOf(); });
        FiniteDifferences.Check("decoder", decoderParameters, decoderGradients, () => { decoderParameters.CopyTo(decoder.Parameters); return LossOf(); });
    }

    [Fact]
    public void Decode_feeds_back_the_most_probable_token_from_the_encoders_final_states()
    {
        var translator = new EncoderDecoder<TinyEncoder, TinyDecoder>(new TinyEncoder(seed: 1), new TinyDecoder(seed: 2), new Adam(), Loss.SparseCategoricalCrossEntropy);
        Spread(translator.Encoder.Parameters, new Random(6));
        Spread(translator.Decoder.Parameters, new Random(7));
        (int[] sources, _, _) = TokenBatch(batch: 5, seed: 8);
        const int Steps = 9;   // more than the decoder's Timesteps: decoding streams
        var decoded = new int[5 * Steps];
        translator.Decode(sources, startToken: 1, decoded, 5);

        for (int b = 0; b < 5; b++)
        {
            // By hand: the encoder from zero states, then the decoder stepped with its own argmax.
            var states = new float[TinyEncoder.StreamStateLength];
            var encoderOutput = new float[TinyEncoder.OutputLength];
            translator.Encoder.Predict(sources.AsSpan(b * TinyEncoder.Timesteps, TinyEncoder.Timesteps), encoderOutput, states, 1);
            var probabilities = new float[TinyDecoder.OutputUnits];
            int token = 1;
            for (int n = 0; n < Steps; n++)
            {
                translator.Decoder.Step([token], probabilities, states, 1);
                token = Array.IndexOf(probabilities, probabilities.Max());
                Assert.Equal(token, decoded[(b * Steps) + n]);
            }
        }
        // Sources one at a time give the same ids.
        var one = new int[Steps];
        translator.Decode(sources.AsSpan(3 * TinyEncoder.Timesteps, TinyEncoder.Timesteps), 1, one, 1);
        Assert.Equal(decoded.AsSpan(3 * Steps, Steps).ToArray(), one);
    }

    [Fact]
    public void Decode_and_TrainBatch_allocate_nothing_after_warm_up()
    {
        var translator = new EncoderDecoder<TinyEncoder, TinyDecoder>(new TinyEncoder(seed: 1), new TinyDecoder(seed: 2), new Adam(), Loss.SparseCategoricalCrossEntropy);
        (int[] sources, int[] decoderInputs, float[] targets) = TokenBatch(batch: 4, seed: 9);
        var decoded = new int[4 * 6];
        Allocations.AssertNone(() => translator.Decode(sources, 1, decoded, 4));
        Allocations.AssertNone(() => translator.TrainBatch(sources, decoderInputs, targets, 4));
    }

    [Fact]
    public void A_copy_task_is_learned()
    {
        // The decoder writes the source's first four ids back: only the states carry them across.
        var translator = new EncoderDecoder<CopyEncoder, CopyDecoder>(new CopyEncoder(seed: 1), new CopyDecoder(seed: 2), new Adam(0.01f), Loss.SparseCategoricalCrossEntropy);
        var random = new Random(10);
        const int Batch = 16, T = CopyDecoder.Timesteps;
        var sources = new int[Batch * CopyEncoder.Timesteps];
        var decoderInputs = new int[Batch * T];
        var targets = new float[Batch * T];
        void Draw()
        {
            for (int b = 0; b < Batch; b++)
            {
                for (int t = 0; t < CopyEncoder.Timesteps; t++)
                    sources[(b * CopyEncoder.Timesteps) + t] = t < T ? 2 + random.Next(3) : 0;
                decoderInputs[b * T] = 1;
                for (int t = 0; t < T; t++)
                {
                    targets[(b * T) + t] = sources[(b * CopyEncoder.Timesteps) + t];
                    if (t > 0)
                        decoderInputs[(b * T) + t] = sources[(b * CopyEncoder.Timesteps) + t - 1];
                }
            }
        }
        for (int i = 0; i < 800; i++)
        {
            Draw();
            translator.TrainBatch(sources, decoderInputs, targets, Batch);
        }
        Draw();
        var decoded = new int[Batch * T];
        translator.Decode(sources, 1, decoded, Batch);
        int right = Enumerable.Range(0, Batch * T).Count(i => decoded[i] == (int)targets[i]);
        Assert.True(right >= Batch * T * 0.9, $"{right} of {Batch * T} ids copied right");
    }

    [Fact]
    public void Models_and_arguments_that_do_not_fit_are_refused_clearly()
    {
        Assert.Contains("same recurrent layers", Assert.Throws<ArgumentException>(() =>
            new EncoderDecoder<FloatEncoder, LstmDecoder>(new FloatEncoder(), new LstmDecoder(), new Adam(), Loss.MeanSquaredError)).Message);
        Assert.Contains("ReturnSequences", Assert.Throws<ArgumentException>(() =>
            new EncoderDecoder<FloatEncoder, FloatEncoder>(new FloatEncoder(), new FloatEncoder(), new Adam(), Loss.MeanSquaredError)).Message);
        Assert.Throws<ArgumentException>(() =>
            new EncoderDecoder<TinyEncoder, TinyDecoder>(new TinyEncoder(), new TinyDecoder(), new Adam(), Loss.BinaryCrossEntropy));

        var translator = new EncoderDecoder<TinyEncoder, TinyDecoder>(new TinyEncoder(), new TinyDecoder(), new Adam(), Loss.SparseCategoricalCrossEntropy);
        (int[] sources, int[] decoderInputs, float[] targets) = TokenBatch(batch: 2, seed: 11);
        Assert.Throws<ArgumentException>(() => translator.TrainBatch(sources, decoderInputs, targets.AsSpan(1), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => translator.Decode(sources, startToken: 7, new int[8], 2));
        Assert.Throws<ArgumentException>(() => translator.Decode(sources, startToken: 1, new int[7], 2));
        sources[3] = 9;   // not in the vocabulary
        Assert.Throws<ArgumentOutOfRangeException>(() => translator.Decode(sources, 1, new int[8], 2));

        var floats = new EncoderDecoder<FloatEncoder, FloatDecoder>(new FloatEncoder(), new FloatDecoder(), new Adam(), Loss.MeanSquaredError);
        Assert.Throws<InvalidOperationException>(() => floats.Decode(new int[12], 0, new int[2], 2));
    }
}
