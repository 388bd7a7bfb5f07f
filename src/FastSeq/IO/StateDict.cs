namespace FastSeq.IO;

/// <summary>
/// The PyTorch <c>state_dict</c> entries of each layer kind, for a layer whose parameters start at
/// <c>offset</c> in the model's flat buffer. Internal layout of a recurrent layer with G gates,
/// I inputs and H units: kernel <c>[I, G*H]</c>, recurrent kernel <c>[H, G*H]</c>, then the bias:
/// <c>[G*H]</c> (SimpleRnn, LSTM) or <c>[2, G*H]</c> (GRU: input bias, then recurrent bias).
/// </summary>
public static class StateDict
{
    /// <summary><c>name.weight_ih_l0 [H, I]</c>, <c>name.weight_hh_l0 [H, H]</c>, and the summed biases <c>[H]</c>.</summary>
    public static StateDictEntry[] SimpleRnn(string name, int offset, int inputs, int units) =>
        Recurrent(name, offset, inputs, units, gates: 1, separateBiases: false);

    /// <summary><c>name.weight_ih_l0 [4H, I]</c>, <c>name.weight_hh_l0 [4H, H]</c>, and the summed biases <c>[4H]</c>; gates i, f, g, o.</summary>
    public static StateDictEntry[] Lstm(string name, int offset, int inputs, int units) =>
        Recurrent(name, offset, inputs, units, gates: 4, separateBiases: false);

    /// <summary><c>name.weight_ih_l0 [3H, I]</c>, <c>name.weight_hh_l0 [3H, H]</c>, and two separate biases <c>[3H]</c>; gates r, z, n.</summary>
    public static StateDictEntry[] Gru(string name, int offset, int inputs, int units) =>
        Recurrent(name, offset, inputs, units, gates: 3, separateBiases: true);

    /// <summary><c>name.weight [U, I]</c> (stored as the kernel <c>[I, U]</c>) and <c>name.bias [U]</c>.</summary>
    public static StateDictEntry[] Dense(string name, int offset, int inputs, int units)
    {
        CheckSizes(name, offset, inputs, units);
        return
        [
            new($"{name}.weight", offset, [units, inputs], TensorLayout.Transposed2D),
            new($"{name}.bias", offset + (inputs * units), [units], TensorLayout.Vector),
        ];
    }

    private static StateDictEntry[] Recurrent(string name, int offset, int inputs, int units, int gates, bool separateBiases)
    {
        CheckSizes(name, offset, inputs, units);
        int gh = gates * units;
        int kernel = offset;
        int recurrentKernel = kernel + (inputs * gh);
        int bias = recurrentKernel + (units * gh);
        // SimpleRnn and LSTM keep one bias that both PyTorch biases map to; GRU keeps the two apart.
        int recurrentBias = separateBiases ? bias + gh : bias;
        TensorLayout inputBiasLayout = separateBiases ? TensorLayout.Vector : TensorLayout.SummedBiasInput;
        TensorLayout recurrentBiasLayout = separateBiases ? TensorLayout.Vector : TensorLayout.SummedBiasRecurrent;
        return
        [
            new($"{name}.weight_ih_l0", kernel, [gh, inputs], TensorLayout.Transposed2D),
            new($"{name}.weight_hh_l0", recurrentKernel, [gh, units], TensorLayout.Transposed2D),
            new($"{name}.bias_ih_l0", bias, [gh], inputBiasLayout),
            new($"{name}.bias_hh_l0", recurrentBias, [gh], recurrentBiasLayout),
        ];
    }

    private static void CheckSizes(string name, int offset, int inputs, int units)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
    }
}
