namespace FastSeq.Layers;

/// <summary>
/// The contract every layer kind fulfils, and the only way the generated code drives a layer: sizes of what it
/// keeps, its Keras initialisation, and three passes over spans the model owns. The generator writes one call per
/// layer and pass against these members, whatever the kind; a new kind implements them (see docs/adding-a-layer.md).
/// </summary>
/// <remarks>
/// Activations are batch-major: <c>x [B, T, I]</c> in, <c>output [B, T, U]</c> out (<see cref="LayerShape"/>).
/// Parameters are one contiguous slice of the model's flat buffer, in the layer's Keras layout; gradients have the
/// same layout and are accumulated (<c>+=</c>). Every member checks its spans and throws
/// <see cref="ArgumentException"/> naming the one that is wrong.
/// </remarks>
public interface ISequenceLayer
{
    /// <summary>Floats of parameters for <paramref name="inputs"/> features in and <paramref name="units"/> out.</summary>
    static abstract int ParameterCount(int inputs, int units);

    /// <summary>Floats that <see cref="Forward"/> keeps for <see cref="Backward"/> besides x and the output.</summary>
    static abstract int CacheLength(LayerShape s);

    /// <summary>Floats of scratch that <see cref="Backward"/> needs (0 if none).</summary>
    static abstract int WorkspaceLength(LayerShape s);

    /// <summary>Floats of state one stream carries between <see cref="Step"/> calls (0 for a layer with no memory).</summary>
    static abstract int StateLength(int units);

    /// <summary>Floats of scratch per stream that <see cref="Step"/> needs.</summary>
    static abstract int StepScratchLength(int inputs, int units);

    /// <summary>Keras' default initial values, drawn from <paramref name="random"/>.</summary>
    static abstract void Initialize(Span<float> parameters, int inputs, int units, Random random);

    /// <summary>Runs the layer over whole sequences (from a zero state), keeping in <paramref name="cache"/> what <see cref="Backward"/> needs.</summary>
    static abstract void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation,
                                 Span<float> cache, Span<float> output);

    /// <summary>
    /// Gradients for the last <see cref="Forward"/> on the same x, parameters and cache: from d loss / d output
    /// (<paramref name="dOutput"/>, overwritten), adds into <paramref name="dParameters"/> and writes d loss / d x into
    /// <paramref name="dx"/> unless it is empty. A recurrent layer leaves in <paramref name="dOutput"/> the total d loss / d h_t,
    /// from above and through the later steps (what <see cref="Diagnostics.GradientFlowRecorder"/> reports), unless dx shares its memory.
    /// </summary>
    static abstract void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> output,
                                  LayerShape s, Activation activation,
                                  Span<float> dOutput, Span<float> dParameters, Span<float> dx, Span<float> workspace);

    /// <summary>
    /// What the layer passes on when it does not return sequences, <c>[B, output units]</c>: the state after its last step
    /// (for a layer that reads both directions, the forward state after the last step and the backward one after t = 0).
    /// Sequences of <paramref name="lengths"/> (<see cref="SequenceLengths"/>; empty: all full) end at their last real step.
    /// </summary>
    static abstract void LastStep(ReadOnlySpan<float> output, LayerShape s, ReadOnlySpan<int> lengths, Span<float> last);

    /// <summary>The gradient of <see cref="LastStep"/>: writes all of <paramref name="dOutput"/>, zero where LastStep did not read.</summary>
    static abstract void LastStepBackward(ReadOnlySpan<float> dLast, LayerShape s, ReadOnlySpan<int> lengths, Span<float> dOutput);

    /// <summary>Advances <paramref name="batch"/> independent streams by one timestep, reading and updating their <paramref name="state"/>.</summary>
    static abstract void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Activation activation,
                              Span<float> state, Span<float> scratch, Span<float> output);
}
