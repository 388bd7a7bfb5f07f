using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using FastSeq.Kernels;

namespace FastSeq.Layers;

/// <summary>
/// GRU with PyTorch's equations and gate order r, z, n (Keras <c>reset_after=True</c>):
/// <c>r = σ(x_t·Wk_r + b_ir + h_{t-1}·Wh_r + b_hr)</c>, z likewise,
/// <c>n = tanh(x_t·Wk_n + b_in + r ⊙ (h_{t-1}·Wh_n + b_hn))</c>, <c>h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}</c>, from <c>h_{-1} = 0</c>
/// or a given initial state.
/// Parameters, in order: kernel <c>Wk [I, 3H]</c>, recurrent kernel <c>Wh [H, 3H]</c>, biases <c>[2, 3H]</c>:
/// input bias <c>b_i</c> then recurrent bias <c>b_h</c> (kept apart, as PyTorch does).
/// Activations are batch-major: <c>x [B, T, I]</c>, <c>hidden [B, T, H]</c>.
/// </summary>
public sealed class GruLayer : IRecurrentLayer
{
    private GruLayer() { }

    private const int G = 3;

    /// <summary>Floats of parameters: <c>3(I*H + H*H + 2H)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ParameterCount(int inputs, int units)
    {
        LayerArguments.Positive(inputs, nameof(inputs));
        LayerArguments.Positive(units, nameof(units));
        return checked((int)LayerCatalog.Gru.ParameterCount(inputs, units));
    }

    /// <summary>
    /// Floats Forward keeps for Backward: activated gates r, z, n <c>[B, T, 3H]</c>, the recurrent part of n,
    /// <c>h_{t-1}·Wh_n + b_hn</c> <c>[B, T, H]</c>, then the initial state <c>[B, H]</c>.
    /// </summary>
    public static int CacheLength(LayerShape s)
    {
        LayerArguments.Shape(s);
        return checked(s.Batch * ((s.Timesteps * (G + 1)) + 1) * s.Units);
    }

    /// <summary>
    /// Scratch floats Backward needs: gradients of the recurrent pre-activations <c>[B, T, 3H]</c>,
    /// of the input pre-activation of n <c>[B, T, H]</c>, the transposed weights <c>[3H, H + I]</c>, and h_prev
    /// <c>[B, T, H]</c> for the weight gradient.
    /// </summary>
    public static int WorkspaceLength(LayerShape s)
    {
        LayerArguments.Shape(s);
        return checked((s.Batch * s.Timesteps * (G + 2) * s.Units) + (G * s.Units * (s.Units + s.Inputs)));
    }

    /// <summary>Floats of streaming state per stream: h.</summary>
    public static int StateLength(int units)
    {
        LayerArguments.Positive(units, nameof(units));
        return units;
    }

    /// <summary>Scratch floats per stream for <see cref="Step(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Activation, Span{float}, Span{float}, Span{float})"/>: the gates <c>3H</c>, then the recurrent part of n <c>H</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int StepScratchLength(int inputs, int units)
    {
        LayerArguments.Positive(inputs, nameof(inputs));
        LayerArguments.Positive(units, nameof(units));
        return checked((G + 1) * units);
    }

