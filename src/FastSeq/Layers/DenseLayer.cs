using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FastSeq.Kernels;

namespace FastSeq.Layers;

/// <summary>
/// Fully connected layer: <c>y = act(x·W + b)</c> on each row. Parameters, in order: kernel <c>W [I, U]</c>, bias <c>b [U]</c>.
/// Rows are samples, or samples × timesteps when it follows a layer that returns sequences: a shape's
/// <c>Batch * Timesteps</c>. Its cache is the pre-activations (the logits of an output layer); it keeps no state.
/// </summary>
public sealed class DenseLayer : ISequenceLayer
{
    private DenseLayer() { }

    /// <summary>Floats of parameters: <c>I*U + U</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ParameterCount(int inputs, int units)
    {
        LayerArguments.Positive(inputs, nameof(inputs));
        LayerArguments.Positive(units, nameof(units));
        return checked((int)LayerCatalog.Dense.ParameterCount(inputs, units));
    }

    /// <summary>Floats of the pre-activations <c>[rows, U]</c>, which <see cref="Forward"/> keeps.</summary>
    public static int CacheLength(LayerShape s)
    {
        LayerArguments.Shape(s);
        return checked(s.Batch * s.Timesteps * s.Units);
    }

    /// <summary>None: Backward works in place in its output gradient.</summary>
    public static int WorkspaceLength(LayerShape s)
    {
        LayerArguments.Shape(s);
        return 0;
    }

    /// <summary>None: a Dense layer has no memory.</summary>
    public static int StateLength(int units)
    {
        LayerArguments.Positive(units, nameof(units));
        return 0;
    }

    /// <summary>Scratch floats per stream for <see cref="Step"/>: the pre-activations <c>U</c>.</summary>
    public static int StepScratchLength(int inputs, int units)
    {
        LayerArguments.Positive(inputs, nameof(inputs));
        LayerArguments.Positive(units, nameof(units));
        return units;
    }

    /// <summary>Keras defaults: glorot-uniform kernel, zero bias.</summary>
    public static void Initialize(Span<float> parameters, int inputs, int units, Random random)
    {
        LayerArguments.Length(parameters.Length, ParameterCount(inputs, units), "ParameterCount(I, U)", nameof(parameters));
        ArgumentNullException.ThrowIfNull(random);
        Initializers.GlorotUniform(parameters[..(inputs * units)], inputs, units, random);
        parameters[(inputs * units)..].Clear();
    }

