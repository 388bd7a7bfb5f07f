using FastSeq.Kernels;

namespace FastSeq.Layers;

/// <summary>
/// Elman RNN (Keras <c>SimpleRNN</c>, PyTorch <c>nn.RNN</c>): <c>h_t = act(x_t·Wk + h_{t-1}·Wh + b)</c>, from <c>h_{-1} = 0</c>
/// or a given initial state.
/// Parameters, in order: kernel <c>Wk [I, H]</c>, recurrent kernel <c>Wh [H, H]</c>, bias <c>b [H]</c>
/// (PyTorch's <c>bias_ih + bias_hh</c>). Activations are batch-major: <c>x [B, T, I]</c>, <c>hidden [B, T, H]</c>.
/// The activation is Tanh (the default of both frameworks), Relu, Sigmoid or Linear.
/// </summary>
public sealed class SimpleRnnLayer : IRecurrentLayer
{
    private SimpleRnnLayer() { }

    /// <summary>Floats of parameters: <c>I*H + H*H + H</c>.</summary>
    public static int ParameterCount(int inputs, int units)
    {
        LayerArguments.Positive(inputs, nameof(inputs));
        LayerArguments.Positive(units, nameof(units));
        return checked((int)LayerCatalog.SimpleRnn.ParameterCount(inputs, units));
    }

    /// <summary>
    /// Floats <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, LayerShape, Activation, Span{float}, Span{float})"/> keeps besides x and hidden: the pre-activations <c>[B, T, H]</c>, then the initial state <c>[B, H]</c>. Backward takes the
    /// derivative from h alone; the pre-activations live apart from h so that no matrix product writes the buffer it reads.
    /// </summary>
    public static int CacheLength(LayerShape s)
    {
        LayerArguments.Shape(s);
        return checked(s.Batch * (s.Timesteps + 1) * s.Units);
    }

    /// <summary>
    /// Scratch floats Backward needs: the pre-activation gradients <c>[B, T, H]</c>, the transposed weights
    /// <c>[H, H + I]</c>, and h_prev <c>[B, T, H]</c> for the weight gradient.
    /// </summary>
    public static int WorkspaceLength(LayerShape s)
    {
        LayerArguments.Shape(s);
        return checked((2 * s.Batch * s.Timesteps * s.Units) + (s.Units * (s.Units + s.Inputs)));
    }

    /// <summary>Floats of streaming state per stream: h.</summary>
    public static int StateLength(int units)
    {
        LayerArguments.Positive(units, nameof(units));
        return units;
    }

    /// <summary>Scratch floats per stream for <see cref="Step"/>: x and h side by side, <c>I + H</c>.</summary>
    public static int StepScratchLength(int inputs, int units)
    {
        LayerArguments.Positive(inputs, nameof(inputs));
        LayerArguments.Positive(units, nameof(units));
        return checked(inputs + units);
    }

    /// <summary>Keras defaults: glorot-uniform kernel, orthogonal recurrent kernel, zero bias.</summary>
    public static void Initialize(Span<float> parameters, int inputs, int units, Random random)
    {
        LayerArguments.Length(parameters.Length, ParameterCount(inputs, units), "ParameterCount(I, H)", nameof(parameters));
        ArgumentNullException.ThrowIfNull(random);
        int I = inputs, H = units;
        Initializers.GlorotUniform(parameters[..(I * H)], I, H, random);
        Initializers.Orthogonal(parameters.Slice(I * H, H * H), H, H, random);
        parameters[((I + H) * H)..].Clear();
    }

    /// <summary>Runs the layer over whole sequences from a zero initial state.</summary>
    /// <param name="x">Inputs <c>[B, T, I]</c>.</param>
    /// <param name="parameters">The layer's parameters, <see cref="ParameterCount"/> floats.</param>
    /// <param name="s">Sizes.</param>
    /// <param name="activation">Linear, Tanh, Sigmoid or Relu.</param>
    /// <param name="cache">Kept for <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, LayerShape, Activation, Span{float}, Span{float}, Span{float}, Span{float})"/>: <see cref="CacheLength"/> floats.</param>
    /// <param name="hidden">Output <c>[B, T, H]</c>, every timestep.</param>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation, Span<float> cache, Span<float> hidden) =>
        Forward(x, parameters, s, activation, default, default, cache, hidden);

