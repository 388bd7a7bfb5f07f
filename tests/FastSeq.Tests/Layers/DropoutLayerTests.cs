using FastSeq.Layers;
using FastSeq.Tests.Kernels;

namespace FastSeq.Tests.Layers;

/// <summary>
/// Dropout masks (<see cref="DropoutMask"/>) and the recurrent layers' dropout passes with a mask supplied: the masked
/// recurrence against plain double loops, an all-ones mask against no mask, and Backward against central differences.
/// </summary>
public class DropoutLayerTests
{
    public static TheoryData<string> Kinds => ["SimpleRnn", "Lstm", "Gru"];

    [Theory]
    [InlineData(0.3f)]
    [InlineData(0.5f)]
    [InlineData(0.05f)]
    public void A_mask_drops_about_rate_of_its_values_and_scales_the_rest(float rate)
    {
        var mask = new float[200_000];
        DropoutMask.Fill(rate, DropoutMask.Stream(seed: 1, pass: 0, mask: 0), mask);
        int dropped = mask.Count(v => v == 0f);
        Assert.All(mask, v => Assert.True(v == 0f || v == 1f / (1f - rate), $"{v} is neither 0 nor 1 / (1 - rate)"));
        // Binomial: 5 standard deviations of the fraction is at most 0.0056 here.
        Assert.InRange((double)dropped / mask.Length, rate - 0.0056, rate + 0.0056);
        Assert.InRange(mask.Average(), 0.98, 1.02);
    }

