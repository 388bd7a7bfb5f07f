using System.Numerics.Tensors;
using FastSeq.Kernels;

namespace FastSeq.Layers;

/// <summary>Row operations on row-major batches that the layers share.</summary>
internal static class BatchRows
{
    /// <summary>Copies <paramref name="row"/> into each of the <paramref name="rows"/> rows of <paramref name="destination"/> (stride <paramref name="ld"/>).</summary>
    public static void Broadcast(ReadOnlySpan<float> row, int rows, Span<float> destination, int ld)
    {
        for (int r = 0; r < rows; r++)
            row.CopyTo(destination.Slice(r * ld, row.Length));
    }

    /// <summary>
    /// The rows <c>[x_b | h_b]</c> <c>[batch, I + H]</c> of a step's one product over <c>[Wk; Wh]</c>: x <c>[batch, I]</c>, and
    /// the first <paramref name="units"/> floats of each stream's state, <paramref name="stateLength"/> apart.
    /// </summary>
    public static void StackInputs(ReadOnlySpan<float> x, int inputs, ReadOnlySpan<float> state, int stateLength, int units, int batch, Span<float> stacked)
    {
        int K = inputs + units;
        for (int b = 0; b < batch; b++)
        {
            x.Slice(b * inputs, inputs).CopyTo(stacked.Slice(b * K, inputs));
            state.Slice(b * stateLength, units).CopyTo(stacked.Slice((b * K) + inputs, units));
        }
    }

    /// <summary><c>sums[j] += Σ_r source[r, j]</c> over <paramref name="rows"/> rows of stride <paramref name="ld"/>; the bias gradient.</summary>
    public static void AddColumnSums(ReadOnlySpan<float> source, int rows, int ld, Span<float> sums)
    {
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(sums, source.Slice(r * ld, sums.Length), sums);
    }

    /// <summary>
    /// The inputs of the recurrent product at each step: <c>previous[b, t] = hidden[b, t - 1]</c>, and at <c>t = 0</c> the
    /// initial h, the first <paramref name="units"/> floats of each sample's state in <paramref name="initialState"/>
    /// (<paramref name="stateLength"/> apart). <paramref name="hidden"/> and <paramref name="previous"/> are <c>[B, T, H]</c>.
    /// </summary>
    public static void ShiftOneTimestep(ReadOnlySpan<float> hidden, ReadOnlySpan<float> initialState, int stateLength, int batch, int timesteps, int units,
                                        Span<float> previous)
    {
        int sequence = timesteps * units;
        for (int b = 0; b < batch; b++)
        {
            Span<float> destination = previous.Slice(b * sequence, sequence);
            initialState.Slice(b * stateLength, units).CopyTo(destination);
            hidden.Slice(b * sequence, sequence - units).CopyTo(destination[units..]);
        }
    }

    /// <summary>
    /// The weight gradients of a one-bias recurrent layer (SimpleRnn, LSTM) over all B*T rows at once:
    /// <c>dWk += xᵀ·dP</c>, <c>dWh += h_prevᵀ·dP</c>, <c>db += Σ dP</c>, where dP <c>[B, T, G*H]</c> holds the
    /// gate pre-activation gradients and h_prev starts from the initial state (<see cref="ShiftOneTimestep"/>).
    /// <paramref name="previousHidden"/> <c>[B, T, H]</c> is scratch for h_prev.
    /// </summary>
    public static void AccumulateWeightGradients(ReadOnlySpan<float> x, ReadOnlySpan<float> hidden, ReadOnlySpan<float> initialState, int stateLength,
                                                 ReadOnlySpan<float> dP, LayerShape s, int gateRow, Span<float> dParameters, Span<float> previousHidden)
    {
        int B = s.Batch, T = s.Timesteps, I = s.Inputs, H = s.Units, rows = B * T;
        Span<float> dKernel = dParameters[..(I * gateRow)];
        Span<float> dRecurrent = dParameters.Slice(I * gateRow, H * gateRow);
        Span<float> dBias = dParameters[((I + H) * gateRow)..];
        MatMul.MultiplyAddTransposedA(x, I, dP, gateRow, I, rows, gateRow, dKernel, gateRow);
        AccumulateRecurrentGradient(hidden, initialState, stateLength, dP, s, gateRow, dRecurrent, previousHidden);
        AddColumnSums(dP, rows, gateRow, dBias);
    }

    /// <summary>
    /// <c>dWh += h_prevᵀ·dP</c> over all B*T rows, dP <c>[B, T, G*H]</c> and dWh <c>[H, G*H]</c>, h_prev starting from the
    /// initial state (zeros when none was given, which add nothing); <paramref name="previousHidden"/> <c>[B, T, H]</c> is scratch for h_prev.
    /// </summary>
    public static void AccumulateRecurrentGradient(ReadOnlySpan<float> hidden, ReadOnlySpan<float> initialState, int stateLength, ReadOnlySpan<float> dP,
                                                   LayerShape s, int gateRow, Span<float> dRecurrent, Span<float> previousHidden)
    {
        int B = s.Batch, T = s.Timesteps, H = s.Units;
        ShiftOneTimestep(hidden, initialState, stateLength, B, T, H, previousHidden);
        MatMul.MultiplyAddTransposedA(previousHidden, H, dP, gateRow, H, B * T, gateRow, dRecurrent, gateRow);
    }

    /// <summary>Keeps a Forward's initial state for its Backward: a copy of <paramref name="initialState"/>, or zeros when it is empty.</summary>
    public static void KeepInitialState(ReadOnlySpan<float> initialState, Span<float> kept)
    {
        if (initialState.IsEmpty)
            kept.Clear();
        else
            initialState.CopyTo(kept);
    }
}
