using FastSeq.Layers;

namespace FastSeq.Tests.Layers;

public class RecurrentLayerTests
{
    public static TheoryData<string> Layers => [.. RecurrentLayerUnderTest.Names];

    /// <summary>
    /// Every layer at 5 units over batches and timesteps, then at 11 and 19 units over several timesteps: with
    /// <c>Vector&lt;float&gt;.Count</c> 8 or 16, those mix a vectorised gate loop with a scalar tail (5 alone never vectorises).
    /// </summary>
    public static TheoryData<string, int, int, int> LayersBatchesTimesteps
    {
        get
        {
            var data = new TheoryData<string, int, int, int>();
            foreach (string name in RecurrentLayerUnderTest.Names)
            {
                foreach (int batch in new[] { 1, 3 })
                {
                    foreach (int timesteps in new[] { 1, 4 })
                        data.Add(name, batch, timesteps, 5);
                }
                data.Add(name, 2, 3, 11);
                data.Add(name, 2, 3, 19);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(LayersBatchesTimesteps))]
    public void Gradients_match_finite_differences(string name, int batch, int timesteps, int units)
    {
        var random = new Random(17 + batch * 10 + timesteps + (units == 5 ? 0 : units * 100));
        var run = new RecurrentRun(RecurrentLayerUnderTest.Named(name), new LayerShape(batch, timesteps, 3, units), random);
        float[] weights = RandomTensors.Uniform(random, run.Hidden.Length, -1f, 1f);
        bool[] pattern = FiniteDifferences.Signs(run.Forward());
        run.Backward(weights);
        double Loss() => KinkAwareLoss(name, run, weights, pattern);

        FiniteDifferences.Check("dParameters", run.Parameters, run.DParameters, Loss);
        FiniteDifferences.Check("dx", run.X, run.DX, Loss);
    }

    /// <summary><c>Σ w ⊙ h</c>, or NaN for a relu layer whose pattern of active units differs from the unperturbed one.</summary>
    private static double KinkAwareLoss(string name, RecurrentRun run, float[] weights, bool[] pattern)
    {
        float[] hidden = run.Forward();
        if (name == "SimpleRnn.Relu" && !pattern.SequenceEqual(FiniteDifferences.Signs(hidden)))
            return double.NaN;
        return FiniteDifferences.WeightedSum(weights, hidden);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Backward_accumulates_parameter_gradients_and_overwrites_dx(string name)
    {
        var random = new Random(5);
        var run = new RecurrentRun(RecurrentLayerUnderTest.Named(name), new LayerShape(2, 3, 3, 5), random);
        float[] weights = RandomTensors.Uniform(random, run.Hidden.Length, -1f, 1f);
        run.Forward();
        run.Backward(weights);
        float[] once = [.. run.DParameters];
        float[] dx = [.. run.DX];

        run.DX.AsSpan().Fill(123f);
        run.Backward(weights);

        Assert.All(once.Zip(run.DParameters), pair => Assert.Equal(2 * pair.First, pair.Second, 1e-5 * Math.Max(1, Math.Abs(pair.First))));
        Assert.Equal(dx, run.DX);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Backward_without_dx_gives_the_same_parameter_gradients(string name)
    {
        var random = new Random(6);
        var run = new RecurrentRun(RecurrentLayerUnderTest.Named(name), new LayerShape(2, 3, 3, 5), random);
        float[] weights = RandomTensors.Uniform(random, run.Hidden.Length, -1f, 1f);
        run.Forward();
        run.Backward(weights);
        float[] withDx = [.. run.DParameters];

        run.DParameters.AsSpan().Clear();
        run.Backward(weights, withDx: false);

        Assert.Equal(withDx, run.DParameters);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Gradients_of_the_last_timestep_only_match_finite_differences(string name)
    {
        // A layer that passes only its last h on gets zeros above every other timestep.
        var random = new Random(8);
        var run = new RecurrentRun(RecurrentLayerUnderTest.Named(name), new LayerShape(2, 5, 3, 4), random);
        float[] weights = RandomTensors.Uniform(random, run.Hidden.Length, -1f, 1f);
        for (int b = 0; b < 2; b++)
            weights.AsSpan(b * 5 * 4, 4 * 4).Clear();
        bool[] pattern = FiniteDifferences.Signs(run.Forward());
        run.Backward(weights);
        double Loss() => KinkAwareLoss(name, run, weights, pattern);

        FiniteDifferences.Check("dParameters", run.Parameters, run.DParameters, Loss);
        FiniteDifferences.Check("dx", run.X, run.DX, Loss);
    }

    [Theory]
    [InlineData("SimpleRnn.Tanh", 1, 3)]
    [InlineData("SimpleRnn.Relu", 3, 3)]
    [InlineData("SimpleRnn.Tanh", 2, 1)]
    [InlineData("Lstm", 1, 3)]
    [InlineData("Lstm", 3, 3)]
    [InlineData("Lstm", 1, 1)]
    [InlineData("Gru", 1, 3)]
    [InlineData("Gru", 3, 3)]
    [InlineData("Gru", 1, 1)]
    [InlineData("Gru", 3, 1)]
    public void Step_over_the_timesteps_gives_the_hidden_states_of_Forward(string name, int batch, int I)
    {
        const int T = 6, H = 5;
        var layer = RecurrentLayerUnderTest.Named(name);
        var run = new RecurrentRun(layer, new LayerShape(batch, T, I, H), new Random(9));
        float[] hidden = run.Forward();

        float[] state = new float[batch * layer.StateLength(H)];
        float[] scratch = new float[batch * layer.StepScratchLength(I, H)];
        float[] x = new float[batch * I];
        float[] output = new float[batch * H];
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < batch; b++)
                run.X.AsSpan((b * T + t) * I, I).CopyTo(x.AsSpan(b * I));
            layer.Step(x, run.Parameters, batch, I, H, state, scratch, output);
            for (int b = 0; b < batch; b++)
            {
                for (int j = 0; j < H; j++)
                    Assert.Equal(hidden[(b * T + t) * H + j], output[b * H + j], 1e-5f);
            }
        }
    }

    /// <summary>
    /// One sequence (or stream) alone takes the fused product-and-cell kernels when its units fill whole vectors
    /// (8 or 16 units on every vector width, 24 and 40 on some); inside a batch it takes the matrix kernels and the
    /// unfused cell. Both must give the same bits: hidden states, the cache Backward reads, and the streamed states.
    /// </summary>
    [Theory]
    [InlineData("Lstm", 1, 8)]
    [InlineData("Lstm", 3, 16)]
    [InlineData("Lstm", 1, 24)]
    [InlineData("Lstm", 2, 40)]
    [InlineData("Gru", 1, 8)]
    [InlineData("Gru", 3, 16)]
    [InlineData("Gru", 1, 24)]
    [InlineData("Gru", 2, 40)]
    [InlineData("SimpleRnn.Tanh", 3, 16)]
    public void A_sequence_alone_gives_the_bits_it_gives_inside_a_batch(string name, int I, int H)
    {
        const int B = 3, T = 5, Chosen = 1;
        var layer = RecurrentLayerUnderTest.Named(name);
        var batch = new RecurrentRun(layer, new LayerShape(B, T, I, H), new Random(H + I));
        var alone = new RecurrentRun(layer, new LayerShape(1, T, I, H), new Random(0));
        batch.Parameters.CopyTo(alone.Parameters, 0);
        batch.X.AsSpan(Chosen * T * I, T * I).CopyTo(alone.X);

        Assert.Equal(batch.Forward().AsSpan(Chosen * T * H, T * H).ToArray(), alone.Forward());
        // The cache is blocks [B, T, width] one after another: the gates (pre-activations for SimpleRnn), then, for
        // LSTM and GRU, the cells or the recurrent part of n; then the initial state [B, StateLength(H)].
        int[] widths = layer.Gates == 1 ? [H] : [layer.Gates * H, H];
        Assert.Equal(layer.CacheLength(batch.Shape), (B * T * widths.Sum()) + (B * layer.StateLength(H)));
        int start = 0;
        foreach (int width in widths)
        {
            Assert.Equal(batch.Cache.AsSpan((B * start) + (Chosen * T * width), T * width).ToArray(), alone.Cache.AsSpan(start, T * width).ToArray());
            start += T * width;
        }

        // Streams: the chosen one stepped alone and inside the batch, and against Forward.
        float[] states = new float[B * layer.StateLength(H)], state = new float[layer.StateLength(H)];
        float[] scratch = new float[B * layer.StepScratchLength(I, H)];
        float[] outputs = new float[B * H], output = new float[H], x = new float[B * I];
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < B; b++)
                batch.X.AsSpan(((b * T) + t) * I, I).CopyTo(x.AsSpan(b * I));
            layer.Step(x, batch.Parameters, B, I, H, states, scratch, outputs);
            layer.Step(x.AsSpan(Chosen * I, I), batch.Parameters, 1, I, H, state, scratch, output);
            Assert.Equal(outputs.AsSpan(Chosen * H, H).ToArray(), output);
            Assert.Equal(states.AsSpan(Chosen * state.Length, state.Length).ToArray(), state);
            if (layer.Gates > 1)
                Assert.Equal(alone.Hidden.AsSpan(t * H, H).ToArray(), output);
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Streams_of_a_batched_Step_are_independent(string name)
    {
        const int I = 3, H = 5;
        var layer = RecurrentLayerUnderTest.Named(name);
        var random = new Random(10);
        float[] parameters = RandomTensors.Uniform(random, layer.ParameterCount(I, H), -0.5f, 0.5f);
        float[] x = RandomTensors.Uniform(random, 2 * I, -1f, 1f);
        float[] state = RandomTensors.Uniform(random, 2 * layer.StateLength(H), -1f, 1f);
        float[] secondState = state[layer.StateLength(H)..];
        float[] output = new float[2 * H], secondOutput = new float[H];

        layer.Step(x, parameters, 2, I, H, state, new float[2 * layer.StepScratchLength(I, H)], output);
        layer.Step(x.AsSpan(I), parameters, 1, I, H, secondState, new float[layer.StepScratchLength(I, H)], secondOutput);

        Assert.Equal(secondOutput, output[H..]);
        Assert.Equal(secondState, state[layer.StateLength(H)..]);
    }

    [Theory]
    [InlineData("SimpleRnn.Tanh", 3, 5, 45)]
    [InlineData("Lstm", 3, 5, 180)]
    [InlineData("Gru", 3, 5, 150)]
    [InlineData("SimpleRnn.Tanh", 1, 32, 1088)]   // Keras SimpleRNN(32) on 1 feature
    [InlineData("Lstm", 2, 8, 352)]               // Keras LSTM(8) on 2 features
    [InlineData("Gru", 1, 32, 3360)]              // Keras GRU(32, reset_after=True) on 1 feature
    public void Parameter_counts_are_those_of_Keras(string name, int inputs, int units, int expected)
    {
        Assert.Equal(expected, RecurrentLayerUnderTest.Named(name).ParameterCount(inputs, units));
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Initialize_draws_glorot_kernel_orthogonal_recurrent_kernel_and_Keras_biases(string name)
    {
        const int I = 7, H = 6;
        var layer = RecurrentLayerUnderTest.Named(name);
        int G = layer.Gates;
        float[] parameters = new float[layer.ParameterCount(I, H)];
        parameters.AsSpan().Fill(float.NaN);
        layer.Initialize(parameters, I, H, new Random(3));

        ReadOnlySpan<float> kernel = parameters.AsSpan(0, I * G * H);
        float limit = MathF.Sqrt(6f / (I + G * H));
        Assert.All(kernel.ToArray(), v => Assert.InRange(v, -limit, limit));
        Assert.True(kernel.ToArray().Max() > limit / 2 && kernel.ToArray().Min() < -limit / 2);
        InitializerTests.AssertOrthonormalRows(parameters.AsSpan(I * G * H, H * G * H), H, G * H);
        float[] bias = parameters[((I + H) * G * H)..];
        float[] expectedBias = new float[bias.Length];
        if (name == "Lstm")
            expectedBias.AsSpan(H, H).Fill(1f);
        Assert.Equal(expectedBias, bias);

        float[] again = new float[parameters.Length];
        layer.Initialize(again, I, H, new Random(3));
        Assert.Equal(parameters, again);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Forward_Backward_and_Step_allocate_nothing(string name)
    {
        var layer = RecurrentLayerUnderTest.Named(name);
        var shape = new LayerShape(4, 8, 7, 16);
        var run = new RecurrentRun(layer, shape, new Random(11));
        float[] dHidden = new float[run.Hidden.Length];
        float[] state = new float[4 * layer.StateLength(16)];
        float[] scratch = new float[4 * layer.StepScratchLength(7, 16)];
        float[] output = new float[4 * 16];
        void Everything()
        {
            run.Forward();
            run.Backward(dHidden);
            layer.Step(run.X.AsSpan(0, 4 * 7), run.Parameters, 4, 7, 16, state, scratch, output);
        }
        Allocations.AssertNone(Everything);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Wrong_lengths_are_rejected_with_expected_and_actual_sizes(string name)
    {
        var layer = RecurrentLayerUnderTest.Named(name);
        var shape = new LayerShape(2, 3, 4, 5);
        var run = new RecurrentRun(layer, shape, new Random(12));

        var e = Assert.Throws<ArgumentException>(() => layer.Forward(run.X.AsSpan(1), run.Parameters, shape, run.Cache, run.Hidden));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("24", e.Message);
        Assert.Contains("23", e.Message);

        e = Assert.Throws<ArgumentException>(() => layer.Forward(run.X, run.Parameters.AsSpan(1), shape, run.Cache, run.Hidden));
        Assert.Equal("parameters", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => layer.Forward(run.X, run.Parameters, shape, run.Cache, run.Hidden.AsSpan(1)));
        Assert.Equal("hidden", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => layer.Backward(run.X, run.Parameters, run.Cache, run.Hidden, shape, run.DHidden, run.DParameters, run.DX.AsSpan(1), run.Workspace));
        Assert.Equal("dx", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => layer.Backward(run.X, run.Parameters, run.Cache, run.Hidden, shape, run.DHidden, run.DParameters.AsSpan(1), run.DX, run.Workspace));
        Assert.Equal("dParameters", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => layer.Backward(run.X, run.Parameters, run.Cache, run.Hidden, shape, run.DHidden, run.DParameters, run.DX, run.Workspace.AsSpan(1)));
        Assert.Equal("workspace", e.ParamName);
        // One float too many, so that only the length check can object.
        e = Assert.Throws<ArgumentException>(() => layer.Forward(run.X, run.Parameters, shape, new float[run.Cache.Length + 1], run.Hidden));
        Assert.Equal("cache", e.ParamName);
        Assert.Contains($"{run.Cache.Length} floats, but holds {run.Cache.Length + 1}", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => layer.Backward(run.X, run.Parameters, run.Cache, run.Hidden, shape, new float[31], run.DParameters, run.DX, run.Workspace));
        Assert.Equal("dHidden", e.ParamName);
        Assert.Contains("30 floats, but holds 31", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(run.X, run.Parameters, shape with { Batch = 0 }, run.Cache, run.Hidden));

        float[] state = new float[2 * layer.StateLength(5)];
        float[] output = new float[2 * 5];
        e = Assert.Throws<ArgumentException>(() => layer.Step(run.X.AsSpan(0, 8), run.Parameters, 2, 4, 5, state.AsSpan(1), new float[2 * layer.StepScratchLength(4, 5)], output));
        Assert.Equal("state", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => layer.Step(run.X.AsSpan(0, 8), run.Parameters, 2, 4, 5, state, new float[2 * layer.StepScratchLength(4, 5)], state.AsSpan(0, 10)));
        Assert.Equal("output", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => layer.Step(run.X.AsSpan(0, 8), run.Parameters, 2, 4, 5, state, new float[(2 * layer.StepScratchLength(4, 5)) - 1], output));
        Assert.Equal("scratch", e.ParamName);
        Assert.Contains($"{2 * layer.StepScratchLength(4, 5)}", e.Message);
    }

    /// <summary>(source, destination): the span a call writes, and one it may not overlap, for Forward, Backward and Step.</summary>
    private static readonly (string Source, string Destination)[] ForwardOverlaps = [("x", "hidden"), ("x", "cache"), ("cache", "hidden")];

    private static readonly (string Source, string Destination)[] BackwardOverlaps =
    [
        ("x", "dHidden"), ("parameters", "dHidden"), ("cache", "dHidden"), ("hidden", "dHidden"),
        ("x", "dParameters"), ("parameters", "dParameters"), ("cache", "dParameters"), ("hidden", "dParameters"), ("dHidden", "dParameters"),
        ("x", "dx"), ("parameters", "dx"), ("cache", "dx"), ("hidden", "dx"), ("dParameters", "dx"),
        ("x", "workspace"), ("parameters", "workspace"), ("cache", "workspace"), ("hidden", "workspace"),
        ("dHidden", "workspace"), ("dParameters", "workspace"), ("dx", "workspace"),
    ];

    private static readonly (string Source, string Destination)[] StepOverlaps =
        [("x", "output"), ("state", "output"), ("scratch", "output"), ("x", "scratch"), ("state", "scratch")];

    private static Dictionary<string, float[]> BuffersOf(RecurrentRun run) => new()
    {
        ["x"] = run.X, ["parameters"] = run.Parameters, ["cache"] = run.Cache, ["hidden"] = run.Hidden,
        ["dHidden"] = run.DHidden, ["dParameters"] = run.DParameters, ["dx"] = run.DX, ["workspace"] = run.Workspace,
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Overlapping_spans_are_rejected_naming_both(string name)
    {
        var layer = RecurrentLayerUnderTest.Named(name);
        var shape = new LayerShape(2, 3, 4, 5);
        var run = new RecurrentRun(layer, shape, new Random(13));
        run.Forward();
        Dictionary<string, float[]> buffers = BuffersOf(run);

        foreach (var (source, destination) in ForwardOverlaps)
        {
            OverlappingSpans.AssertRejected(buffers, source, destination,
                m => layer.Forward(m["x"].Span, m["parameters"].Span, shape, m["cache"].Span, m["hidden"].Span));
        }
        foreach (var (source, destination) in BackwardOverlaps)
        {
            OverlappingSpans.AssertRejected(buffers, source, destination,
                m => layer.Backward(m["x"].Span, m["parameters"].Span, m["cache"].Span, m["hidden"].Span, shape,
                                    m["dHidden"].Span, m["dParameters"].Span, m["dx"].Span, m["workspace"].Span));
        }

        var stepBuffers = new Dictionary<string, float[]>
        {
            ["x"] = run.X[..8], ["parameters"] = run.Parameters, ["state"] = new float[2 * layer.StateLength(5)],
            ["scratch"] = new float[2 * layer.StepScratchLength(4, 5)], ["output"] = new float[2 * 5],
        };
        foreach (var (source, destination) in StepOverlaps)
        {
            OverlappingSpans.AssertRejected(stepBuffers, source, destination,
                m => layer.Step(m["x"].Span, m["parameters"].Span, 2, 4, 5, m["state"].Span, m["scratch"].Span, m["output"].Span));
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Backward_may_write_dx_over_dHidden(string name)
    {
        // dHidden is spent before dx is written, so a caller may let them share memory.
        var (run, dParameters, dx) = ReadyForASecondBackward(name, seed: 14);
        Dictionary<string, Memory<float>> m = OverlappingSpans.Sharing(BuffersOf(run), "dHidden", "dx");
        run.Layer.Backward(run.X, run.Parameters, run.Cache, run.Hidden, run.Shape, m["dHidden"].Span, run.DParameters, m["dx"].Span, run.Workspace);

        Assert.Equal(dParameters, run.DParameters);
        Assert.Equal(dx, m["dx"].ToArray());
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Only_the_used_prefix_of_a_longer_workspace_must_be_disjoint(string name)
    {
        // A caller may carve dx from the tail of an oversized scratch buffer that Backward never touches.
        var (run, dParameters, dx) = ReadyForASecondBackward(name, seed: 16);
        float[] scratch = new float[run.Workspace.Length + run.DX.Length];
        run.Layer.Backward(run.X, run.Parameters, run.Cache, run.Hidden, run.Shape, run.DHidden, run.DParameters, scratch.AsSpan(run.Workspace.Length), scratch);

        Assert.Equal(dParameters, run.DParameters);
        Assert.Equal(dx, scratch[run.Workspace.Length..]);
    }

    /// <summary>
    /// A run after one Forward and one Backward with its spans apart, whose gradients are the reference; its dHidden is
    /// refilled and its dParameters cleared, so that a second Backward, with spans shared, must give the same ones.
    /// </summary>
    private static (RecurrentRun Run, float[] DParameters, float[] Dx) ReadyForASecondBackward(string name, int seed)
    {
        var random = new Random(seed);
        var run = new RecurrentRun(RecurrentLayerUnderTest.Named(name), new LayerShape(2, 3, 4, 5), random);
        float[] weights = RandomTensors.Uniform(random, run.Hidden.Length, -1f, 1f);
        run.Forward();
        run.Backward(weights);
        float[] dParameters = [.. run.DParameters], dx = [.. run.DX];
        weights.CopyTo(run.DHidden, 0);
        run.DParameters.AsSpan().Clear();
        return (run, dParameters, dx);
    }

    [Fact]
    public void SimpleRnn_rejects_softmax()
    {
        var shape = new LayerShape(1, 1, 1, 1);
        var e = Assert.Throws<ArgumentException>(() => SimpleRnnLayer.Forward(new float[1], new float[3], shape, Activation.Softmax, [], new float[1]));
        Assert.Equal("activation", e.ParamName);
    }
}
