using FastSeq.Layers;
using FastSeq.Tests.Layers;

namespace FastSeq.Tests.Diagnostics;

/// <summary>
/// The layer contract that the gradient-flow report reads: after Backward, a recurrent layer's dOutput holds the total
/// d loss / d h_t, from above and through every later step.
/// </summary>
public class HiddenStateGradientTests
{
    // Relu is left out: its kinks make central differences of a state unreliable, and its Backward is SimpleRnn's.
    public static TheoryData<string> Layers => [.. RecurrentLayerUnderTest.Names.Where(name => name != "SimpleRnn.Relu")];

    /// <summary>
    /// For L = Σ_s w_s · h_s, d L / d h_t by central differences: the state after step t (from Step, which gives Forward's bits)
    /// is perturbed, and the steps after t run again from it. An LSTM's cell is held, as Backward's d / d h_t holds it.
    /// </summary>
    [Theory]
    [MemberData(nameof(Layers))]
    public void Backward_leaves_the_total_gradient_of_each_hidden_state(string name)
    {
        const int Batch = 2, Timesteps = 5, Inputs = 3, Units = 4;
        var random = new Random(23);
        RecurrentLayerUnderTest layer = RecurrentLayerUnderTest.Named(name);
        var run = new RecurrentRun(layer, new LayerShape(Batch, Timesteps, Inputs, Units), random);
        float[] weights = RandomTensors.Uniform(random, run.Hidden.Length, -1f, 1f);
        run.Forward();
        run.Backward(weights);

        int stateLength = layer.StateLength(Units);
        var scratch = new float[layer.StepScratchLength(Inputs, Units)];
        var output = new float[Units];
        for (int b = 0; b < Batch; b++)
        {
            for (int t = 0; t < Timesteps; t++)
            {
                // The state after step t, from zero.
                var stateAfterT = new float[stateLength];
                for (int s = 0; s <= t; s++)
                    layer.Step(Input(run, b, s), run.Parameters, 1, Inputs, Units, stateAfterT, scratch, output);
                float[] h = stateAfterT[..Units];
                var state = new float[stateLength];
                double Loss()
                {
                    stateAfterT.CopyTo(state, 0);
                    h.CopyTo(state, 0);
                    double loss = FiniteDifferences.WeightedSum(Weights(weights, b, t, Timesteps, Units), h);
                    for (int s = t + 1; s < Timesteps; s++)
                    {
                        layer.Step(Input(run, b, s), run.Parameters, 1, Inputs, Units, state, scratch, output);
                        loss += FiniteDifferences.WeightedSum(Weights(weights, b, s, Timesteps, Units), output);
                    }
                    return loss;
                }
                FiniteDifferences.Check($"{name} dh[{b}, {t}]", h, run.DHidden.AsSpan(((b * Timesteps) + t) * Units, Units), Loss);
            }
        }
    }