    [Fact]
    public void Masks_repeat_for_the_same_stream_and_differ_between_streams()
    {
        float[] Draw(int seed, long pass, int number)
        {
            var mask = new float[512];
            DropoutMask.Fill(0.5f, DropoutMask.Stream(seed, pass, number), mask);
            return mask;
        }

        Assert.Equal(Draw(3, 7, 1), Draw(3, 7, 1));
        Assert.NotEqual(Draw(3, 7, 1), Draw(3, 7, 2));
        Assert.NotEqual(Draw(3, 7, 1), Draw(3, 8, 1));
        Assert.NotEqual(Draw(3, 7, 1), Draw(4, 7, 1));
        var ones = new float[64];
        DropoutMask.Fill(0f, 12345, ones);
        Assert.All(ones, v => Assert.Equal(1f, v));
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void A_rate_outside_zero_to_one_throws(float rate)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Fill(rate, 0, new float[4]));
        Assert.Contains("[0, 1)", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Kinds at 6 units (the matrix kernels), 8 and 16 (the fused kernels read the masked h where h_t goes, a GRU blending the
    /// unmasked one) and 40 (one sequence: the fused kernels in one block, an LSTM's across the gates; three: the matrix
    /// kernels), one sequence and three, from zeros and from a given state (its h masked too).
    /// </summary>
    public static TheoryData<string, int, int, bool> MaskedShapes
    {
        get
        {
            var data = new TheoryData<string, int, int, bool>();
            foreach (string kind in Kinds)
            {
                foreach (int units in new[] { 6, 8, 16, 40 })
                {
                    data.Add(kind, 3, units, false);
                    data.Add(kind, 1, units, true);
                    data.Add(kind, 3, units, true);
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(MaskedShapes))]
    public void The_masked_recurrence_matches_plain_loops(string kind, int batch, int units, bool hasInitialState)
    {
        var s = new LayerShape(batch, 5, 4, units);
        var random = new Random(2);
        float[] parameters = RandomTensors.Uniform(random, ParameterCount(kind, s), -0.5f, 0.5f);
        float[] x = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Inputs, -1f, 1f);
        float[] mask = Mask(s.Batch * s.Units, 0.4f, seed: 5);
        float[]? initialState = hasInitialState ? RandomTensors.Uniform(random, s.Batch * StateLength(kind, s.Units), -1f, 1f) : null;
        var hidden = new float[s.Batch * s.Timesteps * s.Units];
        Forward(kind, x, parameters, s, mask, hidden, initialState);

        double[] expected = Reference(kind, x, parameters, s, mask, initialState);
        for (int i = 0; i < hidden.Length; i++)
            Assert.True(Math.Abs(hidden[i] - expected[i]) <= 1e-5, $"{kind} h[{i}]: {hidden[i]} against {expected[i]}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_mask_of_ones_gives_the_bits_of_no_mask(string kind)
    {
        foreach (int batch in new[] { 1, 3 })
        {
            var s = new LayerShape(batch, 4, 3, 8);
            var random = new Random(4);
            float[] parameters = RandomTensors.Uniform(random, ParameterCount(kind, s), -0.5f, 0.5f);
            float[] x = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Inputs, -1f, 1f);
            var plain = new float[s.Batch * s.Timesteps * s.Units];
            var ones = new float[plain.Length];
            Forward(kind, x, parameters, s, default, plain);
            Forward(kind, x, parameters, s, Enumerable.Repeat(1f, s.Batch * s.Units).ToArray(), ones);
            Assert.Equal(plain, ones);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Backward_with_a_recurrent_mask_matches_central_differences(string kind)
    {
        var s = new LayerShape(2, 4, 3, 5);
        var random = new Random(6);
        float[] parameters = RandomTensors.Uniform(random, ParameterCount(kind, s), -0.6f, 0.6f);
        float[] x = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Inputs, -1f, 1f);
        float[] weights = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Units, -1f, 1f);
        float[] mask = Mask(s.Batch * s.Units, 0.4f, seed: 9);
        var hidden = new float[weights.Length];

        double Loss()
        {
            Forward(kind, x, parameters, s, mask, hidden);
            return FiniteDifferences.WeightedSum(weights, hidden);
        }

        Loss();
        var dParameters = new float[parameters.Length];
        var dx = new float[x.Length];
        Backward(kind, x, parameters, s, mask, (float[])weights.Clone(), dParameters, dx);
        FiniteDifferences.Check($"{kind} parameters", parameters, dParameters, Loss);
        FiniteDifferences.Check($"{kind} x", x, dx, Loss);
    }

    [Fact]
    public void A_bidirectional_layer_with_its_own_masks_per_direction_matches_central_differences()
    {
        var s = new LayerShape(2, 4, 3, 4);
        var random = new Random(8);
        float[] parameters = RandomTensors.Uniform(random, BidirectionalLayer<LstmLayer>.ParameterCount(s.Inputs, s.Units), -0.6f, 0.6f);
        float[] x = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Inputs, -1f, 1f);
        float[] weights = RandomTensors.Uniform(random, s.Batch * s.Timesteps * 2 * s.Units, -1f, 1f);
        float[] inputMask = Mask(2 * s.Batch * s.Inputs, 0.4f, seed: 1);
        float[] recurrentMask = Mask(2 * s.Batch * s.Units, 0.4f, seed: 2);
        int[] lengths = [4, 3];
        var maskedInput = new float[x.Length];
        var cache = new float[BidirectionalLayer<LstmLayer>.CacheLength(s)];
        var output = new float[weights.Length];

        double Loss()
        {
            BidirectionalLayer<LstmLayer>.ForwardWithDropout(x, parameters, s, Activation.Tanh, lengths, default, inputMask, recurrentMask, maskedInput, cache, output);
            return FiniteDifferences.WeightedSum(weights, output);
        }

        Loss();
        var dParameters = new float[parameters.Length];
        var dx = new float[x.Length];
        BidirectionalLayer<LstmLayer>.BackwardWithDropout(x, parameters, cache, output, s, Activation.Tanh, lengths, default, inputMask, recurrentMask, maskedInput,
            (float[])weights.Clone(), dParameters, dx, default, new float[BidirectionalLayer<LstmLayer>.WorkspaceLength(s)]);
        FiniteDifferences.Check("parameters", parameters, dParameters, Loss);
        FiniteDifferences.Check("x", x, dx, Loss);

        // Each direction has its own input mask: the forward one read x ⊙ inputMask[0].
        for (int b = 0; b < s.Batch; b++)
        {
            for (int i = 0; i < s.Inputs; i++)
                Assert.Equal(x[(b * s.Timesteps * s.Inputs) + i] * inputMask[(b * s.Inputs) + i], maskedInput[(b * s.Timesteps * s.Inputs) + i]);
        }
    }

    [Fact]
    public void A_recurrent_mask_of_the_wrong_length_or_overlapping_the_output_is_named()
    {
        var s = new LayerShape(2, 3, 2, 4);
        var e = Assert.Throws<ArgumentException>(() => SimpleRnnLayer.ForwardWithDropout(new float[12], new float[SimpleRnnLayer.ParameterCount(2, 4)], s, Activation.Tanh, default, default,
            new float[5], new float[SimpleRnnLayer.CacheLength(s)], new float[24]));
        Assert.Equal("recurrentMask", e.ParamName);
        var hidden = new float[24];
        var overlap = Assert.Throws<ArgumentException>(() => SimpleRnnLayer.ForwardWithDropout(new float[12], new float[SimpleRnnLayer.ParameterCount(2, 4)], s, Activation.Tanh, default, default,
            hidden.AsSpan(0, 8), new float[SimpleRnnLayer.CacheLength(s)], hidden));
        Assert.Equal("hidden", overlap.ParamName);
    }

    /// <summary>Recurrent dropout from given initial states: the mask applies to h_{-1} too, and d loss / d initial state goes back through it.</summary>
    [Theory]
    [InlineData("SimpleRnn")]
    [InlineData("Lstm")]
    [InlineData("Gru")]
    public void Recurrent_dropout_from_initial_states_matches_central_differences(string kind)
    {
        var s = new LayerShape(2, 4, 3, 5);
        var random = new Random(21);
        float[] parameters = RandomTensors.Uniform(random, ParameterCount(kind, s), -0.6f, 0.6f);
        float[] x = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Inputs, -1f, 1f);
        int stateLength = kind == "Lstm" ? 2 * s.Units : s.Units;
        float[] initial = RandomTensors.Uniform(random, s.Batch * stateLength, -1f, 1f);
        float[] weights = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Units, -1f, 1f);
        float[] mask = Mask(s.Batch * s.Units, 0.4f, seed: 3);
        int[] lengths = [4, 2];
        var hidden = new float[weights.Length];
        var cache = new float[kind switch { "SimpleRnn" => SimpleRnnLayer.CacheLength(s), "Lstm" => LstmLayer.CacheLength(s), _ => GruLayer.CacheLength(s) }];
        void Forward() => (kind switch
        {
            "SimpleRnn" => (Action)(() => SimpleRnnLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, lengths, initial, mask, cache, hidden)),
            "Lstm" => () => LstmLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, lengths, initial, mask, cache, hidden),
            _ => () => GruLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, lengths, initial, mask, cache, hidden),
        })();
        double Loss()
        {
            Forward();
            return FiniteDifferences.WeightedSum(weights, hidden);
        }

        Forward();
        var dParameters = new float[parameters.Length];
        var dInitial = new float[initial.Length];
        float[] dHidden = (float[])weights.Clone();
        switch (kind)
        {
            case "SimpleRnn":
                SimpleRnnLayer.BackwardWithDropout(x, parameters, cache, hidden, s, Activation.Tanh, lengths, default, mask, dHidden, dParameters, default, dInitial, new float[SimpleRnnLayer.WorkspaceLength(s)]);
                break;
            case "Lstm":
                LstmLayer.BackwardWithDropout(x, parameters, cache, hidden, s, Activation.Tanh, lengths, default, mask, dHidden, dParameters, default, dInitial, new float[LstmLayer.WorkspaceLength(s)]);
                break;
            default:
                GruLayer.BackwardWithDropout(x, parameters, cache, hidden, s, Activation.Tanh, lengths, default, mask, dHidden, dParameters, default, dInitial, new float[GruLayer.WorkspaceLength(s)]);
                break;
        }
        FiniteDifferences.Check("initial state", initial, dInitial, Loss);
        FiniteDifferences.Check("parameters", parameters, dParameters, Loss);
    }

    private static float[] Mask(int length, float rate, int seed)
    {
        var mask = new float[length];
        DropoutMask.Fill(rate, DropoutMask.Stream(seed, 0, 0), mask);
        return mask;
    }

    private static int ParameterCount(string kind, LayerShape s) => kind switch
    {
        "SimpleRnn" => SimpleRnnLayer.ParameterCount(s.Inputs, s.Units),
        "Lstm" => LstmLayer.ParameterCount(s.Inputs, s.Units),
        _ => GruLayer.ParameterCount(s.Inputs, s.Units),
    };

    private static int StateLength(string kind, int units) => kind == "Lstm" ? LstmLayer.StateLength(units) : units;

    private static void Forward(string kind, float[] x, float[] parameters, LayerShape s, float[]? mask, float[] hidden, float[]? initialState = null)
    {
        switch (kind)
        {
            case "SimpleRnn":
                SimpleRnnLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, default, initialState, mask, new float[SimpleRnnLayer.CacheLength(s)], hidden);
                break;
            case "Lstm":
                LstmLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, default, initialState, mask, new float[LstmLayer.CacheLength(s)], hidden);
                break;
            default:
                GruLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, default, initialState, mask, new float[GruLayer.CacheLength(s)], hidden);
                break;
        }
    }

    /// <summary>Forward again (for its cache), then Backward with the same mask.</summary>
    private static void Backward(string kind, float[] x, float[] parameters, LayerShape s, float[] mask, float[] dHidden, float[] dParameters, float[] dx)
    {
        var hidden = new float[dHidden.Length];
        switch (kind)
        {
            case "SimpleRnn":
            {
                var cache = new float[SimpleRnnLayer.CacheLength(s)];
                SimpleRnnLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, default, default, mask, cache, hidden);
                SimpleRnnLayer.BackwardWithDropout(x, parameters, cache, hidden, s, Activation.Tanh, default, default, mask, dHidden, dParameters, dx, default, new float[SimpleRnnLayer.WorkspaceLength(s)]);
                break;
            }
            case "Lstm":
            {
                var cache = new float[LstmLayer.CacheLength(s)];
                LstmLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, default, default, mask, cache, hidden);
                LstmLayer.BackwardWithDropout(x, parameters, cache, hidden, s, Activation.Tanh, default, default, mask, dHidden, dParameters, dx, default, new float[LstmLayer.WorkspaceLength(s)]);
                break;
            }
            default:
            {
                var cache = new float[GruLayer.CacheLength(s)];
                GruLayer.ForwardWithDropout(x, parameters, s, Activation.Tanh, default, default, mask, cache, hidden);
                GruLayer.BackwardWithDropout(x, parameters, cache, hidden, s, Activation.Tanh, default, default, mask, dHidden, dParameters, dx, default, new float[GruLayer.WorkspaceLength(s)]);
                break;
            }
        }
    }

    /// <summary>
    /// The recurrence in double, element by element, with <c>h_{t-1} ⊙ mask[b]</c> in the recurrent product only (Keras
    /// <c>recurrent_dropout</c>): the GRU's interpolation and the LSTM's cell read the unmasked state.
    /// </summary>
    // The masked recurrence in double, from zeros or from initialState (h then, for an LSTM, c of each sequence).
    private static double[] Reference(string kind, float[] x, float[] p, LayerShape s, float[] mask, float[]? initialState = null)
    {
        int B = s.Batch, T = s.Timesteps, I = s.Inputs, H = s.Units;
        int G = kind switch { "SimpleRnn" => 1, "Lstm" => 4, _ => 3 };
        int gh = G * H, recurrentAt = I * gh, biasAt = (I + H) * gh, stateLength = StateLength(kind, H);
        var h = new double[B * T * H];
        for (int b = 0; b < B; b++)
        {
            var previous = new double[H];
            var cell = new double[H];
            for (int j = 0; initialState != null && j < H; j++)
            {
                previous[j] = initialState[(b * stateLength) + j];
                cell[j] = kind == "Lstm" ? initialState[(b * stateLength) + H + j] : 0;
            }
            for (int t = 0; t < T; t++)
            {
                // Pre-activations: input part (with the input bias) and recurrent part (with the recurrent bias for a GRU) apart.
                var input = new double[gh];
                var recurrent = new double[gh];
                for (int g = 0; g < gh; g++)
                {
                    input[g] = p[biasAt + g];
                    recurrent[g] = kind == "Gru" ? p[biasAt + gh + g] : 0;
                    for (int i = 0; i < I; i++)
                        input[g] += x[((b * T) + t) * I + i] * (double)p[(i * gh) + g];
                    for (int k = 0; k < H; k++)
                        recurrent[g] += previous[k] * mask[(b * H) + k] * p[recurrentAt + (k * gh) + g];
                }
                var next = new double[H];
                for (int j = 0; j < H; j++)
                {
                    next[j] = kind switch
                    {
                        "SimpleRnn" => Math.Tanh(input[j] + recurrent[j]),
                        "Lstm" => Lstm(input, recurrent, j, H, cell),
                        _ => CellEquations.Gru(input[j] + recurrent[j], input[H + j] + recurrent[H + j], input[(2 * H) + j], recurrent[(2 * H) + j], previous[j]).H,
                    };
                }
                next.CopyTo(previous, 0);
                next.CopyTo(h, ((b * T) + t) * H);
            }
        }
        return h;
    }

    private static double Lstm(double[] input, double[] recurrent, int j, int H, double[] cell)
    {
        var result = CellEquations.Lstm(input[j] + recurrent[j], input[H + j] + recurrent[H + j], input[(2 * H) + j] + recurrent[(2 * H) + j],
                                        input[(3 * H) + j] + recurrent[(3 * H) + j], cell[j]);
        cell[j] = result.Cell;
        return result.H;
    }
}