    /// <summary>Applies the layer to the <c>Batch * Timesteps</c> rows of <paramref name="s"/>.</summary>
    /// <param name="x">Inputs <c>[rows, I]</c>.</param>
    /// <param name="parameters">The layer's parameters, <see cref="ParameterCount"/> floats.</param>
    /// <param name="s">Sizes; the rows are <c>Batch * Timesteps</c>.</param>
    /// <param name="activation">Any; softmax acts on each row.</param>
    /// <param name="preActivation"><c>x·W + b</c>, <c>[rows, U]</c> (the logits): the layer's cache.</param>
    /// <param name="output"><c>act(preActivation)</c>, <c>[rows, U]</c>; must not overlap the other spans.</param>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation,
                               Span<float> preActivation, Span<float> output)
    {
        int rows = Rows(s), inputs = s.Inputs, units = s.Units;
        CheckForward(x, parameters, rows, inputs, units, activation, preActivation, output);
        int I = inputs, U = units;
        ReadOnlySpan<float> kernel = parameters[..(I * U)];   // [I, U]
        ReadOnlySpan<float> bias = parameters[(I * U)..];     // [U]

        if (U == 1)
        {
            // One output per row (a regression head, once per streaming step): a dot product per row, without the bias
            // broadcast and the matrix product's set-up.
            for (int r = 0; r < rows; r++)
                preActivation[r] = OneUnit(x.Slice(r * I, I), kernel, bias[0]);
        }
        else
        {
            BatchRows.Broadcast(bias, rows, preActivation, U);
            MatMul.MultiplyAdd(x, I, kernel, U, rows, I, U, preActivation, U);
        }
        if (activation == Activation.Softmax)
            Softmax.Apply(preActivation, U, output);
        else
            ElementwiseActivation.Apply(activation, preActivation, output);
    }

    /// <summary>Gradients for the last <see cref="Forward"/> on the same inputs.</summary>
    /// <param name="x">Inputs <c>[rows, I]</c> given to <see cref="Forward"/>.</param>
    /// <param name="parameters">The layer's parameters.</param>
    /// <param name="preActivation">From <see cref="Forward"/>, <c>[rows, U]</c>.</param>
    /// <param name="output">From <see cref="Forward"/>, <c>[rows, U]</c>.</param>
    /// <param name="s">Sizes; the rows are <c>Batch * Timesteps</c>.</param>
    /// <param name="activation">
    /// The activation <see cref="Forward"/> used, or <see cref="Activation.Linear"/> when <paramref name="dOutput"/> already
    /// is the gradient of the pre-activations (a loss fused with the output activation, such as softmax cross-entropy).
    /// </param>
    /// <param name="dOutput">d loss / d output <c>[rows, U]</c>; overwritten.</param>
    /// <param name="dParameters">Gradients, accumulated (<c>+=</c>), same layout as <paramref name="parameters"/>.</param>
    /// <param name="dx">d loss / d x <c>[rows, I]</c>, overwritten; empty to skip it. dOutput, dParameters and dx must not overlap one another or the spans Backward reads.</param>
    /// <param name="workspace">Unused (<see cref="WorkspaceLength"/> is 0); any span.</param>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> preActivation, ReadOnlySpan<float> output,
                                LayerShape s, Activation activation,
                                Span<float> dOutput, Span<float> dParameters, Span<float> dx, Span<float> workspace)
    {
        int rows = Rows(s), inputs = s.Inputs, units = s.Units;
        CheckSizes(x, parameters, rows, inputs, units, activation, preActivation, output);
        LayerArguments.Length(dOutput.Length, rows * units, "[rows, U]", nameof(dOutput));
        LayerArguments.Length(dParameters.Length, parameters.Length, "ParameterCount(I, U)", nameof(dParameters));
        LayerArguments.LengthOrEmpty(dx.Length, rows * inputs, "[rows, I]", nameof(dx));
        var reads = new LayerArguments.BackwardReads(x, parameters, preActivation, nameof(preActivation), output, nameof(output));
        reads.Disjoint(dOutput, nameof(dOutput));
        reads.Disjoint(dParameters, nameof(dParameters));
        LayerArguments.Disjoint(dOutput, nameof(dOutput), dParameters, nameof(dParameters));
        reads.Disjoint(dx, nameof(dx));
        LayerArguments.Disjoint(dOutput, nameof(dOutput), dx, nameof(dx));
        LayerArguments.Disjoint(dParameters, nameof(dParameters), dx, nameof(dx));
        int I = inputs, U = units;
        ReadOnlySpan<float> kernel = parameters[..(I * U)];
        Span<float> dKernel = dParameters[..(I * U)];
        Span<float> dBias = dParameters[(I * U)..];

        // dZ = d loss / d preActivation [rows, U], in place.
        Span<float> dZ = dOutput;
        if (activation == Activation.Softmax)
            Softmax.Backward(output, dZ, U, dZ);
        else if (activation != Activation.Linear)
            ElementwiseActivation.MultiplyByDerivative(activation, output, dZ, dZ);

        // dW += xᵀ·dZ, db += Σ dZ, dx = dZ·Wᵀ.
        MatMul.MultiplyAddTransposedA(x, I, dZ, U, I, rows, U, dKernel, U);
        BatchRows.AddColumnSums(dZ, rows, U, dBias);
        if (!dx.IsEmpty)
        {
            dx.Clear();
            MatMul.MultiplyAddTransposedB(dZ, U, kernel, U, rows, U, I, dx, I);
        }
    }

    /// <summary>The output at each sequence's last (real) step, <c>[B, U]</c>.</summary>
    public static void LastStep(ReadOnlySpan<float> output, LayerShape s, ReadOnlySpan<int> lengths, Span<float> last) =>
        SequenceLengths.Last(output, lengths, s.Timesteps, s.Units, last);

    /// <summary>The gradient of <see cref="LastStep"/>: <paramref name="dLast"/> at each last step, zero elsewhere.</summary>
    public static void LastStepBackward(ReadOnlySpan<float> dLast, LayerShape s, ReadOnlySpan<int> lengths, Span<float> dOutput) =>
        SequenceLengths.LastBackward(dLast, lengths, s.Timesteps, s.Units, dOutput);

    /// <summary>Applies the layer to one timestep of <paramref name="batch"/> streams; <paramref name="state"/> must be empty.</summary>
    /// <param name="x">Inputs <c>[batch, I]</c>.</param>
    /// <param name="parameters">The layer's parameters.</param>
    /// <param name="batch">Streams.</param>
    /// <param name="inputs">I.</param>
    /// <param name="units">U.</param>
    /// <param name="activation">Any; softmax acts on each row.</param>
    /// <param name="state">Empty: a Dense layer has none.</param>
    /// <param name="scratch">At least <c>batch × U</c> floats, for the pre-activations.</param>
    /// <param name="output"><c>[batch, U]</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Activation activation,
                            Span<float> state, Span<float> scratch, Span<float> output)
    {
        LayerArguments.Length(state.Length, 0, "no state", nameof(state));
        LayerArguments.Positive(batch, nameof(batch));
        LayerArguments.MinimumLength(scratch.Length, checked(batch * units), nameof(scratch));
        if (batch == 1 && units == 1 && activation == Activation.Linear)
        {
            // One stream into one linear unit, a streaming regression head: Forward's checks and sum, without the calls around
            // them (NativeAOT made each a call of its own) and without the pre-activation's copy to the output.
            Span<float> preActivation = scratch[..1];
            CheckForward(x, parameters, 1, inputs, 1, activation, preActivation, output);
            output[0] = OneUnit(x, parameters[..inputs], parameters[inputs]);
            return;
        }
        Forward(x, parameters, new LayerShape(batch, 1, inputs, units), activation, scratch[..(batch * units)], output);
    }

    /// <summary>
    /// One row into one unit, <c>bias + row·kernel</c>: the one sum <see cref="Forward"/> and <see cref="Step"/> share, so their
    /// bits agree. Rows of whole 8-float vectors up to 64 inputs (a streaming head after a recurrent layer) are summed here
    /// in two 8-lane accumulators, even and odd vectors: <see cref="TensorPrimitives.Dot{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>,
    /// and the matrix kernels' own dot product (four accumulators and a masked tail), are calls with a set-up of their own,
    /// and a streaming step runs this between one step's h and the next step's products.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float OneUnit(ReadOnlySpan<float> row, ReadOnlySpan<float> kernel, float bias)
    {
        int n = row.Length;
        if (!Vector256.IsHardwareAccelerated || n % Vector256<float>.Count != 0 || n > 64)
            return bias + TensorPrimitives.Dot(row, kernel);
        ref float r = ref MemoryMarshal.GetReference(row), k = ref MemoryMarshal.GetReference(kernel[..n]);
        Vector256<float> even = Vector256<float>.Zero, odd = Vector256<float>.Zero;
        int j = 0;
        for (; j + (2 * Vector256<float>.Count) <= n; j += 2 * Vector256<float>.Count)
        {
            even = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref r, (nuint)j), Vector256.LoadUnsafe(ref k, (nuint)j), even);
            odd = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref r, (nuint)(j + Vector256<float>.Count)), Vector256.LoadUnsafe(ref k, (nuint)(j + Vector256<float>.Count)), odd);
        }
        if (j < n)
            even = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref r, (nuint)j), Vector256.LoadUnsafe(ref k, (nuint)j), even);
        return bias + Vector256.Sum(even + odd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Rows(LayerShape s)
    {
        LayerArguments.Shape(s);
        return checked(s.Batch * s.Timesteps);
    }

    /// <summary><see cref="Forward"/>'s arguments: their sizes, and no written span over another span.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckForward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int rows, int inputs, int units, Activation activation,
                                     ReadOnlySpan<float> preActivation, ReadOnlySpan<float> output)
    {
        CheckSizes(x, parameters, rows, inputs, units, activation, preActivation, output);
        LayerArguments.Disjoint(x, nameof(x), preActivation, nameof(preActivation));
        LayerArguments.Disjoint(x, nameof(x), output, nameof(output));
        LayerArguments.Disjoint(preActivation, nameof(preActivation), output, nameof(output));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckSizes(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int rows, int inputs, int units, Activation activation,
                                   ReadOnlySpan<float> preActivation, ReadOnlySpan<float> output)
    {
        LayerArguments.Positive(rows, nameof(rows));
        if (activation is < Activation.Linear or > Activation.Softmax)
            ThrowUndefined(activation);
        LayerArguments.Length(parameters.Length, ParameterCount(inputs, units), "ParameterCount(I, U)", nameof(parameters));
        LayerArguments.Length(x.Length, checked(rows * inputs), "[rows, I]", nameof(x));
        LayerArguments.Length(preActivation.Length, checked(rows * units), "[rows, U]", nameof(preActivation));
        LayerArguments.Length(output.Length, checked(rows * units), "[rows, U]", nameof(output));
    }

    [DoesNotReturn]
    private static void ThrowUndefined(Activation activation) =>
        throw new ArgumentException($"{nameof(activation)} {(int)activation} is not an {nameof(Activation)}.", nameof(activation));
}