    /// <summary>Keras defaults: glorot-uniform kernel, orthogonal recurrent kernel, zero biases.</summary>
    public static void Initialize(Span<float> parameters, int inputs, int units, Random random)
    {
        LayerArguments.Length(parameters.Length, ParameterCount(inputs, units), "ParameterCount(I, H)", nameof(parameters));
        ArgumentNullException.ThrowIfNull(random);
        int I = inputs, H = units;
        Initializers.GlorotUniform(parameters[..(I * G * H)], I, G * H, random);
        Initializers.Orthogonal(parameters.Slice(I * G * H, H * G * H), H, G * H, random);
        parameters[((I + H) * G * H)..].Clear();
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
    /// <param name="initialState">h_{-1} of each sequence <c>[B, H]</c>; empty: zeros.</param>
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
        ReadOnlySpan<float> kernel = parameters[..(I * gateRow)];                   // [I, 3H]
        ReadOnlySpan<float> recurrent = parameters.Slice(I * gateRow, H * gateRow); // [H, 3H]
        ReadOnlySpan<float> biases = parameters[((I + H) * gateRow)..];             // [2, 3H]
        Span<float> gates = cache[..(rows * gateRow)];                              // [B, T, 3H]
        Span<float> recurrentN = cache.Slice(rows * gateRow, rows * H);             // [B, T, H]
        Span<float> initial = cache[(rows * (gateRow + H))..];                      // [B, H] h_{-1}
        BatchRows.KeepInitialState(initialState, initial);
        bool hasInitial = !initialState.IsEmpty;

        if (FusedCells.ServesForward(B, H, recurrentMask))
        {
            // One sequence, or the sequences of a small layer one by one at each step: each step's products over
            // [x_t | h_{t-1}] fused with its cell.
            for (int t = 0; t < T; t++)
            {
                ReadOnlySpan<float> previous = DropoutMask.RecurrentInput(hidden, hasInitial ? initial : default, H, recurrentMask, s, t, out int ld);
                for (int b = 0; b < B; b++)
                {
                    int row = (b * T) + t;
                    // With a recurrent mask the products read h_{t-1} masked, the output's z ⊙ h h_{t-1} itself.
                    ReadOnlySpan<float> blended = t > 0 ? hidden.Slice((row - 1) * H, H) : hasInitial ? initial.Slice(b * H, H) : default;
                    FusedStep(x.Slice(row * I, I), previous.IsEmpty ? default : previous.Slice(b * ld, H), blended, parameters, I, H,
                              hidden.Slice(row * H, H), gates.Slice(row * gateRow, gateRow), recurrentN.Slice(row * H, H));
                }
            }
        }
        else
        {
            // Input projection of every timestep at once: gates = b + x·Wk, [B*T, 3H], with the recurrent
            // biases of r and z folded in; b_hn starts the recurrent part of n.
            StartProjections(biases, rows, gates, gateRow, recurrentN, H);
            MatMul.MultiplyAdd(x, I, kernel, gateRow, rows, I, gateRow, gates, gateRow);
            for (int t = 0; t < T; t++)
            {
                // Rows of timestep t sit T*H and T*3H apart: gates[:, t, r|z] += h[:, t-1]·Wh_rz, recurrentN[:, t] += h[:, t-1]·Wh_n
                // (h_{-1} only if given), h_{t-1} masked by the recurrent dropout mask if any.
                ReadOnlySpan<float> previous = DropoutMask.RecurrentInput(hidden, hasInitial ? initial : default, H, recurrentMask, s, t, out int ld);
                if (!previous.IsEmpty)
                {
                    MatMul.MultiplyAdd(previous, ld, recurrent, gateRow, B, H, 2 * H, gates[(t * gateRow)..], T * gateRow);
                    MatMul.MultiplyAdd(previous, ld, recurrent[(2 * H)..], gateRow, B, H, H, recurrentN[(t * H)..], T * H);
                }
                for (int b = 0; b < B; b++)
                {
                    int row = b * T + t;
                    ReadOnlySpan<float> previousH = t > 0 ? hidden.Slice((row - 1) * H, H) : hasInitial ? initial.Slice(b * H, H) : default;
                    GateActivations.GruCell(gates.Slice(row * gateRow, gateRow), recurrentN.Slice(row * H, H), previousH, hidden.Slice(row * H, H));
                }
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
        ReadOnlySpan<float> recurrentN = cache.Slice(rows * gateRow, rows * H);
        ReadOnlySpan<float> initial = cache[(rows * (gateRow + H))..];       // [B, H]
        // The pre-activation gradients of r and z are the same for both projections; those of n differ
        // by the factor r: dRecurrentP holds [dr, dz, dn ⊙ r] per row, dInputN holds dn.
        Span<float> dRecurrentP = workspace[..(rows * gateRow)];             // [B, T, 3H]
        Span<float> dInputN = workspace.Slice(rows * gateRow, rows * H);      // [B, T, H]
        // Transposed once so that every product below runs in the kernels' fastest (A·B) form.
        Span<float> recurrentT = workspace.Slice(rows * (gateRow + H), gateRow * H);                // [3H, H]
        Span<float> kernelT = workspace.Slice((rows * (gateRow + H)) + (gateRow * H), gateRow * I); // [3H, I]
        Span<float> previousHidden = workspace.Slice((rows * (gateRow + H)) + (gateRow * (H + I)), rows * H);   // [B, T, H]
        MatMul.Transpose(recurrent, H, gateRow, recurrentT);
        // Forward zeroed the outputs past each sequence's end: nothing flows back from them.
        if (!lengths.IsEmpty)
            SequenceLengths.ZeroPadding(dHidden, lengths, T, H);
        if (!dFinalState.IsEmpty)
            SequenceLengths.AddToLast(dFinalState, H, 0, lengths, B, T, H, dHidden);
        dInitialState.Clear();

        for (int t = T - 1; t >= 0; t--)
        {
            for (int b = 0; b < B; b++)
            {
                int row = b * T + t;
                ReadOnlySpan<float> previousH = t > 0 ? hidden.Slice((row - 1) * H, H) : initial.Slice(b * H, H);
                Span<float> dPreviousH = t > 0 ? dHidden.Slice((row - 1) * H, H) : dInitialState.IsEmpty ? default : dInitialState.Slice(b * H, H);
                GateGradients(gates.Slice(row * gateRow, gateRow), recurrentN.Slice(row * H, H), previousH, dHidden.Slice(row * H, H), dPreviousH,
                              dRecurrentP.Slice(row * gateRow, gateRow), dInputN.Slice(row * H, H));
            }
            // dh_{t-1} += dP_t·Whᵀ, masked as h_{t-1} was (the direct path through z was added above).
            if (t > 0)
            {
                MatMul.MultiplyAdd(dRecurrentP[(t * gateRow)..], T * gateRow, recurrentT, H, B, gateRow, H, DropoutMask.PreviousHiddenGradient(dHidden, previousHidden, recurrentMask, s, t), T * H);
                DropoutMask.AddPreviousHiddenGradient(dHidden, previousHidden, recurrentMask, s, t);
            }
            else if (!dInitialState.IsEmpty && recurrentMask.IsEmpty)
                MatMul.MultiplyAdd(dRecurrentP, T * gateRow, recurrentT, H, B, gateRow, H, dInitialState, H);
            else if (!dInitialState.IsEmpty)
            {
                // Masked as h_{-1} was: the product goes into step 0's rows of the scratch, then dh_{-1} += product ⊙ mask.
                MatMul.MultiplyAdd(dRecurrentP, T * gateRow, recurrentT, H, B, gateRow, H, DropoutMask.PreviousHiddenGradient(dHidden, previousHidden, recurrentMask, s, 0), T * H);
                DropoutMask.AddInitialHiddenGradient(previousHidden, recurrentMask, s, dInitialState);
            }
        }

        // Weight gradients over all B*T rows at once.
        Span<float> dKernel = dParameters[..(I * gateRow)];
        Span<float> dRecurrent = dParameters.Slice(I * gateRow, H * gateRow);
        Span<float> dInputBias = dParameters.Slice((I + H) * gateRow, gateRow);
        Span<float> dRecurrentBias = dParameters.Slice((I + H + 1) * gateRow, gateRow);
        MatMul.MultiplyAddTransposedA(x, I, dRecurrentP, gateRow, I, rows, 2 * H, dKernel, gateRow);
        MatMul.MultiplyAddTransposedA(x, I, dInputN, H, I, rows, H, dKernel[(2 * H)..], gateRow);
        BatchRows.AccumulateRecurrentGradient(hidden, initial, H, dRecurrentP, s, gateRow, dRecurrent, previousHidden, recurrentMask);
        BatchRows.AddColumnSums(dRecurrentP, rows, gateRow, dInputBias[..(2 * H)]);
        BatchRows.AddColumnSums(dInputN, rows, H, dInputBias[(2 * H)..]);
        BatchRows.AddColumnSums(dRecurrentP, rows, gateRow, dRecurrentBias);

        if (!dx.IsEmpty)
        {
            dx.Clear();
            MatMul.Transpose(kernel, I, gateRow, kernelT);
            MatMul.MultiplyAdd(dRecurrentP, gateRow, kernelT, I, rows, 2 * H, I, dx, I);
            MatMul.MultiplyAdd(dInputN, H, kernelT[(2 * H * I)..], I, rows, H, I, dx, I);
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
    /// <param name="state">h of each stream <c>[batch, H]</c>, read and updated (zeros to start).</param>
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
    /// Advances one stream by one timestep and leaves its new h in its state, where the next layer can read it:
    /// <see cref="Step(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Activation, Span{float}, Span{float}, Span{float})"/>
    /// for one stream, with the same bits, without an output to copy h from.
    /// </summary>
    /// <param name="x">This timestep's input <c>[I]</c>.</param>
    /// <param name="parameters">The layer's parameters.</param>
    /// <param name="inputs">I.</param>
    /// <param name="units">H.</param>
    /// <param name="activation"><see cref="Activation.Tanh"/>.</param>
    /// <param name="state">h <c>[H]</c>, read and overwritten by the new h (zeros to start).</param>
    /// <param name="scratch">At least <c>StepScratchLength(I, H)</c> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int inputs, int units, Activation activation,
                            Span<float> state, Span<float> scratch)
    {
        LayerArguments.CellActivation(activation, nameof(activation));
        LayerArguments.StreamStep(inputs, x, parameters, ParameterCount(inputs, units), state, StateLength(units), scratch, StepScratchLength(inputs, units));
        int H = units;
        if (!FusedCells.Serves(H))
        {
            // The batched products read h before the cell writes the new one over it, unit by unit.
            StepStreams(x, parameters, 1, inputs, H, state, scratch, state);
            return;
        }
        Span<float> y = FusedCells.ReadsAllOfHFirst(H) ? state : scratch[..H];
        FusedStep(x, state, state, parameters, inputs, H, y, default, default);
        if (y != state)
            y.CopyTo(state);
    }

    // Step's work after its checks; output may be the state itself when there is one stream and the products are not fused.
    private static void StepStreams(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units,
                                    Span<float> state, Span<float> scratch, Span<float> output)
    {
        int B = batch, I = inputs, H = units, gateRow = G * H, scratchRow = (G + 1) * H;
        ReadOnlySpan<float> recurrent = parameters.Slice(I * gateRow, H * gateRow);
        ReadOnlySpan<float> biases = parameters[((I + H) * gateRow)..];
        // Each stream's scratch row [4H]: the gates [3H], then the recurrent part of n [H], summed as Forward sums them.
        Span<float> gates = scratch[..(B * scratchRow)];
        Span<float> recurrentN = gates[gateRow..];
        if (B == 1 ? FusedCells.Serves(H) : FusedCells.ServesBatches(H))
        {
            for (int b = 0; b < B; b++)
                FusedStep(x.Slice(b * I, I), state.Slice(b * H, H), state.Slice(b * H, H), parameters, I, H, output.Slice(b * H, H), default, default);
        }
        else
        {
            StartProjections(biases, B, gates, scratchRow, recurrentN, scratchRow);
            MatMul.MultiplyAdd(x, I, parameters, gateRow, B, I, gateRow, gates, scratchRow);
            MatMul.MultiplyAdd(state, H, recurrent, gateRow, B, H, 2 * H, gates, scratchRow);
            MatMul.MultiplyAdd(state, H, recurrent[(2 * H)..], gateRow, B, H, H, recurrentN, scratchRow);
            for (int b = 0; b < B; b++)
                GateActivations.GruCell(gates.Slice(b * scratchRow, gateRow), recurrentN.Slice(b * scratchRow, H), state.Slice(b * H, H), output.Slice(b * H, H));
        }
        output.CopyTo(state);
    }

    /// <summary>
    /// One timestep of one sequence, the products over <c>[x | h]</c> fused with the cell (<c>FusedCells.Gru</c>), x, h
    /// and the biases read where they are (the kernel sums <c>b_i + b_h</c> for r and z as <see cref="StartProjections"/> does);
    /// <paramref name="blendedH"/> is the h of the output's <c>z ⊙ h</c>, <paramref name="previousH"/> itself unless masked.
    /// </summary>
    private static void FusedStep(ReadOnlySpan<float> x, ReadOnlySpan<float> previousH, ReadOnlySpan<float> blendedH, ReadOnlySpan<float> parameters, int I, int H,
                                  Span<float> y, Span<float> activated, Span<float> recurrentN)
    {
        int weights = (I + H) * G * H;
        FusedCells.Gru(parameters[weights..], x, previousH, blendedH, parameters[..weights], y, activated, recurrentN);
    }

    /// <summary>
    /// Starts the pre-activations before the products are added: each gates row <c>b_i + [b_hr, b_hz, 0]</c>,
    /// each recurrent-n row <c>b_hn</c>.
    /// </summary>
    private static void StartProjections(ReadOnlySpan<float> biases, int rows, Span<float> gates, int gatesLd, Span<float> recurrentN, int recurrentNLd)
    {
        int H = biases.Length / (2 * G);
        ReadOnlySpan<float> inputBias = biases[..(G * H)], recurrentBias = biases[(G * H)..];
        for (int r = 0; r < rows; r++)
        {
            Span<float> gate = gates.Slice(r * gatesLd, G * H);
            TensorPrimitives.Add(inputBias[..(2 * H)], recurrentBias[..(2 * H)], gate[..(2 * H)]);
            inputBias[(2 * H)..].CopyTo(gate[(2 * H)..]);
            recurrentBias[(2 * H)..].CopyTo(recurrentN.Slice(r * recurrentNLd, H));
        }
    }

    /// <summary>
    /// One timestep of one sample backwards: from dh_t, the pre-activation gradients <c>[dr, dz, dn ⊙ r]</c> of the
    /// recurrent projection into <paramref name="dRecurrentP"/> and dn into <paramref name="dInputN"/>; adds the direct
    /// path <c>dh_t ⊙ z</c> into <paramref name="dPreviousH"/> unless it is empty (at t = 0 when the initial state's gradient is not wanted).
    /// </summary>
    private static void GateGradients(ReadOnlySpan<float> gates, ReadOnlySpan<float> recurrentN, ReadOnlySpan<float> previousH, ReadOnlySpan<float> dh,
                                      Span<float> dPreviousH, Span<float> dRecurrentP, Span<float> dInputN)
    {
        int H = dh.Length;
        ReadOnlySpan<float> r = gates[..H], z = gates.Slice(H, H), n = gates.Slice(2 * H, H);
        Span<float> dR = dRecurrentP[..H], dZ = dRecurrentP.Slice(H, H), dRecurrentN = dRecurrentP.Slice(2 * H, H);
        recurrentN = recurrentN[..H];
        dInputN = dInputN[..H];
        dh = dh[..H];
        // Vectors, then the same expressions element by element for the units past the last whole vector.
        int j = 0;
        for (; j <= H - Vector<float>.Count; j += Vector<float>.Count)
        {
            Vector<float> vr = new(r[j..]), vz = new(z[j..]), vn = new(n[j..]), vdh = new(dh[j..]);
            Vector<float> hPrevious = new(previousH[j..]);
            Vector<float> dn = vdh * (Vector<float>.One - vz) * (Vector<float>.One - (vn * vn));
            dn.CopyTo(dInputN[j..]);
            (dn * vr).CopyTo(dRecurrentN[j..]);
            (dn * new Vector<float>(recurrentN[j..]) * vr * (Vector<float>.One - vr)).CopyTo(dR[j..]);
            (vdh * (hPrevious - vn) * vz * (Vector<float>.One - vz)).CopyTo(dZ[j..]);
        }
        for (; j < H; j++)
        {
            float hPrevious = previousH[j];
            float dn = dh[j] * (1f - z[j]) * (1f - n[j] * n[j]);
            dInputN[j] = dn;
            dRecurrentN[j] = dn * r[j];
            dR[j] = dn * recurrentN[j] * r[j] * (1f - r[j]);
            dZ[j] = dh[j] * (hPrevious - n[j]) * z[j] * (1f - z[j]);
        }
        if (!dPreviousH.IsEmpty)
            TensorPrimitives.MultiplyAdd(dh, z, dPreviousH, dPreviousH);
    }
}
