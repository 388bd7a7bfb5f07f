using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using FastSeq.Kernels;

namespace FastSeq.Layers;

/// <summary>
/// LSTM with PyTorch's equations and gate order i, f, g, o:
/// <c>[i f g o] = [σ σ tanh σ](x_t·Wk + h_{t-1}·Wh + b)</c>, <c>c_t = f ⊙ c_{t-1} + i ⊙ g</c>,
/// <c>h_t = o ⊙ tanh(c_t)</c>, from <c>h_{-1} = c_{-1} = 0</c> or a given initial state.
/// Parameters, in order: kernel <c>Wk [I, 4H]</c>, recurrent kernel <c>Wh [H, 4H]</c>, bias <c>b [4H]</c>
/// (PyTorch's <c>bias_ih + bias_hh</c>). Activations are batch-major: <c>x [B, T, I]</c>, <c>hidden [B, T, H]</c>.
/// </summary>
public sealed class LstmLayer : IRecurrentLayer
{
    private LstmLayer() { }

    private const int G = 4;

    /// <summary>Floats of parameters: <c>4(I*H + H*H + H)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ParameterCount(int inputs, int units)
    {
        LayerArguments.Positive(inputs, nameof(inputs));
        LayerArguments.Positive(units, nameof(units));
        return checked((int)LayerCatalog.Lstm.ParameterCount(inputs, units));
    }

    /// <summary>Floats Forward keeps for Backward: activated gates <c>[B, T, 4H]</c>, cells <c>c [B, T, H]</c>, then the initial state <c>[B, 2H]</c>.</summary>
    public static int CacheLength(LayerShape s)
    {
        LayerArguments.Shape(s);
        return checked(s.Batch * ((s.Timesteps * (G + 1)) + 2) * s.Units);
    }

    /// <summary>
    /// Scratch floats Backward needs: gate gradients <c>[B, T, 4H]</c>, the cell gradient carried back
    /// <c>[B, H]</c>, the transposed weights <c>[4H, H + I]</c>, and h_prev <c>[B, T, H]</c> for the weight gradient.
    /// </summary>
    public static int WorkspaceLength(LayerShape s)
    {
        LayerArguments.Shape(s);
        return checked((s.Batch * ((s.Timesteps * (G + 1)) + 1) * s.Units) + (G * s.Units * (s.Units + s.Inputs)));
    }

    /// <summary>Floats of streaming state per stream: h then c.</summary>
    public static int StateLength(int units)
    {
        LayerArguments.Positive(units, nameof(units));
        return checked(2 * units);
    }

    /// <summary>Scratch floats per stream for <see cref="Step(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Activation, Span{float}, Span{float}, Span{float})"/>: the gates <c>4H</c>, then x and h side by side, <c>I + H</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int StepScratchLength(int inputs, int units)
    {
        LayerArguments.Positive(inputs, nameof(inputs));
        LayerArguments.Positive(units, nameof(units));
        return checked((G * units) + inputs + units);
    }

    /// <summary>Keras defaults: glorot-uniform kernel, orthogonal recurrent kernel, zero bias but 1 for the forget gate.</summary>
    public static void Initialize(Span<float> parameters, int inputs, int units, Random random)
    {
        LayerArguments.Length(parameters.Length, ParameterCount(inputs, units), "ParameterCount(I, H)", nameof(parameters));
        ArgumentNullException.ThrowIfNull(random);
        int I = inputs, H = units;
        Initializers.GlorotUniform(parameters[..(I * G * H)], I, G * H, random);
        Initializers.Orthogonal(parameters.Slice(I * G * H, H * G * H), H, G * H, random);
        Span<float> bias = parameters[((I + H) * G * H)..];
        bias.Clear();
        bias.Slice(H, H).Fill(1f);
    }

