using FastSeq.Layers;
using FastSeq.Tests.Models;

namespace FastSeq.Tests.Layers;

/// <summary>Initial and final states through the layer contract (<see cref="IRecurrentLayer"/>), on every recurrent kind and its bidirectional form.</summary>
public class RecurrentStateTests
{
    public static TheoryData<string> Layers => [.. StatefulLayer.Names];

    /// <summary>Every layer over a batch of different lengths, and over one sequence whose units the fused kernels serve.</summary>
    public static TheoryData<string, int, int> LayersBatchesUnits
    {
        get
        {
            var data = new TheoryData<string, int, int>();
            foreach (string name in StatefulLayer.Names)
            {
                data.Add(name, 3, 5);
                data.Add(name, 1, 16);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(LayersBatchesUnits))]
    public void Gradients_of_the_initial_states_and_weights_match_finite_differences(string name, int batch, int units)
    {
        var layer = StatefulLayer.Named(name);
        var random = new Random(31 + batch + units);
        var run = new StatefulRun(layer, new LayerShape(batch, 4, 3, units), random, withLengths: batch > 1);
        float[] dOutput = RandomTensors.Uniform(random, run.Output.Length, -1f, 1f);
        float[] dFinal = RandomTensors.Uniform(random, run.Initial.Length, -1f, 1f);
        run.Forward();
        float[] dInitial = new float[run.Initial.Length], dx = new float[run.X.Length], dParameters = new float[run.Parameters.Length];
        run.Backward(dOutput, dFinal, dParameters, dx, dInitial);

        // Σ w ⊙ output + Σ v ⊙ final state: the output past each sequence's end is zero, so its weights reach nothing.
        double Loss()
        {
            run.Forward();
            return FiniteDifferences.WeightedSum(dOutput, run.Output) + FiniteDifferences.WeightedSum(dFinal, run.Final());
        }
        FiniteDifferences.Check("dInitialState", run.Initial, dInitial, Loss);
        FiniteDifferences.Check("dParameters", run.Parameters, dParameters, Loss);
        FiniteDifferences.Check("dx", run.X, dx, Loss);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Zero_initial_states_give_the_bits_of_none(string name)
    {
        var layer = StatefulLayer.Named(name);
        var random = new Random(3);
        var given = new StatefulRun(layer, new LayerShape(2, 3, 2, 5), random, withLengths: true);
        var none = given.WithSameValues();
        Array.Clear(given.Initial);
        float[] dOutput = RandomTensors.Uniform(random, given.Output.Length, -1f, 1f);

        given.Forward();
        none.Forward(withInitial: false);
        Assert.Equal(none.Output, given.Output);
        Assert.Equal(none.Final(), given.Final());

        float[] dGiven = new float[given.Parameters.Length], dNone = new float[given.Parameters.Length], dInitial = new float[given.Initial.Length];
        given.Backward(dOutput, [], dGiven, [], dInitial);
        none.Backward(dOutput, [], dNone, [], []);
        Assert.Equal(dNone, dGiven);
    }

    [Theory]
    [InlineData("SimpleRnn.Tanh", 3)]
    [InlineData("Lstm", 3)]
    [InlineData("Gru", 3)]
    [InlineData("Lstm", 1)]
    [InlineData("Gru", 1)]
    public void A_sequence_run_in_two_halves_through_their_states_gives_the_bits_of_the_whole(string name, int batch)
    {
        const int T = 6, Half = 3, I = 2;
        var layer = StatefulLayer.Named(name);
        int H = batch == 1 ? 16 : 5;   // one sequence of 16 units runs the fused path
        var random = new Random(7);
        var whole = new StatefulRun(layer, new LayerShape(batch, T, I, H), random, withLengths: false);
        var first = new StatefulRun(layer, new LayerShape(batch, Half, I, H), random, withLengths: false);
        var second = new StatefulRun(layer, new LayerShape(batch, Half, I, H), random, withLengths: false);
        foreach (StatefulRun part in new[] { first, second })
            whole.Parameters.CopyTo(part.Parameters, 0);
        for (int b = 0; b < batch; b++)
        {
            whole.X.AsSpan(b * T * I, Half * I).CopyTo(first.X.AsSpan(b * Half * I));
            whole.X.AsSpan((b * T * I) + (Half * I), Half * I).CopyTo(second.X.AsSpan(b * Half * I));
        }
        whole.Initial.CopyTo(first.Initial, 0);

        whole.Forward();
        first.Forward();
        first.Final().CopyTo(second.Initial, 0);
        second.Forward();

        Assert.Equal(whole.Final(), second.Final());
        for (int b = 0; b < batch; b++)
            Assert.Equal(whole.Output.AsSpan(((b * T) + Half) * H, Half * H).ToArray(), second.Output.AsSpan(b * Half * H, Half * H).ToArray());
    }

    [Theory]
    [InlineData("SimpleRnn.Tanh")]
    [InlineData("Lstm")]
    [InlineData("Gru")]
    public void The_final_state_is_what_Step_leaves_after_each_sequence_s_last_real_step(string name)
    {
        var layer = StatefulLayer.Named(name);
        var run = new StatefulRun(layer, new LayerShape(3, 5, 2, 5), new Random(11), withLengths: true);
        run.Forward();
        float[] final = run.Final();
        int S = layer.StateLength(5);
        for (int b = 0; b < 3; b++)
        {
            float[] state = run.Initial.AsSpan(b * S, S).ToArray();
            float[] scratch = new float[layer.StepScratchLength(2, 5)], output = new float[5];
            for (int t = 0; t < run.Lengths[b]; t++)
                layer.Step(run.X.AsSpan(((b * 5) + t) * 2, 2), run.Parameters, state, scratch, output);
            Tolerance.Close(state, final.AsSpan(b * S, S), 1e-6, 1e-6, $"{name} sample {b}");
        }
    }

    [Fact]
    public void A_bidirectional_layer_s_states_are_the_forward_direction_s_then_the_backward_direction_s()
    {
        const int B = 2, T = 4, I = 2, H = 3;
        var s = new LayerShape(B, T, I, H);
        var random = new Random(5);
        int[] lengths = [4, 2];
        float[] x = RandomTensors.Uniform(random, B * T * I, -1f, 1f);
        float[] parameters = RandomTensors.Uniform(random, BidirectionalLayer<LstmLayer>.ParameterCount(I, H), -0.5f, 0.5f);
        float[] initial = RandomTensors.Uniform(random, B * 4 * H, -1f, 1f);
        float[] cache = new float[BidirectionalLayer<LstmLayer>.CacheLength(s)], output = new float[B * T * 2 * H], final = new float[initial.Length];
        BidirectionalLayer<LstmLayer>.Forward(x, parameters, s, Activation.Tanh, lengths, initial, cache, output);
        BidirectionalLayer<LstmLayer>.FinalState(cache, output, s, lengths, final);

        // Each direction alone: the forward one from the first half of the states, the backward one over each sequence reversed.
        int half = parameters.Length / 2;
        float[] reversed = new float[x.Length];
        for (int b = 0; b < B; b++)
        {
            for (int t = 0; t < lengths[b]; t++)
                x.AsSpan(((b * T) + t) * I, I).CopyTo(reversed.AsSpan(((b * T) + lengths[b] - 1 - t) * I));
        }
        float[] expected = new float[final.Length];
        RunOne(x, parameters[..half], initial[..(B * 2 * H)], expected.AsSpan(0, B * 2 * H));
        RunOne(reversed, parameters[half..], initial[(B * 2 * H)..], expected.AsSpan(B * 2 * H));
        Assert.Equal(expected, final);

        void RunOne(float[] input, float[] p, float[] start, Span<float> end)
        {
            float[] c = new float[LstmLayer.CacheLength(s)], h = new float[B * T * H];
            LstmLayer.Forward(input, p, s, Activation.Tanh, lengths, start, c, h);
            LstmLayer.FinalState(c, h, s, lengths, end);
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Wrong_state_spans_are_rejected_naming_them(string name)
    {
        var layer = StatefulLayer.Named(name);
        var run = new StatefulRun(layer, new LayerShape(2, 3, 2, 5), new Random(1), withLengths: true);
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(run.X, run.Parameters, run.Shape, run.Lengths, run.Initial.AsSpan(1), run.Cache, run.Output));
        Assert.Equal("initialState", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => layer.Forward(run.X, run.Parameters, run.Shape, run.Lengths, run.Cache.AsSpan(0, run.Initial.Length), run.Cache, run.Output));
        Assert.Contains("must not overlap", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(run.X, run.Parameters, run.Shape, [1, 4], run.Initial, run.Cache, run.Output));

        run.Forward();
        e = Assert.Throws<ArgumentException>(() => layer.FinalState(run.Cache, run.Output, run.Shape, run.Lengths, new float[run.Initial.Length + 1]));
        Assert.Equal("finalState", e.ParamName);
        float[] dOutput = new float[run.Output.Length], dParameters = new float[run.Parameters.Length];
        e = Assert.Throws<ArgumentException>(() => layer.Backward(run.X, run.Parameters, run.Cache, run.Output, run.Shape, run.Lengths, new float[3], dOutput, dParameters, [], [], run.Workspace));
        Assert.Equal("dFinalState", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => layer.Backward(run.X, run.Parameters, run.Cache, run.Output, run.Shape, run.Lengths, [], dOutput, dParameters, [], new float[3], run.Workspace));
        Assert.Equal("dInitialState", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Forward_FinalState_and_Backward_with_states_allocate_nothing(string name)
    {
        var layer = StatefulLayer.Named(name);
        var run = new StatefulRun(layer, new LayerShape(2, 3, 2, 8), new Random(2), withLengths: true);
        float[] dOutput = new float[run.Output.Length], dParameters = new float[run.Parameters.Length], dx = new float[run.X.Length];
        float[] final = new float[run.Initial.Length], dInitial = new float[run.Initial.Length];
        for (int round = 0; round < 2; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            layer.Forward(run.X, run.Parameters, run.Shape, run.Lengths, run.Initial, run.Cache, run.Output);
            layer.FinalState(run.Cache, run.Output, run.Shape, run.Lengths, final);
            layer.Backward(run.X, run.Parameters, run.Cache, run.Output, run.Shape, run.Lengths, final, dOutput, dParameters, dx, dInitial, run.Workspace);
            if (round == 1)
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}

/// <summary>A recurrent kind, or its bidirectional form, behind the stateful contract <see cref="IRecurrentLayer"/>.</summary>
internal abstract class StatefulLayer
{
    public static readonly string[] Names = ["SimpleRnn.Tanh", "Lstm", "Gru", "Bidirectional.SimpleRnn", "Bidirectional.Lstm", "Bidirectional.Gru"];

    public static StatefulLayer Named(string name) => name switch
    {
        "SimpleRnn.Tanh" => new Contract<SimpleRnnLayer>(1),
        "Lstm" => new Contract<LstmLayer>(1),
        "Gru" => new Contract<GruLayer>(1),
        "Bidirectional.SimpleRnn" => new Contract<BidirectionalLayer<SimpleRnnLayer>>(2),
        "Bidirectional.Lstm" => new Contract<BidirectionalLayer<LstmLayer>>(2),
        "Bidirectional.Gru" => new Contract<BidirectionalLayer<GruLayer>>(2),
        _ => throw new ArgumentException($"No recurrent layer named {name}.", nameof(name)),
    };

    /// <summary>Outputs per unit: 2 for a layer that reads both directions.</summary>
    public abstract int Directions { get; }

    public abstract int ParameterCount(int inputs, int units);
    public abstract int CacheLength(LayerShape s);
    public abstract int WorkspaceLength(LayerShape s);
    public abstract int StateLength(int units);
    public abstract int StepScratchLength(int inputs, int units);
    public abstract void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, ReadOnlySpan<int> lengths, ReadOnlySpan<float> initialState,
                                 Span<float> cache, Span<float> output);
    public abstract void FinalState(ReadOnlySpan<float> cache, ReadOnlySpan<float> output, LayerShape s, ReadOnlySpan<int> lengths, Span<float> finalState);
    public abstract void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> output, LayerShape s,
                                  ReadOnlySpan<int> lengths, ReadOnlySpan<float> dFinalState, Span<float> dOutput, Span<float> dParameters, Span<float> dx,
                                  Span<float> dInitialState, Span<float> workspace);
    public abstract void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, Span<float> state, Span<float> scratch, Span<float> output);

    private sealed class Contract<TLayer>(int directions) : StatefulLayer
        where TLayer : IRecurrentLayer
    {
        public override int Directions => directions;
        public override int ParameterCount(int inputs, int units) => TLayer.ParameterCount(inputs, units);
        public override int CacheLength(LayerShape s) => TLayer.CacheLength(s);
        public override int WorkspaceLength(LayerShape s) => TLayer.WorkspaceLength(s);
        public override int StateLength(int units) => TLayer.StateLength(units);
        public override int StepScratchLength(int inputs, int units) => TLayer.StepScratchLength(inputs, units);
        public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, ReadOnlySpan<int> lengths, ReadOnlySpan<float> initialState,
                                     Span<float> cache, Span<float> output) =>
            TLayer.Forward(x, parameters, s, Activation.Tanh, lengths, initialState, cache, output);
        public override void FinalState(ReadOnlySpan<float> cache, ReadOnlySpan<float> output, LayerShape s, ReadOnlySpan<int> lengths, Span<float> finalState) =>
            TLayer.FinalState(cache, output, s, lengths, finalState);
        public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> output, LayerShape s,
                                      ReadOnlySpan<int> lengths, ReadOnlySpan<float> dFinalState, Span<float> dOutput, Span<float> dParameters, Span<float> dx,
                                      Span<float> dInitialState, Span<float> workspace) =>
            TLayer.Backward(x, parameters, cache, output, s, Activation.Tanh, lengths, dFinalState, dOutput, dParameters, dx, dInitialState, workspace);
        public override void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, Span<float> state, Span<float> scratch, Span<float> output) =>
            TLayer.Step(x, parameters, 1, x.Length, output.Length, Activation.Tanh, state, scratch, output);
    }
}

/// <summary>The buffers of one stateful layer call, with random parameters, inputs, initial states and (optionally) lengths.</summary>
internal sealed class StatefulRun
{
    public StatefulRun(StatefulLayer layer, LayerShape shape, Random random, bool withLengths)
    {
        Layer = layer;
        Shape = shape;
        Parameters = RandomTensors.Uniform(random, layer.ParameterCount(shape.Inputs, shape.Units), -0.5f, 0.5f);
        X = RandomTensors.Uniform(random, shape.Batch * shape.Timesteps * shape.Inputs, -1f, 1f);
        Initial = RandomTensors.Uniform(random, shape.Batch * layer.StateLength(shape.Units), -1f, 1f);
        Lengths = withLengths ? [.. Enumerable.Range(0, shape.Batch).Select(b => shape.Timesteps - (b % shape.Timesteps))] : [];
        Cache = new float[layer.CacheLength(shape)];
        Output = new float[shape.Batch * shape.Timesteps * shape.Units * layer.Directions];
        Workspace = new float[layer.WorkspaceLength(shape)];
    }

