namespace FastSeq.Layers;

/// <summary>
/// The contract of a layer with memory, beyond <see cref="ISequenceLayer"/>: its passes over whole sequences start from
/// given initial states, it gives each sequence's final state, and its Backward takes the gradient of the final states
/// and gives that of the initial ones (an encoder's final states start a decoder, and the decoder's gradient flows back).
/// </summary>
/// <remarks>
/// A state is what <see cref="ISequenceLayer.Step"/> carries, <c>[B, StateLength(H)]</c> (h, then c for an LSTM); for a
/// layer that reads both directions, the forward direction's <c>[B, S]</c> then the backward direction's (PyTorch's
/// <c>h_n</c> order). An empty initial state is zero, and an empty state gradient is not given or not wanted. Sequences of
/// <c>lengths</c> (<see cref="SequenceLengths"/>; empty: all full) end at their last real step: there the final state is
/// read, and there its gradient enters.
/// </remarks>
public interface IRecurrentLayer : ISequenceLayer
{
    /// <summary>
    /// Runs the layer over whole sequences from <paramref name="initialState"/> (empty: zeros), keeping it and what
    /// <see cref="Backward"/> needs in <paramref name="cache"/>; the outputs past each sequence's end are zero.
    /// </summary>
    static abstract void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Activation activation,
                                 ReadOnlySpan<int> lengths, ReadOnlySpan<float> initialState, Span<float> cache, Span<float> output);

    /// <summary>Each sequence's state after its last real step, <c>[B, StateLength(H)]</c>, from the last <see cref="Forward"/>'s cache and output.</summary>
    static abstract void FinalState(ReadOnlySpan<float> cache, ReadOnlySpan<float> output, LayerShape s, ReadOnlySpan<int> lengths, Span<float> finalState);

    /// <summary>
    /// Gradients for the last <see cref="Forward"/> with the same lengths: from d loss / d output (<paramref name="dOutput"/>,
    /// overwritten) and d loss / d final state (<paramref name="dFinalState"/>, unless empty), adds into
    /// <paramref name="dParameters"/> and writes d loss / d x into <paramref name="dx"/> and d loss / d initial state into
    /// <paramref name="dInitialState"/>, each unless empty.
    /// </summary>
    static abstract void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> output,
                                  LayerShape s, Activation activation, ReadOnlySpan<int> lengths, ReadOnlySpan<float> dFinalState,
                                  Span<float> dOutput, Span<float> dParameters, Span<float> dx, Span<float> dInitialState, Span<float> workspace);
}
