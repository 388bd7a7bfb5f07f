using System.Diagnostics.CodeAnalysis;

namespace FastSeq.Layers;

/// <summary>
/// Token ids to dense vectors (Keras <c>Embedding</c>, PyTorch <c>nn.Embedding</c>): <c>output[b, t] = W[tokens[b, t]]</c>.
/// Parameters: the table <c>W [V, D]</c>, one row per token id, as PyTorch stores it. A shape's
/// <see cref="LayerShape.Inputs"/> is V (the vocabulary) and <see cref="LayerShape.Units"/> is D. Its input is ids, not
/// floats, so it is the first layer of a model and has a contract of its own: no cache, no state, no input gradient.
/// </summary>
public static class EmbeddingLayer
{
    /// <summary>Floats of parameters: <c>V*D</c>.</summary>
    public static int ParameterCount(int inputDim, int outputDim)
    {
        LayerArguments.Positive(inputDim, nameof(inputDim));
        LayerArguments.Positive(outputDim, nameof(outputDim));
        return checked((int)LayerCatalog.Embedding.ParameterCount(inputDim, outputDim));
    }

    /// <summary>Keras' default: every value uniform in <c>[-0.05, 0.05)</c>.</summary>
    public static void Initialize(Span<float> parameters, int inputDim, int outputDim, Random random)
    {
        LayerArguments.Length(parameters.Length, ParameterCount(inputDim, outputDim), "ParameterCount(V, D)", nameof(parameters));
        ArgumentNullException.ThrowIfNull(random);
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] = (float)((random.NextDouble() - 0.5) * 0.1);
    }

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the first id outside <c>[0, V)</c> by its sample (or stream)
    /// and step; <paramref name="tokens"/> are <c>[count, timesteps]</c>.
    /// </summary>
    public static void CheckTokens(ReadOnlySpan<int> tokens, int timesteps, int inputDim, string name, string unit = "sample")
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)inputDim)
                ThrowToken(tokens[i], i, timesteps, inputDim, name, unit);
        }
    }

    /// <summary>As <see cref="CheckTokens(ReadOnlySpan{int}, int, int, string, string)"/> for ids held as floats, which must also be whole numbers.</summary>
    public static void CheckTokens(ReadOnlySpan<float> values, int timesteps, int inputDim, string name, string unit = "sample")
    {
        for (int i = 0; i < values.Length; i++)
        {
            float value = values[i];
            if ((int)value != value || (uint)(int)value >= (uint)inputDim)
                ThrowToken(value, i, timesteps, inputDim, name, unit);
        }
    }

    /// <summary>
    /// Token ids held as floats (a <see cref="SequenceDataset"/> of ids, or the float overloads of a token model), already
    /// checked with <see cref="CheckTokens(ReadOnlySpan{float}, int, int, string, string)"/>, as ints in <paramref name="tokens"/>,
    /// which it returns. For generated code.
    /// </summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public static ReadOnlySpan<int> TokensOf(ReadOnlySpan<float> values, Span<int> tokens)
    {
        LayerArguments.Length(tokens.Length, values.Length, "as many as values", nameof(tokens));
        for (int i = 0; i < values.Length; i++)
            tokens[i] = (int)values[i];
        return tokens;
    }

    /// <summary>Looks up every token: <paramref name="output"/> <c>[B, T, D]</c>.</summary>
    /// <param name="tokens">Ids <c>[B, T]</c>, each in <c>[0, V)</c>.</param>
    /// <param name="parameters">The table <c>[V, D]</c>.</param>
    /// <param name="s">Sizes: Inputs is V, Units is D.</param>
    /// <param name="output">The vectors <c>[B, T, D]</c>.</param>
    public static void Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<float> parameters, LayerShape s, Span<float> output)
    {
        int D = Check(tokens, parameters, s, output.Length, nameof(output));
        CheckTokens(tokens, s.Timesteps, s.Inputs, nameof(tokens));
        for (int i = 0; i < tokens.Length; i++)
            parameters.Slice(tokens[i] * D, D).CopyTo(output.Slice(i * D, D));
    }

    /// <summary>Adds each step's output gradient into its token's row: <c>dW[tokens[b, t]] += dOutput[b, t]</c>.</summary>
    /// <param name="tokens">The ids <see cref="Forward"/> read.</param>
    /// <param name="s">Sizes.</param>
    /// <param name="dOutput">d loss / d output <c>[B, T, D]</c>.</param>
    /// <param name="dParameters">Gradients of the table, accumulated (<c>+=</c>).</param>
    public static void Backward(ReadOnlySpan<int> tokens, LayerShape s, ReadOnlySpan<float> dOutput, Span<float> dParameters)
    {
        int D = Check(tokens, dParameters, s, dOutput.Length, nameof(dOutput));
        CheckTokens(tokens, s.Timesteps, s.Inputs, nameof(tokens));
        for (int i = 0; i < tokens.Length; i++)
        {
            Span<float> row = dParameters.Slice(tokens[i] * D, D);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dOutput.Slice(i * D, D), row);
        }
    }

    private static int Check(ReadOnlySpan<int> tokens, ReadOnlySpan<float> table, LayerShape s, int outputLength, string outputName)
    {
        LayerArguments.Shape(s);
        LayerArguments.Length(tokens.Length, checked(s.Batch * s.Timesteps), "[B, T]", nameof(tokens));
        LayerArguments.Length(table.Length, ParameterCount(s.Inputs, s.Units), "ParameterCount(V, D)", "parameters");
        LayerArguments.Length(outputLength, checked(s.Batch * s.Timesteps * s.Units), "[B, T, D]", outputName);
        return s.Units;
    }

    [DoesNotReturn]
    private static void ThrowToken(double id, int index, int timesteps, int inputDim, string name, string unit) =>
        throw new ArgumentOutOfRangeException(name, id,
            $"{name} hold token id {id.ToString(System.Globalization.CultureInfo.InvariantCulture)} at {unit} {index / timesteps}, step {index % timesteps}; " +
            $"ids must be whole numbers from 0 to {inputDim - 1} (the Embedding's inputDim is {inputDim}).");
}