    /// <summary>Runs the layer over whole sequences from a zero initial state.</summary>
    /// <param name="x">Inputs <c>[B, T, I]</c>.</param>
    /// <param name="parameters">The layer's parameters, <see cref="ParameterCount"/> floats.</param>
    /// <param name="s">Sizes.</param>
    /// <param name="activation">The cell activation: <see cref="Activation.Tanh"/>, the only one the gates' equations take.</param>
    /// <param name="cache">Kept for Backward: <see cref="CacheLength"/> floats.</param>
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
    /// <param name="activation"><see cref="Activation.Tanh"/>.</param>
    /// <param name="lengths">Each sequence's real steps (<see cref="SequenceLengths"/>); empty: all full. The outputs past them are zero.</param>
    /// <param name="initialState">h_{-1} then c_{-1} of each sequence <c>[B, 2H]</c>; empty: zeros.</param>
    /// <param name="recurrentMask">Recurrent dropout: <c>h_{t-1} ⊙ recurrentMask[b]</c> enters the recurrent product, h_{-1} included (<see cref="DropoutMask"/>; empty: none).</param>
    /// <param name="cache">Kept for Backward: <see cref="CacheLength"/> floats.</param>
    /// <param name="hidden">Output <c>[B, T, H]</c>, every timestep.</param>
    public static void ForwardWithDropout(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation,
                               ReadOnlySpan<int> lengths, ReadOnlySpan<float> initialState, ReadOnlySpan<float> recurrentMask, Span<float> cache, Span<float> hidden)
    {
        LayerArguments.CellActivation(activation, nameof(activation));
        LayerArguments.Shape(s);
        DropoutMask.CheckRecurrent(recurrentMask, s, hidden, "hidden");
        LayerArguments.Sequences(s, x, parameters, ParameterCount(s.Inputs, s.Units), cache, CacheLength(s), hidden);
        LayerArguments.InitialState(s, lengths, initialState, StateLength(s.Units), cache, hidden);
        int B = s.Batch, T = s.Timesteps, I = s.Inputs, H = s.Units;
        int rows = B * T, gateRow = G * H;
        ReadOnlySpan<float> kernel = parameters[..(I * gateRow)];                 // [I, 4H]
        ReadOnlySpan<float> recurrent = parameters.Slice(I * gateRow, H * gateRow); // [H, 4H]
        ReadOnlySpan<float> bias = parameters[((I + H) * gateRow)..];             // [4H]
        Span<float> gates = cache[..(rows * gateRow)];                            // [B, T, 4H]
        Span<float> cells = cache.Slice(rows * gateRow, rows * H);                // [B, T, H]
        Span<float> initial = cache[(rows * (gateRow + H))..];                    // [B, 2H] h_{-1} then c_{-1}
        BatchRows.KeepInitialState(initialState, initial);
        bool hasInitial = !initialState.IsEmpty;

        if (FusedCells.ServesForward(B, H, recurrentMask))
        {
            // One sequence, or the sequences of a small layer one by one at each step: each step's products over
            // [x_t | h_{t-1}] fused with its cell, from the bias.
            ReadOnlySpan<float> stacked = parameters[..((I + H) * gateRow)];
            for (int t = 0; t < T; t++)
            {
                ReadOnlySpan<float> previous = DropoutMask.RecurrentInput(hidden, hasInitial ? initial : default, 2 * H, recurrentMask, s, t, out int ld);
                for (int b = 0; b < B; b++)
                {
                    int row = (b * T) + t;
                    ReadOnlySpan<float> h = previous.IsEmpty ? default : previous.Slice(b * ld, H);
                    ReadOnlySpan<float> c = t > 0 ? cells.Slice((row - 1) * H, H) : hasInitial ? initial.Slice((b * 2 * H) + H, H) : default;
                    FusedCells.Lstm(bias, x.Slice(row * I, I), h, stacked, c, cells.Slice(row * H, H), hidden.Slice(row * H, H), gates.Slice(row * gateRow, gateRow));
                }
            }
        }
        else
        {
            // Input projection of every timestep at once: gates = b + x·Wk, [B*T, 4H].
            BatchRows.Broadcast(bias, rows, gates, gateRow);
            MatMul.MultiplyAdd(x, I, kernel, gateRow, rows, I, gateRow, gates, gateRow);
            for (int t = 0; t < T; t++)
            {
                // Rows of timestep t sit T*H (hidden) and T*4H (gates) apart: gates[:, t] += h[:, t-1]·Wh (h_{-1} only if given).
                ReadOnlySpan<float> previous = DropoutMask.RecurrentInput(hidden, hasInitial ? initial : default, 2 * H, recurrentMask, s, t, out int ld);
                if (!previous.IsEmpty)
                    MatMul.MultiplyAdd(previous, ld, recurrent, gateRow, B, H, gateRow, gates[(t * gateRow)..], T * gateRow);
                for (int b = 0; b < B; b++)
                {
                    int row = b * T + t;
                    Span<float> cell = cells.Slice(row * H, H);
                    (t > 0 ? cells.Slice((row - 1) * H, H) : initial.Slice((b * 2 * H) + H, H)).CopyTo(cell);
                    GateActivations.LstmCell(gates.Slice(row * gateRow, gateRow), cell, hidden.Slice(row * H, H));
                }
            }
        }
        if (!lengths.IsEmpty)
            SequenceLengths.ZeroPadding(hidden, lengths, T, H);
    }