    public StatefulLayer Layer { get; }
    public LayerShape Shape { get; }
    public float[] Parameters { get; }
    public float[] X { get; }
    public float[] Initial { get; }
    public int[] Lengths { get; private init; }
    public float[] Cache { get; }
    public float[] Output { get; }
    public float[] Workspace { get; }

    /// <summary>A run of the same layer, shape, values and lengths, in buffers of its own.</summary>
    public StatefulRun WithSameValues()
    {
        var copy = new StatefulRun(Layer, Shape, new Random(0), withLengths: false) { Lengths = Lengths };
        Parameters.CopyTo(copy.Parameters, 0);
        X.CopyTo(copy.X, 0);
        Initial.CopyTo(copy.Initial, 0);
        return copy;
    }

    public void Forward(bool withInitial = true) => Layer.Forward(X, Parameters, Shape, Lengths, withInitial ? Initial : [], Cache, Output);

    public float[] Final()
    {
        float[] final = new float[Initial.Length];
        Layer.FinalState(Cache, Output, Shape, Lengths, final);
        return final;
    }

    /// <summary>Backward from d loss / d output (copied: the layer overwrites it) and d loss / d final state.</summary>
    public void Backward(float[] dOutput, float[] dFinal, float[] dParameters, float[] dx, float[] dInitial) =>
        Layer.Backward(X, Parameters, Cache, Output, Shape, Lengths, dFinal, [.. dOutput], dParameters, dx, dInitial, Workspace);
}
