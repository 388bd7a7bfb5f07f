namespace FastSeq.Layers;

/// <summary>
/// A recurrent layer run over each sequence in both directions, outputs concatenated (Keras
/// <c>Bidirectional(..., merge_mode="concat")</c>, PyTorch <c>bidirectional=True</c>):
/// <c>output[b, t] = [forward h_t | backward h_t]</c>, <c>[B, T, 2H]</c>, where the backward direction is the same kind of
/// layer with its own parameters reading the sequence from its end. Parameters: the forward layer's, then the backward
/// layer's (PyTorch's <c>_reverse</c> tensors), each in <typeparamref name="TLayer"/>'s layout. A shape's
/// <see cref="LayerShape.Units"/> is H, each direction's.
/// </summary>
/// <remarks>
/// It cannot stream: the backward direction needs a sequence's end before its start. Its <see cref="Step"/> throws
/// <see cref="NotSupportedException"/>, and its step scratch is empty. Its state is both directions' (the forward
/// direction's <c>[B, S]</c>, then the backward direction's, PyTorch's <c>h_n</c> order): initial states start each
/// direction, and the backward direction's final state is the one after it reaches t = 0.
/// </remarks>
public sealed class BidirectionalLayer<TLayer> : IRecurrentLayer
    where TLayer : IRecurrentLayer
{
    private BidirectionalLayer() { }

    /// <summary>Twice the layer's: forward, then backward.</summary>
    public static int ParameterCount(int inputs, int units) => checked(2 * TLayer.ParameterCount(inputs, units));

    /// <summary>
    /// Both directions' caches, their outputs <c>[B, T, H]</c> each (the backward one in its own, reversed, time) and the
    /// time-reversed input <c>[B, T, I]</c> the backward direction read.
    /// </summary>
    public static int CacheLength(LayerShape s) => checked((2 * TLayer.CacheLength(s)) + (2 * Sequence(s, s.Units)) + Sequence(s, s.Inputs));

    /// <summary>The gradients of both directions' outputs <c>[B, T, H]</c> each, of the reversed input <c>[B, T, I]</c>, and the layer's own scratch.</summary>
    public static int WorkspaceLength(LayerShape s) => checked((2 * Sequence(s, s.Units)) + Sequence(s, s.Inputs) + TLayer.WorkspaceLength(s));

    /// <summary>Both directions' states, forward first (it cannot stream, but its sequences start from and end in these).</summary>
    public static int StateLength(int units) => checked(2 * TLayer.StateLength(units));

    /// <summary>None: it cannot stream.</summary>
    public static int StepScratchLength(int inputs, int units)
    {
        LayerArguments.Positive(inputs, nameof(inputs));
        LayerArguments.Positive(units, nameof(units));
        return 0;
    }

    /// <summary>Each direction as the layer initialises itself, forward first (as Keras draws them).</summary>
    public static void Initialize(Span<float> parameters, int inputs, int units, Random random)
    {
        LayerArguments.Length(parameters.Length, ParameterCount(inputs, units), "ParameterCount(I, H)", nameof(parameters));
        int half = parameters.Length / 2;
        TLayer.Initialize(parameters[..half], inputs, units, random);
        TLayer.Initialize(parameters[half..], inputs, units, random);
    }

    /// <summary>Both directions over whole sequences; <paramref name="output"/> is <c>[B, T, 2H]</c>.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation, Span<float> cache, Span<float> output) =>
        Forward(x, parameters, s, activation, default, default, cache, output);

    /// <summary>
    /// Both directions over sequences of <paramref name="lengths"/> (<see cref="SequenceLengths"/>; empty: all full): the backward
    /// direction starts at each sequence's last real step, and the outputs past a sequence's end are zero.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation, ReadOnlySpan<int> lengths,
                               Span<float> cache, Span<float> output) =>
        Forward(x, parameters, s, activation, lengths, default, cache, output);

    /// <summary>
    /// Both directions over sequences of <paramref name="lengths"/>, each from its half of <paramref name="initialState"/>
    /// <c>[2, B, S]</c> (empty: zeros): the forward direction's, then the backward direction's, which starts at each sequence's end.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation, ReadOnlySpan<int> lengths,
                               ReadOnlySpan<float> initialState, Span<float> cache, Span<float> output)
    {
        Check(s, x, parameters, cache, output);
        LayerArguments.InitialState(s, lengths, initialState, StateLength(s.Units), cache, output);
        Parts p = Parts.Of(s);
        int half = parameters.Length / 2, state = initialState.Length / 2;
        TLayer.Forward(x, parameters[..half], s, activation, lengths, initialState[..state], cache[p.ForwardCache], cache[p.ForwardOutput]);
        ReverseTime(x, s.Batch, s.Timesteps, s.Inputs, lengths, cache[p.ReversedInput]);
        TLayer.Forward(cache[p.ReversedInput], parameters[half..], s, activation, lengths, initialState[state..], cache[p.BackwardCache], cache[p.BackwardOutput]);
        Interleave(cache[p.ForwardOutput], cache[p.BackwardOutput], s, lengths, output);
    }

    /// <summary>
    /// <c>[2, B, S]</c>: the forward direction's state after each sequence's last real step, then the backward direction's after
    /// t = 0, from the last <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, LayerShape, Activation, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{float}, Span{float})"/>'s cache.
    /// </summary>
    public static void FinalState(ReadOnlySpan<float> cache, ReadOnlySpan<float> output, LayerShape s, ReadOnlySpan<int> lengths, Span<float> finalState)
    {
        LayerArguments.Length(cache.Length, CacheLength(s), "CacheLength(shape)", nameof(cache));
        LayerArguments.Length(output.Length, checked(2 * Sequence(s, s.Units)), "[B, T, 2H]", nameof(output));
        LayerArguments.Length(finalState.Length, checked(s.Batch * StateLength(s.Units)), "[B, StateLength(H)]", nameof(finalState));
        Parts p = Parts.Of(s);
        int state = finalState.Length / 2;
        TLayer.FinalState(cache[p.ForwardCache], cache[p.ForwardOutput], s, lengths, finalState[..state]);
        TLayer.FinalState(cache[p.BackwardCache], cache[p.BackwardOutput], s, lengths, finalState[state..]);
    }

    /// <summary>
    /// Gradients for the last <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, LayerShape, Activation, Span{float}, Span{float})"/>: <paramref name="dOutput"/> <c>[B, T, 2H]</c> is split between the directions
    /// (the backward half back into its own time), each direction's Backward adds into its half of <paramref name="dParameters"/>,
    /// and <paramref name="dx"/> is the sum of both directions' input gradients.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> output,
                                LayerShape s, Activation activation,
                                Span<float> dOutput, Span<float> dParameters, Span<float> dx, Span<float> workspace) =>
        Backward(x, parameters, cache, output, s, activation, default, default, dOutput, dParameters, dx, default, workspace);

    /// <summary>Gradients for the last <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, LayerShape, Activation, ReadOnlySpan{int}, Span{float}, Span{float})"/> with the same <paramref name="lengths"/>.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> output,
                                LayerShape s, Activation activation, ReadOnlySpan<int> lengths,
                                Span<float> dOutput, Span<float> dParameters, Span<float> dx, Span<float> workspace) =>
        Backward(x, parameters, cache, output, s, activation, lengths, default, dOutput, dParameters, dx, default, workspace);

    /// <summary>
    /// Gradients for the last Forward with the same <paramref name="lengths"/>, with those of the final states
    /// <paramref name="dFinalState"/> <c>[2, B, S]</c> (unless empty) entering each direction where its state ended, and those
    /// of the initial states written to <paramref name="dInitialState"/> <c>[2, B, S]</c> (unless empty).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> output,
                                LayerShape s, Activation activation, ReadOnlySpan<int> lengths, ReadOnlySpan<float> dFinalState,
                                Span<float> dOutput, Span<float> dParameters, Span<float> dx, Span<float> dInitialState, Span<float> workspace)
    {
        Check(s, x, parameters, cache, output);
        if (!lengths.IsEmpty)
            SequenceLengths.Check(lengths, s.Batch, s.Timesteps, nameof(lengths));
        LayerArguments.Length(dOutput.Length, checked(2 * Sequence(s, s.Units)), "[B, T, 2H]", nameof(dOutput));
        LayerArguments.Length(dParameters.Length, parameters.Length, "ParameterCount(I, H)", nameof(dParameters));
        LayerArguments.LengthOrEmpty(dx.Length, Sequence(s, s.Inputs), "[B, T, I]", nameof(dx));
        LayerArguments.LengthOrEmpty(dFinalState.Length, checked(s.Batch * StateLength(s.Units)), "[B, StateLength(H)]", nameof(dFinalState));
        LayerArguments.LengthOrEmpty(dInitialState.Length, checked(s.Batch * StateLength(s.Units)), "[B, StateLength(H)]", nameof(dInitialState));
        LayerArguments.MinimumLength(workspace.Length, WorkspaceLength(s), nameof(workspace));
        Parts p = Parts.Of(s);
        int hidden = p.Hidden, inputs = p.Inputs, half = parameters.Length / 2;
        int finalHalf = dFinalState.Length / 2, initialHalf = dInitialState.Length / 2;
        Span<float> dForward = workspace[..hidden];
        Span<float> dBackward = workspace.Slice(hidden, hidden);
        Span<float> dReversedInput = dx.IsEmpty ? default : workspace.Slice(2 * hidden, inputs);
        Span<float> layerWorkspace = workspace[((2 * hidden) + inputs)..];

        Split(dOutput, s, lengths, dForward, dBackward);
        TLayer.Backward(x, parameters[..half], cache[p.ForwardCache], cache[p.ForwardOutput], s, activation, lengths, dFinalState[..finalHalf],
                        dForward, dParameters[..half], dx, dInitialState[..initialHalf], layerWorkspace);
        TLayer.Backward(cache[p.ReversedInput], parameters[half..], cache[p.BackwardCache], cache[p.BackwardOutput], s, activation, lengths, dFinalState[finalHalf..],
                        dBackward, dParameters[half..], dReversedInput, dInitialState[initialHalf..], layerWorkspace);
        if (!dx.IsEmpty)
            AddReversedTime(dReversedInput, s.Batch, s.Timesteps, s.Inputs, lengths, dx);
    }

    /// <summary>Not supported: the backward direction needs a sequence's end before its start.</summary>
    public static void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Activation activation,
                            Span<float> state, Span<float> scratch, Span<float> output) =>
        throw new NotSupportedException("A bidirectional layer reads each sequence from its end too, so it cannot be stepped one timestep at a time; use Predict on whole sequences.");

    /// <summary>
    /// <c>[forward h after the last real step | backward h after t = 0]</c>, <c>[B, 2H]</c>: the two final states (PyTorch's
    /// <c>h_n</c>) of sequences of <paramref name="lengths"/> (empty: all full).
    /// </summary>
    public static void LastStep(ReadOnlySpan<float> output, LayerShape s, ReadOnlySpan<int> lengths, Span<float> last)
    {
        LayerArguments.Length(output.Length, checked(2 * Sequence(s, s.Units)), "[B, T, 2H]", nameof(output));
        LayerArguments.Length(last.Length, checked(2 * s.Batch * s.Units), "[B, 2H]", nameof(last));
        int H = s.Units, row = 2 * H, T = s.Timesteps;
        for (int b = 0; b < s.Batch; b++)
        {
            output.Slice(((b * T) + Length(lengths, b, T) - 1) * row, H).CopyTo(last.Slice(b * row, H));
            output.Slice((b * T * row) + H, H).CopyTo(last.Slice((b * row) + H, H));
        }
    }

    /// <summary>The gradient of <see cref="LastStep"/>: the forward half at each last real step, the backward half at t = 0, zero elsewhere.</summary>
    public static void LastStepBackward(ReadOnlySpan<float> dLast, LayerShape s, ReadOnlySpan<int> lengths, Span<float> dOutput)
    {
        LayerArguments.Length(dOutput.Length, checked(2 * Sequence(s, s.Units)), "[B, T, 2H]", nameof(dOutput));
        LayerArguments.Length(dLast.Length, checked(2 * s.Batch * s.Units), "[B, 2H]", nameof(dLast));
        int H = s.Units, row = 2 * H, T = s.Timesteps;
        dOutput.Clear();
        for (int b = 0; b < s.Batch; b++)
        {
            dLast.Slice(b * row, H).CopyTo(dOutput.Slice(((b * T) + Length(lengths, b, T) - 1) * row, H));
            dLast.Slice((b * row) + H, H).CopyTo(dOutput.Slice((b * T * row) + H, H));
        }
    }

    /// <summary>Where the cache's parts sit, in order: both caches, both outputs, the reversed input.</summary>
    private readonly record struct Parts(int LayerCache, int Hidden, int Inputs)
    {
        public static Parts Of(LayerShape s) => new(TLayer.CacheLength(s), Sequence(s, s.Units), Sequence(s, s.Inputs));

        public Range ForwardCache => 0..LayerCache;

        public Range BackwardCache => LayerCache..(2 * LayerCache);

        public Range ForwardOutput => (2 * LayerCache)..((2 * LayerCache) + Hidden);

        public Range BackwardOutput => ((2 * LayerCache) + Hidden)..((2 * LayerCache) + (2 * Hidden));

        public Range ReversedInput => ((2 * LayerCache) + (2 * Hidden))..((2 * LayerCache) + (2 * Hidden) + Inputs);
    }

    private static int Sequence(LayerShape s, int width)
    {
        LayerArguments.Shape(s);
        return checked(s.Batch * s.Timesteps * width);
    }

    private static void Check(LayerShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> output)
    {
        LayerArguments.Length(x.Length, Sequence(s, s.Inputs), "[B, T, I]", nameof(x));
        LayerArguments.Length(parameters.Length, ParameterCount(s.Inputs, s.Units), "ParameterCount(I, H)", nameof(parameters));
        LayerArguments.Length(cache.Length, CacheLength(s), "CacheLength(shape)", nameof(cache));
        LayerArguments.Length(output.Length, checked(2 * Sequence(s, s.Units)), "[B, T, 2H]", nameof(output));
    }

    private static int Length(ReadOnlySpan<int> lengths, int b, int timesteps) => SequenceLengths.Of(lengths, b, timesteps);

    /// <summary><c>reversed[b, t] = x[b, L-1-t]</c> for the L real steps of each sample, rows of <paramref name="width"/>; zero past them.</summary>
    private static void ReverseTime(ReadOnlySpan<float> x, int batch, int timesteps, int width, ReadOnlySpan<int> lengths, Span<float> reversed)
    {
        for (int b = 0; b < batch; b++)
        {
            int L = Length(lengths, b, timesteps);
            for (int t = 0; t < L; t++)
                x.Slice(((b * timesteps) + t) * width, width).CopyTo(reversed.Slice(((b * timesteps) + L - 1 - t) * width, width));
            reversed.Slice(((b * timesteps) + L) * width, (timesteps - L) * width).Clear();
        }
    }

    /// <summary><c>sum[b, t] += reversed[b, L-1-t]</c> over the real steps: the backward direction's input gradient, back in the input's time.</summary>
    private static void AddReversedTime(ReadOnlySpan<float> reversed, int batch, int timesteps, int width, ReadOnlySpan<int> lengths, Span<float> sum)
    {
        for (int b = 0; b < batch; b++)
        {
            int L = Length(lengths, b, timesteps);
            for (int t = 0; t < L; t++)
            {
                Span<float> row = sum.Slice(((b * timesteps) + t) * width, width);
                System.Numerics.Tensors.TensorPrimitives.Add(row, reversed.Slice(((b * timesteps) + L - 1 - t) * width, width), row);
            }
        }
    }

    /// <summary><c>output[b, t] = [forward[b, t] | backward[b, L-1-t]]</c> over the real steps, zero past them.</summary>
    private static void Interleave(ReadOnlySpan<float> forward, ReadOnlySpan<float> backward, LayerShape s, ReadOnlySpan<int> lengths, Span<float> output)
    {
        int H = s.Units, T = s.Timesteps;
        for (int b = 0; b < s.Batch; b++)
        {
            int L = Length(lengths, b, T);
            for (int t = 0; t < L; t++)
            {
                Span<float> row = output.Slice(((b * T) + t) * 2 * H, 2 * H);
                forward.Slice(((b * T) + t) * H, H).CopyTo(row[..H]);
                backward.Slice(((b * T) + L - 1 - t) * H, H).CopyTo(row[H..]);
            }
            output.Slice(((b * T) + L) * 2 * H, (T - L) * 2 * H).Clear();
        }
    }

    /// <summary>The inverse of <see cref="Interleave"/>, for gradients: zero for every step past a sequence's end.</summary>
    private static void Split(ReadOnlySpan<float> output, LayerShape s, ReadOnlySpan<int> lengths, Span<float> forward, Span<float> backward)
    {
        int H = s.Units, T = s.Timesteps;
        for (int b = 0; b < s.Batch; b++)
        {
            int L = Length(lengths, b, T);
            for (int t = 0; t < L; t++)
            {
                ReadOnlySpan<float> row = output.Slice(((b * T) + t) * 2 * H, 2 * H);
                row[..H].CopyTo(forward.Slice(((b * T) + t) * H, H));
                row[H..].CopyTo(backward.Slice(((b * T) + L - 1 - t) * H, H));
            }
            forward.Slice(((b * T) + L) * H, (T - L) * H).Clear();
            backward.Slice(((b * T) + L) * H, (T - L) * H).Clear();
        }
    }
}