    /// <summary>Each sequence's h then c after its last real step, <c>[B, 2H]</c>.</summary>
    public static void FinalState(ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, LayerShape s, ReadOnlySpan<int> lengths, Span<float> finalState)
    {
        LayerArguments.FinalState(s, lengths, cache, CacheLength(s), hidden, finalState, StateLength(s.Units));
        int B = s.Batch, T = s.Timesteps, H = s.Units, rows = B * T;
        SequenceLengths.CopyLast(hidden, lengths, B, T, H, finalState, 2 * H, 0);
        SequenceLengths.CopyLast(cache.Slice(rows * G * H, rows * H), lengths, B, T, H, finalState, 2 * H, H);
    }

    /// <summary>Backpropagation through time for the last Forward on the same x, parameters and cache.</summary>
    /// <param name="x">Inputs <c>[B, T, I]</c> given to Forward.</param>
    /// <param name="parameters">The layer's parameters.</param>
    /// <param name="cache">What Forward kept.</param>
    /// <param name="hidden">The outputs of Forward, <c>[B, T, H]</c>.</param>
    /// <param name="s">Sizes.</param>
    /// <param name="activation"><see cref="Activation.Tanh"/>.</param>
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
    /// <param name="activation"><see cref="Activation.Tanh"/>.</param>
    /// <param name="lengths">The lengths Forward was given.</param>
    /// <param name="dFinalState">d loss / d final h and c <c>[B, 2H]</c> (<see cref="FinalState"/>), entering at each last real step; empty: none.</param>
    /// <param name="recurrentMask">The recurrent dropout mask Forward used (empty: none).</param>
    /// <param name="dHidden">d loss / d h_t from above for every t, <c>[B, T, H]</c> (zeros where unused); on return, the total d loss / d h_t (through the later steps too) unless dx shares its memory.</param>
    /// <param name="dParameters">Gradients, accumulated (<c>+=</c>), same layout as <paramref name="parameters"/>.</param>
    /// <param name="dx">d loss / d x, <c>[B, T, I]</c>, overwritten; empty to skip it (first layer).</param>
    /// <param name="dInitialState">d loss / d h_{-1} and c_{-1} <c>[B, 2H]</c>, overwritten; empty to skip it.</param>
    /// <param name="workspace">At least <see cref="WorkspaceLength"/> floats of scratch. The spans Backward writes (dHidden, dParameters, dx, dInitialState and workspace) must not overlap one another or the spans it reads; only dx may overlap dHidden.</param>
    public static void BackwardWithDropout(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, LayerShape s, Activation activation,
                                ReadOnlySpan<int> lengths, ReadOnlySpan<float> dFinalState, ReadOnlySpan<float> recurrentMask,
                                Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> dInitialState, Span<float> workspace)
    {
        LayerArguments.CellActivation(activation, nameof(activation));
        LayerArguments.Shape(s);
        DropoutMask.CheckRecurrent(recurrentMask, s, dHidden, "dHidden");
        LayerArguments.Sequences(s, x, parameters, ParameterCount(s.Inputs, s.Units), cache, CacheLength(s), hidden);
        LayerArguments.SequenceGradients(s, x, parameters, cache, hidden, dHidden, dParameters, dx, workspace, WorkspaceLength(s));
        LayerArguments.StateGradients(s, lengths, StateLength(s.Units), x, parameters, cache, hidden, dFinalState, dHidden, dParameters, dx, dInitialState, workspace, WorkspaceLength(s));
        int B = s.Batch, T = s.Timesteps, I = s.Inputs, H = s.Units;
        int rows = B * T, gateRow = G * H;
        ReadOnlySpan<float> kernel = parameters[..(I * gateRow)];
        ReadOnlySpan<float> recurrent = parameters.Slice(I * gateRow, H * gateRow);
        ReadOnlySpan<float> gates = cache[..(rows * gateRow)];
        ReadOnlySpan<float> cells = cache.Slice(rows * gateRow, rows * H);
        ReadOnlySpan<float> initial = cache[(rows * (gateRow + H))..];       // [B, 2H]
        Span<float> dP = workspace[..(rows * gateRow)];                      // [B, T, 4H] d loss / d gate pre-activations
        Span<float> dCell = workspace.Slice(rows * gateRow, B * H);          // [B, H] d loss / d c_t through c_{t+1}
        dCell.Clear();
        // Transposed once so that every product below runs in the kernels' fastest (A·B) form.
        Span<float> recurrentT = workspace.Slice((rows * gateRow) + (B * H), gateRow * H);   // [4H, H]
        Span<float> kernelT = workspace.Slice((rows * gateRow) + (B * H) + (gateRow * H), gateRow * I); // [4H, I]
        Span<float> previousHidden = workspace.Slice((rows * gateRow) + (B * H) + (gateRow * (H + I)), rows * H); // [B, T, H]
        MatMul.Transpose(recurrent, H, gateRow, recurrentT);
        // Forward zeroed the outputs past each sequence's end: nothing flows back from them.
        if (!lengths.IsEmpty)
            SequenceLengths.ZeroPadding(dHidden, lengths, T, H);
        // The final h's gradient joins dh at each last real step; the final c's joins the carried dc there.
        if (!dFinalState.IsEmpty)
            SequenceLengths.AddToLast(dFinalState, 2 * H, 0, lengths, B, T, H, dHidden);

        for (int t = T - 1; t >= 0; t--)
        {
            for (int b = 0; b < B; b++)
            {
                int row = b * T + t;
                if (!dFinalState.IsEmpty && t == SequenceLengths.Of(lengths, b, T) - 1)
                    TensorPrimitives.Add(dCell.Slice(b * H, H), dFinalState.Slice((b * 2 * H) + H, H), dCell.Slice(b * H, H));
                ReadOnlySpan<float> gate = gates.Slice(row * gateRow, gateRow);
                ReadOnlySpan<float> previousCell = t > 0 ? cells.Slice((row - 1) * H, H) : initial.Slice((b * 2 * H) + H, H);
                GateGradients(gate, cells.Slice(row * H, H), previousCell, dHidden.Slice(row * H, H), dCell.Slice(b * H, H), dP.Slice(row * gateRow, gateRow));
            }
            // dh_{t-1} += dP_t·Whᵀ, masked as h_{t-1} was.
            if (t > 0)
            {
                MatMul.MultiplyAdd(dP[(t * gateRow)..], T * gateRow, recurrentT, H, B, gateRow, H, DropoutMask.PreviousHiddenGradient(dHidden, previousHidden, recurrentMask, s, t), T * H);
                DropoutMask.AddPreviousHiddenGradient(dHidden, previousHidden, recurrentMask, s, t);
            }
        }
        if (!dInitialState.IsEmpty)
        {
            // dh_{-1} = dP_0·Whᵀ; dc_{-1} is what the loop carried past t = 0.
            dInitialState.Clear();
            MatMul.MultiplyAdd(dP, T * gateRow, recurrentT, H, B, gateRow, H, dInitialState, 2 * H);
            DropoutMask.MaskInitialHiddenGradient(dInitialState, 2 * H, recurrentMask, s);
            for (int b = 0; b < B; b++)
                dCell.Slice(b * H, H).CopyTo(dInitialState.Slice((b * 2 * H) + H, H));
        }

        // Weight gradients over all B*T rows at once.
        BatchRows.AccumulateWeightGradients(x, hidden, initial, 2 * H, dP, s, gateRow, dParameters, previousHidden, recurrentMask);

        if (!dx.IsEmpty)
        {
            dx.Clear();
            MatMul.Transpose(kernel, I, gateRow, kernelT);
            MatMul.MultiplyAdd(dP, gateRow, kernelT, I, rows, gateRow, I, dx, I);
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
    /// <param name="activation"><see cref="Activation.Tanh"/>.</param>
    /// <param name="state">h then c of each stream <c>[batch, 2H]</c>, read and updated (zeros to start).</param>
    /// <param name="scratch">At least <c>batch × StepScratchLength(I, H)</c> floats.</param>
    /// <param name="output">The new h <c>[batch, H]</c>; must not overlap <paramref name="state"/>.</param>
    public static void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Activation activation,
                            Span<float> state, Span<float> scratch, Span<float> output)
    {
        LayerArguments.CellActivation(activation, nameof(activation));
        LayerArguments.Step(batch, inputs, units, x, parameters, ParameterCount(inputs, units), state, StateLength(units), scratch, StepScratchLength(inputs, units), output);
        StepStreams(x, parameters, batch, inputs, units, state, scratch, output);
    }

    /// <summary>
    /// Advances one stream by one timestep and leaves its new h at the start of its state, where the next layer can read it:
    /// <see cref="Step(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Activation, Span{float}, Span{float}, Span{float})"/>
    /// for one stream, with the same bits, without an output to copy h from.
    /// </summary>
    /// <param name="x">This timestep's input <c>[I]</c>.</param>
    /// <param name="parameters">The layer's parameters.</param>
    /// <param name="inputs">I.</param>
    /// <param name="units">H.</param>
    /// <param name="activation"><see cref="Activation.Tanh"/>.</param>
    /// <param name="state">h then c <c>[2H]</c>, read and updated (zeros to start); the new h is its first H floats.</param>
    /// <param name="scratch">At least <c>StepScratchLength(I, H)</c> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int inputs, int units, Activation activation,
                            Span<float> state, Span<float> scratch)
    {
        LayerArguments.CellActivation(activation, nameof(activation));
        LayerArguments.StreamStep(inputs, x, parameters, ParameterCount(inputs, units), state, StateLength(units), scratch, StepScratchLength(inputs, units));
        int H = units, K = inputs + H;
        if (!FusedCells.Serves(H))
        {
            // The batched products copy h out before the cell writes the new one over it.
            StepStreams(x, parameters, 1, inputs, H, state, scratch, state[..H]);
            return;
        }
        Span<float> h = state[..H], c = state.Slice(H, H);
        Span<float> y = FusedCells.ReadsAllOfHFirst(H) ? h : scratch[..H];
        FusedCells.Lstm(parameters[(K * G * H)..], x, h, parameters[..(K * G * H)], c, c, y, default);
        if (y != h)
            y.CopyTo(h);
    }

