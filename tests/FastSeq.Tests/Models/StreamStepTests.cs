namespace FastSeq.Tests.Models;

// Recurrent layers of every one-stream path: LSTM(16) and GRU(40) in one block of the fused kernel, LSTM(128) in several,
// each reading the h that the layer below left in the state; then a Dense head.
[SequenceModel(Timesteps = 6, Features = 2, MaxBatchSize = 4)]
[Lstm(16, ReturnSequences = true)]
[Gru(40, ReturnSequences = true)]
[Lstm(128)]
[Dense(3)]
public partial class DeepStreamingStack;

// A recurrent layer last, its h copied from the state to the caller's output: GRU(12) is not fused, LSTM(24) is.
[SequenceModel(Timesteps = 5, Features = 3, MaxBatchSize = 2)]
[Gru(12, ReturnSequences = true)]
[Lstm(24)]
public partial class RecurrentLastStack;

// One layer, first and last: its h goes from the state to the output, which may be the input.
[SequenceModel(Timesteps = 4, Features = 8, MaxBatchSize = 2)]
[Gru(8)]
public partial class SingleGru;

/// <summary>
/// A model's one-stream Step (one stream, the caller's state) runs each layer's one-stream step, an LSTM's or GRU's h left in
/// the state for the next layer: the bits of the many-stream Step, for one stream and inside a batch.
/// </summary>
public class StreamStepTests
{
    public static TheoryData<string> Models => [nameof(DeepStreamingStack), nameof(RecurrentLastStack), nameof(SingleGru), nameof(MixedSequenceStack), nameof(SineForecaster)];

    private static ISequenceModel Create(string name) => name switch
    {
        nameof(DeepStreamingStack) => new DeepStreamingStack(seed: 1),
        nameof(RecurrentLastStack) => new RecurrentLastStack(seed: 2),
        nameof(SingleGru) => new SingleGru(seed: 3),
        nameof(MixedSequenceStack) => new MixedSequenceStack(seed: 4),
        _ => new SineForecaster(seed: 5),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void One_stream_gives_the_bits_of_the_many_stream_Step(string name)
    {
        const int Streams = 3, Chosen = 2;
        ISequenceModel model = Create(name);
        int F = model.Features, U = model.OutputUnits, S = model.StreamStateLength;
        var random = new Random(7);
        float[] inputs = new float[Streams * F], outputs = new float[Streams * U], states = new float[Streams * S];
        float[] alone = new float[S], aloneOutput = new float[U], state = new float[S], output = new float[U];
        for (int t = 0; t < 2 * model.Timesteps; t++)
        {
            for (int i = 0; i < inputs.Length; i++)
                inputs[i] = (random.NextSingle() * 2f) - 1f;
            ReadOnlySpan<float> input = inputs.AsSpan(Chosen * F, F);
            model.Step(inputs, outputs, states, Streams);
            model.Step(input, aloneOutput, alone, 1);
            model.Step(input, output, state);

            Assert.Equal(aloneOutput, output);
            Assert.Equal(alone, state);
            Assert.Equal(outputs.AsSpan(Chosen * U, U).ToArray(), output);
            // The streams' states are layer after layer, each layer's for all streams together.
            int offset = 0;
            foreach (int length in LayerStates(name))
            {
                Assert.Equal(states.AsSpan((offset * Streams) + (Chosen * length), length).ToArray(), state.AsSpan(offset, length).ToArray());
                offset += length;
            }
            Assert.Equal(S, offset);
        }
    }

    private static int[] LayerStates(string name) => name switch
    {
        nameof(DeepStreamingStack) => [2 * 16, 40, 2 * 128, 0],
        nameof(RecurrentLastStack) => [12, 2 * 24],
        nameof(SingleGru) => [8],
        nameof(MixedSequenceStack) => [2 * 4, 3, 5, 0],
        _ => [32, 32, 0],
    };

    [Fact]
    public void One_stream_may_write_its_output_over_its_input()
    {
        var model = new SingleGru(seed: 3);
        var random = new Random(4);
        float[] fedBack = new float[SingleGru.Features], separate = new float[SingleGru.Features], output = new float[SingleGru.OutputUnits];
        for (int i = 0; i < fedBack.Length; i++)
            fedBack[i] = separate[i] = random.NextSingle();
        float[] sharedState = new float[SingleGru.StreamStateLength], separateState = new float[SingleGru.StreamStateLength];
        for (int t = 0; t < 5; t++)
        {
            model.Step(separate, output, separateState);
            output.CopyTo(separate, 0);
            model.Step(fedBack, fedBack, sharedState);
            Assert.Equal(separate, fedBack);
            Assert.Equal(separateState, sharedState);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void One_stream_allocates_nothing(string name)
    {
        ISequenceModel model = Create(name);
        float[] input = new float[model.Features], output = new float[model.OutputUnits], state = new float[model.StreamStateLength];
        Allocations.AssertNone(() => model.Step(input, output, state));
    }

    [Fact]
    public void One_stream_rejects_what_the_many_stream_Step_rejects()
    {
        var model = new DeepStreamingStack(seed: 1);
        float[] state = new float[DeepStreamingStack.StreamStateLength], output = new float[DeepStreamingStack.OutputUnits];
        var e = Assert.Throws<ArgumentException>(() => model.Step(new float[3], output, state));
        Assert.Equal("inputs", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => model.Step(new float[2], new float[2], state));
        Assert.Equal("outputs", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => model.Step(new float[2], output, state.AsSpan(1)));
        Assert.Equal("states", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => model.Step(state.AsSpan(0, 2), output, state));
        Assert.Contains("inputs", e.Message, StringComparison.Ordinal);

        model.CheckInputsFinite = true;
        e = Assert.Throws<ArgumentException>(() => model.Step([1f, float.NaN], output, state));
        Assert.Contains("NaN", e.Message, StringComparison.Ordinal);
    }
}
