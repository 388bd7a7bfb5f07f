using FastSeq.Layers;

namespace FastSeq.Tests.Layers;

/// <summary>
/// The one-stream Step of LSTM and GRU that leaves the new h in the state (what a model's one-stream Step calls): the bits of
/// the batched Step, whether it writes h over the old one in the kernel (one block), through its scratch (several blocks),
/// or takes the unfused path (units that do not fill whole vectors).
/// </summary>
public class StreamStepTests
{
    /// <summary>One-stream step of a layer kind: x, parameters, inputs, units, state, scratch.</summary>
    private delegate void StreamStep(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int inputs, int units, Span<float> state, Span<float> scratch);

    private static StreamStep Named(string name) => name switch
    {
        "Lstm" => static (x, parameters, inputs, units, state, scratch) => LstmLayer.Step(x, parameters, inputs, units, Activation.Tanh, state, scratch),
        "Gru" => static (x, parameters, inputs, units, state, scratch) => GruLayer.Step(x, parameters, inputs, units, Activation.Tanh, state, scratch),
        _ => throw new ArgumentException($"No layer named {name} has a one-stream Step.", nameof(name)),
    };

    /// <summary>
    /// 5 and 12 units take the unfused path; 8 to 64 one block of the fused kernel on every vector width but the 256-bit
    /// one without 512-bit vectors (32 and 64 units: two blocks there); 128 and 208 several blocks everywhere.
    /// </summary>
    public static TheoryData<string, int, int> Shapes
    {
        get
        {
            var data = new TheoryData<string, int, int>();
            foreach (string name in new[] { "Lstm", "Gru" })
            {
                foreach (int units in new[] { 5, 8, 12, 16, 24, 32, 40, 64, 128, 208 })
                    data.Add(name, units % 3 == 0 ? 3 : 1, units);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Leaves_in_the_state_the_bits_of_the_batched_Step(string name, int I, int H)
    {
        const int B = 3, T = 6, Chosen = 1;
        var layer = RecurrentLayerUnderTest.Named(name);
        StreamStep step = Named(name);
        var random = new Random(H + I);
        float[] parameters = RandomTensors.Uniform(random, layer.ParameterCount(I, H), -0.5f, 0.5f);
        float[] xs = RandomTensors.Uniform(random, T * B * I, -1f, 1f);
        int stateLength = layer.StateLength(H);
        float[] states = new float[B * stateLength], alone = new float[stateLength], inState = new float[stateLength];
        float[] batchScratch = new float[B * layer.StepScratchLength(I, H)], scratch = new float[layer.StepScratchLength(I, H)];
        float[] outputs = new float[B * H], output = new float[H];
        for (int t = 0; t < T; t++)
        {
            ReadOnlySpan<float> x = xs.AsSpan(t * B * I, B * I);
            layer.Step(x, parameters, B, I, H, states, batchScratch, outputs);
            layer.Step(x.Slice(Chosen * I, I), parameters, 1, I, H, alone, scratch, output);
            step(x.Slice(Chosen * I, I), parameters, I, H, inState, scratch);

            Assert.Equal(states.AsSpan(Chosen * stateLength, stateLength).ToArray(), inState);
            Assert.Equal(alone, inState);
            Assert.Equal(output, inState.AsSpan(0, H).ToArray());
        }
    }

    [Theory]
    [InlineData("Lstm")]
    [InlineData("Gru")]
    public void Allocates_nothing(string name)
    {
        var layer = RecurrentLayerUnderTest.Named(name);
        StreamStep step = Named(name);
        float[] parameters = RandomTensors.Uniform(new Random(2), layer.ParameterCount(1, 40), -0.5f, 0.5f);
        float[] x = [0.5f], state = new float[layer.StateLength(40)], scratch = new float[layer.StepScratchLength(1, 40)];
        Allocations.AssertNone(() => step(x, parameters, 1, 40, state, scratch));
    }

    [Theory]
    [InlineData("Lstm")]
    [InlineData("Gru")]
    public void Wrong_lengths_and_overlaps_are_rejected(string name)
    {
        var layer = RecurrentLayerUnderTest.Named(name);
        StreamStep step = Named(name);
        const int I = 2, H = 8;
        float[] parameters = new float[layer.ParameterCount(I, H)], x = new float[I], state = new float[layer.StateLength(H)];
        float[] scratch = new float[layer.StepScratchLength(I, H)];

        var e = Assert.Throws<ArgumentException>(() => step(new float[I + 1], parameters, I, H, state, scratch));
        Assert.Equal("x", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => step(x, parameters.AsSpan(1), I, H, state, scratch));
        Assert.Equal("parameters", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => step(x, parameters, I, H, state.AsSpan(1), scratch));
        Assert.Equal("state", e.ParamName);
        Assert.Contains($"{state.Length}", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => step(x, parameters, I, H, state, scratch.AsSpan(1)));
        Assert.Equal("scratch", e.ParamName);

        float[] shared = new float[state.Length + scratch.Length];
        e = Assert.Throws<ArgumentException>(() => step(shared.AsSpan(0, I), parameters, I, H, shared.AsSpan(0, state.Length), scratch));
        Assert.Contains("x", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => step(x, parameters, I, H, shared.AsSpan(0, state.Length), shared.AsSpan(1, scratch.Length)));
        Assert.Contains("scratch", e.Message, StringComparison.Ordinal);
    }
}