    // Step's work after its checks; output may be the state's h when there is one stream and the products are not fused.
    private static void StepStreams(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units,
                                    Span<float> state, Span<float> scratch, Span<float> output)
    {
        int B = batch, I = inputs, H = units, gateRow = G * H, K = I + H;
        // Wk [I, 4H] directly precedes Wh [H, 4H], so x·Wk + h·Wh = [x | h]·[Wk; Wh], one product over I + H.
        ReadOnlySpan<float> stacked = parameters[..(K * gateRow)];         // [I + H, 4H]
        ReadOnlySpan<float> bias = parameters[(K * gateRow)..];
        if (B == 1 ? FusedCells.Serves(H) : FusedCells.ServesBatches(H))
        {
            // Stream by stream: the product fused with the cell, reading x and h where they are.
            for (int b = 0; b < B; b++)
            {
                Span<float> streamState = state.Slice(b * 2 * H, 2 * H), h = output.Slice(b * H, H), c = streamState[H..];
                FusedCells.Lstm(bias, x.Slice(b * I, I), streamState[..H], stacked, c, c, h, default);
                h.CopyTo(streamState);
            }
            return;
        }
        Span<float> gates = scratch[..(B * gateRow)];                      // [batch, 4H]
        Span<float> xh = scratch.Slice(B * gateRow, B * K);                // [batch, I + H]

        BatchRows.Broadcast(bias, B, gates, gateRow);
        BatchRows.StackInputs(x, I, state, 2 * H, H, B, xh);
        MatMul.MultiplyAdd(xh, K, stacked, gateRow, B, K, gateRow, gates, gateRow);
        for (int b = 0; b < B; b++)
        {
            Span<float> streamState = state.Slice(b * 2 * H, 2 * H);
            Span<float> h = output.Slice(b * H, H);
            GateActivations.LstmCell(gates.Slice(b * gateRow, gateRow), streamState[H..], h);
            h.CopyTo(streamState);
        }
    }