    /// <summary>
    /// With recurrent dropout the totals are still there: a mask of ones leaves what no mask leaves in dOutput (but for rounding:
    /// the recurrent part is summed apart, then added), and a mask that
    /// drops some units leaves each step's gradient from above plus the masked recurrent part, not the recurrent product alone.
    /// </summary>
    [Theory]
    [InlineData("Lstm")]
    [InlineData("Gru")]
    [InlineData("SimpleRnn")]
    public void Recurrent_dropout_leaves_the_totals_in_dOutput(string kind)
    {
        var s = new LayerShape(2, 5, 3, 4);
        var random = new Random(31);
        int count = kind switch { "Lstm" => LstmLayer.ParameterCount(3, 4), "Gru" => GruLayer.ParameterCount(3, 4), _ => SimpleRnnLayer.ParameterCount(3, 4) };
        float[] parameters = RandomTensors.Uniform(random, count, -0.5f, 0.5f);
        float[] x = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Inputs, -1f, 1f);
        float[] fromAbove = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Units, -1f, 1f);
        float[] ones = [.. Enumerable.Repeat(1f, s.Batch * s.Units)];
        float[] Totals(float[]? mask)
        {
            var hidden = new float[fromAbove.Length];
            float[] dHidden = (float[])fromAbove.Clone();
            var dParameters = new float[parameters.Length];
            switch (kind)
            {
                case "Lstm":
                {
                    var cache = new float[LstmLayer.CacheLength(s)];
                    LstmLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, default, default, mask, cache, hidden);
                    LstmLayer.BackwardWithDropout(x, parameters, cache, hidden, s, Activation.Tanh, default, default, mask, dHidden, dParameters, default, default, new float[LstmLayer.WorkspaceLength(s)]);
                    break;
                }
                case "Gru":
                {
                    var cache = new float[GruLayer.CacheLength(s)];
                    GruLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, default, default, mask, cache, hidden);
                    GruLayer.BackwardWithDropout(x, parameters, cache, hidden, s, Activation.Tanh, default, default, mask, dHidden, dParameters, default, default, new float[GruLayer.WorkspaceLength(s)]);
                    break;
                }
                default:
                {
                    var cache = new float[SimpleRnnLayer.CacheLength(s)];
                    SimpleRnnLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, default, default, mask, cache, hidden);
                    SimpleRnnLayer.BackwardWithDropout(x, parameters, cache, hidden, s, Activation.Tanh, default, default, mask, dHidden, dParameters, default, default, new float[SimpleRnnLayer.WorkspaceLength(s)]);
                    break;
                }
            }
            return dHidden;
        }

        float[] plain = Totals(null), withOnes = Totals(ones);
        for (int i = 0; i < plain.Length; i++)
            Assert.Equal(plain[i], withOnes[i], 1e-5f);
        // The last step gets nothing through the recurrence: its total is what came from above, mask or not.
        float[] masked = Totals([.. Enumerable.Range(0, s.Batch * s.Units).Select(i => i % 2 == 0 ? 2f : 0f)]);
        for (int b = 0; b < s.Batch; b++)
        {
            int last = ((b * s.Timesteps) + s.Timesteps - 1) * s.Units;
            Assert.Equal(fromAbove[last..(last + s.Units)], masked[last..(last + s.Units)]);
        }
    }

    /// <summary>
    /// A layer that reads both directions leaves each direction's total in its half of dOutput, the backward one in the
    /// input's time: what each direction's own Backward leaves, run on its own.
    /// </summary>
    [Fact]
    public void A_bidirectional_layer_leaves_both_directions_totals_in_the_inputs_time()
    {
        const int B = 2, T = 4, I = 3, H = 5;
        var random = new Random(29);
        var s = new LayerShape(B, T, I, H);
        float[] parameters = RandomTensors.Uniform(random, BidirectionalLayer<GruLayer>.ParameterCount(I, H), -0.5f, 0.5f);
        float[] x = RandomTensors.Uniform(random, B * T * I, -1f, 1f);
        float[] dOutput = RandomTensors.Uniform(random, B * T * 2 * H, -1f, 1f);
        float[] fromAbove = (float[])dOutput.Clone();
        var cache = new float[BidirectionalLayer<GruLayer>.CacheLength(s)];
        var output = new float[B * T * 2 * H];
        BidirectionalLayer<GruLayer>.Forward(x, parameters, s, Activation.Tanh, cache, output);
        BidirectionalLayer<GruLayer>.Backward(x, parameters, cache, output, s, Activation.Tanh, dOutput,
                                              new float[parameters.Length], new float[x.Length], new float[BidirectionalLayer<GruLayer>.WorkspaceLength(s)]);

        // Each direction alone: the backward one reads x reversed in time, with the second half of the parameters.
        int half = parameters.Length / 2;
        float[] forward = Totals(x, parameters[..half], s, fromAbove, 0);
        float[] backward = Totals(Reversed(x, B, T, I), parameters[half..], s, Reversed(fromAbove, B, T, 2 * H), H);
        float[] expected = new float[dOutput.Length];
        for (int b = 0; b < B; b++)
        {
            for (int t = 0; t < T; t++)
            {
                forward.AsSpan(((b * T) + t) * H, H).CopyTo(expected.AsSpan(((b * T) + t) * 2 * H, H));
                backward.AsSpan(((b * T) + T - 1 - t) * H, H).CopyTo(expected.AsSpan((((b * T) + t) * 2 * H) + H, H));
            }
        }
        Assert.Equal(expected, dOutput);
    }

    /// <summary>What a GRU's Backward leaves in dHidden, given the <paramref name="offset"/> half of each row of <paramref name="fromAbove"/> <c>[B, T, 2H]</c>.</summary>
    private static float[] Totals(float[] x, float[] parameters, LayerShape s, float[] fromAbove, int offset)
    {
        int B = s.Batch, T = s.Timesteps, H = s.Units;
        var cache = new float[GruLayer.CacheLength(s)];
        var hidden = new float[B * T * H];
        GruLayer.Forward(x, parameters, s, Activation.Tanh, cache, hidden);
        var dHidden = new float[B * T * H];
        for (int row = 0; row < B * T; row++)
            fromAbove.AsSpan((row * 2 * H) + offset, H).CopyTo(dHidden.AsSpan(row * H, H));
        GruLayer.Backward(x, parameters, cache, hidden, s, Activation.Tanh, dHidden, new float[parameters.Length], new float[x.Length], new float[GruLayer.WorkspaceLength(s)]);
        return dHidden;
    }

    private static float[] Reversed(float[] values, int batch, int timesteps, int width)
    {
        var reversed = new float[values.Length];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < timesteps; t++)
                values.AsSpan(((b * timesteps) + t) * width, width).CopyTo(reversed.AsSpan(((b * timesteps) + timesteps - 1 - t) * width, width));
        }
        return reversed;
    }

    private static ReadOnlySpan<float> Input(RecurrentRun run, int b, int t) =>
        run.X.AsSpan(((b * run.Shape.Timesteps) + t) * run.Shape.Inputs, run.Shape.Inputs);

    private static ReadOnlySpan<float> Weights(float[] weights, int b, int t, int timesteps, int units) =>
        weights.AsSpan(((b * timesteps) + t) * units, units);
}