    /// <summary>Runs the layer over whole sequences of <paramref name="lengths"/> from <paramref name="initialState"/>, without dropout.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation,
                               ReadOnlySpan<int> lengths, ReadOnlySpan<float> initialState, Span<float> cache, Span<float> hidden) =>
        ForwardWithDropout(x, parameters, s, activation, lengths, initialState, default, cache, hidden);

    /// <summary>Runs the layer over whole sequences of <paramref name="lengths"/> from <paramref name="initialState"/>.</summary>
    /// <param name="x">Inputs <c>[B, T, I]</c>.</param>
    /// <param name="parameters">The layer's parameters, <see cref="ParameterCount"/> floats.</param>
    /// <param name="s">Sizes.</param>
    /// <param name="activation">Linear, Tanh, Sigmoid or Relu.</param>
    /// <param name="lengths">Each sequence's real steps (<see cref="SequenceLengths"/>); empty: all full. The outputs past them are zero.</param>
    /// <param name="initialState">h_{-1} of each sequence <c>[B, H]</c>; empty: zeros.</param>
    /// <param name="recurrentMask">Recurrent dropout: <c>h_{t-1} ⊙ recurrentMask[b]</c> enters the recurrent product, h_{-1} included (<see cref="DropoutMask"/>; empty: none).</param>
    /// <param name="cache">Kept for <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, LayerShape, Activation, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, Span{float}, Span{float})"/>: <see cref="CacheLength"/> floats.</param>
    /// <param name="hidden">Output <c>[B, T, H]</c>, every timestep.</param>
    public static void ForwardWithDropout(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation,
                               ReadOnlySpan<int> lengths, ReadOnlySpan<float> initialState, ReadOnlySpan<float> recurrentMask, Span<float> cache, Span<float> hidden)
    {
        LayerArguments.Shape(s);
        DropoutMask.CheckRecurrent(recurrentMask, s, hidden, "hidden");
        LayerArguments.ElementwiseActivation(activation, nameof(activation));
        LayerArguments.Sequences(s, x, parameters, ParameterCount(s.Inputs, s.Units), cache, CacheLength(s), hidden);
        LayerArguments.InitialState(s, lengths, initialState, StateLength(s.Units), cache, hidden);
        int B = s.Batch, T = s.Timesteps, I = s.Inputs, H = s.Units;
        int rows = B * T, sequence = T * H;
        ReadOnlySpan<float> kernel = parameters[..(I * H)];              // [I, H]
        ReadOnlySpan<float> recurrent = parameters.Slice(I * H, H * H);  // [H, H]
        ReadOnlySpan<float> bias = parameters[((I + H) * H)..];          // [H]
        Span<float> preActivation = cache[..(rows * H)];                 // [B, T, H]
        Span<float> initial = cache[(rows * H)..];                       // [B, H] h_{-1}
        BatchRows.KeepInitialState(initialState, initial);

        // Input projection of every timestep at once: z = b + x·Wk, [B*T, H].
        BatchRows.Broadcast(bias, rows, preActivation, H);
        MatMul.MultiplyAdd(x, I, kernel, H, rows, I, H, preActivation, H);
        for (int t = 0; t < T; t++)
        {
            // Rows of timestep t sit T*H apart: z[:, t] += h[:, t-1]·Wh (h_{-1} only if given), then h[:, t] = act(z[:, t]).
            if (t > 0)
                MatMul.MultiplyAdd(DropoutMask.PreviousHidden(hidden, recurrentMask, s, t), sequence, recurrent, H, B, H, H, preActivation[(t * H)..], sequence);
            else if (!initialState.IsEmpty)
                MatMul.MultiplyAdd(DropoutMask.InitialHidden(initial, H, hidden, recurrentMask, s, out int ld), ld, recurrent, H, B, H, H, preActivation, sequence);
            for (int b = 0; b < B; b++)
            {
                int offset = b * sequence + t * H;
                ElementwiseActivation.Apply(activation, preActivation.Slice(offset, H), hidden.Slice(offset, H));
            }
        }
        if (!lengths.IsEmpty)
            SequenceLengths.ZeroPadding(hidden, lengths, T, H);
    }

    /// <summary>Each sequence's h after its last real step, <c>[B, H]</c>.</summary>
    public static void FinalState(ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, LayerShape s, ReadOnlySpan<int> lengths, Span<float> finalState)
    {
        LayerArguments.FinalState(s, lengths, cache, CacheLength(s), hidden, finalState, StateLength(s.Units));
        SequenceLengths.CopyLast(hidden, lengths, s.Batch, s.Timesteps, s.Units, finalState, s.Units, 0);
    }

    /// <summary>Backpropagation through time for the last <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, LayerShape, Activation, Span{float}, Span{float})"/> on the same x, parameters and cache.</summary>
    /// <param name="x">Inputs <c>[B, T, I]</c> given to Forward.</param>
    /// <param name="parameters">The layer's parameters.</param>
    /// <param name="cache">What Forward kept.</param>
    /// <param name="hidden">The outputs of Forward, <c>[B, T, H]</c>.</param>
    /// <param name="s">Sizes.</param>
    /// <param name="activation">The activation Forward used.</param>
    /// <param name="dHidden">d loss / d h_t from above for every t, <c>[B, T, H]</c> (zeros where unused); on return, the total d loss / d h_t (through the later steps too) unless dx shares its memory.</param>
    /// <param name="dParameters">Gradients, accumulated (<c>+=</c>), same layout as <paramref name="parameters"/>.</param>
    /// <param name="dx">d loss / d x, <c>[B, T, I]</c>, overwritten; empty to skip it (first layer).</param>
    /// <param name="workspace">At least <see cref="WorkspaceLength"/> floats of scratch. The spans Backward writes (dHidden, dParameters, dx and workspace) must not overlap one another or the spans it reads; only dx may overlap dHidden.</param>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, LayerShape s, Activation activation,
                                Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> workspace) =>
        Backward(x, parameters, cache, hidden, s, activation, default, default, dHidden, dParameters, dx, default, workspace);

    /// <summary>Backpropagation through time for the last Forward with the same lengths and no dropout, from the gradients of the outputs and of the final states.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, LayerShape s, Activation activation,
                                ReadOnlySpan<int> lengths, ReadOnlySpan<float> dFinalState,
                                Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> dInitialState, Span<float> workspace) =>
        BackwardWithDropout(x, parameters, cache, hidden, s, activation, lengths, dFinalState, default, dHidden, dParameters, dx, dInitialState, workspace);

    /// <summary>Backpropagation through time for the last Forward with the same lengths and recurrent mask, from the gradients of the outputs and of the final states.</summary>
    /// <param name="x">Inputs <c>[B, T, I]</c> given to Forward.</param>
    /// <param name="parameters">The layer's parameters.</param>
    /// <param name="cache">What Forward kept.</param>
    /// <param name="hidden">The outputs of Forward, <c>[B, T, H]</c>.</param>
    /// <param name="s">Sizes.</param>
    /// <param name="activation">The activation Forward used.</param>
    /// <param name="lengths">The lengths Forward was given.</param>
    /// <param name="dFinalState">d loss / d final h <c>[B, H]</c> (<see cref="FinalState"/>), added at each last real step; empty: none.</param>
    /// <param name="recurrentMask">The recurrent dropout mask Forward used (empty: none).</param>
    /// <param name="dHidden">d loss / d h_t from above for every t, <c>[B, T, H]</c> (zeros where unused); on return, the total d loss / d h_t (through the later steps too) unless dx shares its memory.</param>
    /// <param name="dParameters">Gradients, accumulated (<c>+=</c>), same layout as <paramref name="parameters"/>.</param>
    /// <param name="dx">d loss / d x, <c>[B, T, I]</c>, overwritten; empty to skip it (first layer).</param>
    /// <param name="dInitialState">d loss / d h_{-1} <c>[B, H]</c>, overwritten; empty to skip it.</param>
    /// <param name="workspace">At least <see cref="WorkspaceLength"/> floats of scratch. The spans Backward writes (dHidden, dParameters, dx, dInitialState and workspace) must not overlap one another or the spans it reads; only dx may overlap dHidden.</param>
    public static void BackwardWithDropout(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, LayerShape s, Activation activation,
                                ReadOnlySpan<int> lengths, ReadOnlySpan<float> dFinalState, ReadOnlySpan<float> recurrentMask,
                                Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> dInitialState, Span<float> workspace)
    {
        LayerArguments.Shape(s);
        DropoutMask.CheckRecurrent(recurrentMask, s, dHidden, "dHidden");
        LayerArguments.ElementwiseActivation(activation, nameof(activation));
        LayerArguments.Sequences(s, x, parameters, ParameterCount(s.Inputs, s.Units), cache, CacheLength(s), hidden);
        LayerArguments.SequenceGradients(s, x, parameters, cache, hidden, dHidden, dParameters, dx, workspace, WorkspaceLength(s));
        LayerArguments.StateGradients(s, lengths, StateLength(s.Units), x, parameters, cache, hidden, dFinalState, dHidden, dParameters, dx, dInitialState, workspace, WorkspaceLength(s));
        int B = s.Batch, T = s.Timesteps, I = s.Inputs, H = s.Units;
        int rows = B * T, sequence = T * H;
        ReadOnlySpan<float> kernel = parameters[..(I * H)];
        ReadOnlySpan<float> recurrent = parameters.Slice(I * H, H * H);
        ReadOnlySpan<float> initial = cache[(rows * H)..];
        // Forward zeroed the outputs past each sequence's end: nothing flows back from them.
        if (!lengths.IsEmpty)
            SequenceLengths.ZeroPadding(dHidden, lengths, T, H);
        if (!dFinalState.IsEmpty)
            SequenceLengths.AddToLast(dFinalState, H, 0, lengths, B, T, H, dHidden);

        // dP = d loss / d pre-activation [B, T, H], step by step from the last:
        // dP_t = dh_t ⊙ act'(h_t), then dh_{t-1} += dP_t·Whᵀ.
        Span<float> dP = workspace[..(rows * H)];
        // Transposed once so that every product below runs in the kernels' fastest (A·B) form.
        Span<float> recurrentT = workspace.Slice(rows * H, H * H);
        Span<float> kernelT = workspace.Slice((rows * H) + (H * H), H * I);
        Span<float> previousHidden = workspace.Slice((rows * H) + (H * (H + I)), rows * H);
        MatMul.Transpose(recurrent, H, H, recurrentT);
        for (int t = T - 1; t >= 0; t--)
        {
            for (int b = 0; b < B; b++)
            {
                int offset = b * sequence + t * H;
                ElementwiseActivation.MultiplyByDerivative(activation, hidden.Slice(offset, H), dHidden.Slice(offset, H), dP.Slice(offset, H));
            }
            if (t > 0)
            {
                MatMul.MultiplyAdd(dP[(t * H)..], sequence, recurrentT, H, B, H, H, DropoutMask.PreviousHiddenGradient(dHidden, previousHidden, recurrentMask, s, t), sequence);
                DropoutMask.AddPreviousHiddenGradient(dHidden, previousHidden, recurrentMask, s, t);
            }
        }
        if (!dInitialState.IsEmpty)
        {
            dInitialState.Clear();
            MatMul.MultiplyAdd(dP, sequence, recurrentT, H, B, H, H, dInitialState, H);
            DropoutMask.MaskInitialHiddenGradient(dInitialState, H, recurrentMask, s);
        }

        // Weight gradients over all B*T rows at once.
        BatchRows.AccumulateWeightGradients(x, hidden, initial, H, dP, s, H, dParameters, previousHidden, recurrentMask);

        if (!dx.IsEmpty)
        {
            dx.Clear();
            MatMul.Transpose(kernel, I, H, kernelT);
            MatMul.MultiplyAdd(dP, H, kernelT, I, rows, H, I, dx, I);
        }
    }

    /// <summary>The output at each sequence's last (real) step, <c>[B, U]</c>.</summary>
    public static void LastStep(ReadOnlySpan<float> output, LayerShape s, ReadOnlySpan<int> lengths, Span<float> last) =>
        SequenceLengths.Last(output, lengths, s.Timesteps, s.Units, last);

    /// <summary>The gradient of <see cref="LastStep"/>: <paramref name="dLast"/> at each last step, zero elsewhere.</summary>
    public static void LastStepBackward(ReadOnlySpan<float> dLast, LayerShape s, ReadOnlySpan<int> lengths, Span<float> dOutput) =>
        SequenceLengths.LastBackward(dLast, lengths, s.Timesteps, s.Units, dOutput);

    /// <summary>Advances <paramref name="batch"/> independent streams by one timestep.</summary>
    /// <param name="x">This timestep's inputs <c>[batch, I]</c>.</param>
    /// <param name="parameters">The layer's parameters.</param>
    /// <param name="batch">Streams.</param>
    /// <param name="inputs">I.</param>
    /// <param name="units">H.</param>
    /// <param name="activation">Linear, Tanh, Sigmoid or Relu.</param>
    /// <param name="state">h of each stream <c>[batch, H]</c>, read and updated (zeros to start).</param>
    /// <param name="scratch">At least <c>batch × StepScratchLength(I, H)</c> floats.</param>
    /// <param name="output">The new h <c>[batch, H]</c>; must not overlap <paramref name="state"/>.</param>
    public static void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Activation activation,
                            Span<float> state, Span<float> scratch, Span<float> output)
    {
        LayerArguments.ElementwiseActivation(activation, nameof(activation));
        LayerArguments.Step(batch, inputs, units, x, parameters, ParameterCount(inputs, units), state, StateLength(units), scratch, StepScratchLength(inputs, units), output);
        int B = batch, I = inputs, H = units, K = I + H;
        // Wk [I, H] directly precedes Wh [H, H], so x·Wk + h·Wh = [x | h]·[Wk; Wh], one product over I + H.
        ReadOnlySpan<float> stacked = parameters[..(K * H)];   // [I + H, H]
        ReadOnlySpan<float> bias = parameters[(K * H)..];
        Span<float> xh = scratch[..(B * K)];                   // [batch, I + H]

        BatchRows.Broadcast(bias, B, output, H);
        BatchRows.StackInputs(x, I, state, H, H, B, xh);
        MatMul.MultiplyAdd(xh, K, stacked, H, B, K, H, output, H);
        ElementwiseActivation.Apply(activation, output, output);
        output.CopyTo(state);
    }
}