    /// <summary>
    /// One timestep of one sample backwards: from dh_t and the carried dc, the gradients of the four gate
    /// pre-activations into <paramref name="dP"/> <c>[4H]</c>; <paramref name="dCell"/> becomes dc_{t-1} = dc_t ⊙ f.
    /// </summary>
    private static void GateGradients(ReadOnlySpan<float> gate, ReadOnlySpan<float> cell, ReadOnlySpan<float> previousCell, ReadOnlySpan<float> dh, Span<float> dCell, Span<float> dP)
    {
        int H = cell.Length;
        ReadOnlySpan<float> i = gate[..H], f = gate.Slice(H, H), g = gate.Slice(2 * H, H), o = gate.Slice(3 * H, H);
        Span<float> dI = dP[..H], dF = dP.Slice(H, H), dG = dP.Slice(2 * H, H), dO = dP.Slice(3 * H, H);
        dh = dh[..H];
        dCell = dCell[..H];

        // dO holds tanh(c_t) until its own value replaces it, element by element.
        GateActivations.GateTanh(cell, dO);
        int j = 0;
        for (; j <= H - Vector<float>.Count; j += Vector<float>.Count)
        {
            Vector<float> vi = new(i[j..]), vf = new(f[j..]), vg = new(g[j..]), vo = new(o[j..]), vdh = new(dh[j..]), tanhC = new(dO[j..]);
            Vector<float> cPrevious = new(previousCell[j..]);
            Vector<float> dc = new Vector<float>(dCell[j..]) + (vdh * vo * (Vector<float>.One - (tanhC * tanhC)));
            (dc * vg * vi * (Vector<float>.One - vi)).CopyTo(dI[j..]);
            (dc * cPrevious * vf * (Vector<float>.One - vf)).CopyTo(dF[j..]);
            (dc * vi * (Vector<float>.One - (vg * vg))).CopyTo(dG[j..]);
            (vdh * tanhC * vo * (Vector<float>.One - vo)).CopyTo(dO[j..]);
            (dc * vf).CopyTo(dCell[j..]);
        }
        for (; j < H; j++)
        {
            float tanhC = dO[j];
            float dc = dCell[j] + dh[j] * o[j] * (1f - tanhC * tanhC);
            float cPrevious = previousCell[j];
            dI[j] = dc * g[j] * i[j] * (1f - i[j]);
            dF[j] = dc * cPrevious * f[j] * (1f - f[j]);
            dG[j] = dc * i[j] * (1f - g[j] * g[j]);
            dO[j] = dh[j] * tanhC * o[j] * (1f - o[j]);
            dCell[j] = dc * f[j];
        }
    }
}
