using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastSeq.Layers;

/// <summary>
/// Entry checks shared by the layers: sizes and span lengths, with messages that give expected and actual values.
/// Each check is inlined and its throw kept out of line, so a streaming step's dozen checks cost a few
/// compares rather than a dozen calls (about 38 ns of a 320 ns LSTM step when they were calls).
/// </summary>
internal static class LayerArguments
{
    /// <summary>Every size of <paramref name="shape"/> must be positive.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Shape(LayerShape shape)
    {
        Positive(shape.Batch, "shape.Batch");
        Positive(shape.Timesteps, "shape.Timesteps");
        Positive(shape.Inputs, "shape.Inputs");
        Positive(shape.Units, "shape.Units");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Positive(int value, string name)
    {
        if (value <= 0)
            ThrowNotPositive(value, name);
    }

    /// <summary>A span that holds a tensor of <paramref name="layout"/> must have exactly <paramref name="expected"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Length(int actual, int expected, string layout, string name)
    {
        if (actual != expected)
            ThrowLength(actual, expected, layout, name);
    }

    /// <summary>A scratch span needs at least <paramref name="expected"/> floats; only that prefix is used.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MinimumLength(int actual, int expected, string name)
    {
        if (actual < expected)
            ThrowMinimumLength(actual, expected, name);
    }

    /// <summary>Like <see cref="Length"/>, but an empty span is accepted (meaning: do not compute this output).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LengthOrEmpty(int actual, int expected, string layout, string name)
    {
        if (actual != 0 && actual != expected)
            ThrowLengthOrEmpty(actual, expected, layout, name);
    }

    /// <summary>A destination that a layer writes while it still reads <paramref name="source"/> must not share memory with it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Disjoint(ReadOnlySpan<float> source, string sourceName, ReadOnlySpan<float> destination, string destinationName)
    {
        if (Models.ModelArguments.Overlap(source, destination))
            ThrowOverlap(sourceName, destinationName);
    }

    /// <summary>Recurrent layers apply an elementwise activation; softmax is for Dense only.</summary>
    public static void ElementwiseActivation(Activation activation, string name)
    {
        if (activation is not (Activation.Linear or Activation.Tanh or Activation.Sigmoid or Activation.Relu))
            throw new ArgumentException($"{name} must be Linear, Tanh, Sigmoid or Relu, but is {activation}.", name);
    }

    /// <summary>LSTM and GRU cells use tanh for their candidate and output; their gates are sigmoids by definition.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CellActivation(Activation activation, string name)
    {
        if (activation != Activation.Tanh)
            ThrowCellActivation(activation, name);
    }

    /// <summary>The spans of a recurrent layer's Forward, and those Backward reads again; Forward writes cache and hidden while it reads x.</summary>
    public static void Sequences(LayerShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int parameterCount,
                                 ReadOnlySpan<float> cache, int cacheLength, ReadOnlySpan<float> hidden)
    {
        Length(x.Length, checked(s.Batch * s.Timesteps * s.Inputs), "[B, T, I]", "x");
        Length(parameters.Length, parameterCount, "ParameterCount(I, H)", "parameters");
        Length(cache.Length, cacheLength, "CacheLength(shape)", "cache");
        Length(hidden.Length, checked(s.Batch * s.Timesteps * s.Units), "[B, T, H]", "hidden");
        Disjoint(x, "x", hidden, "hidden");
        Disjoint(x, "x", cache, "cache");
        Disjoint(cache, "cache", hidden, "hidden");
    }

    /// <summary>
    /// The spans only a recurrent layer's Backward takes, after <see cref="Sequences"/> has checked the others. Backward
    /// writes dHidden, dParameters, dx and the used prefix of workspace: none may overlap x, parameters, cache or hidden
    /// (read throughout, and still needed by the caller), nor one another, but dx may overlap dHidden, which is spent by then.
    /// </summary>
    public static void SequenceGradients(LayerShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden,
                                         ReadOnlySpan<float> dHidden, ReadOnlySpan<float> dParameters, ReadOnlySpan<float> dx,
                                         ReadOnlySpan<float> workspace, int workspaceLength)
    {
        Length(dHidden.Length, s.Batch * s.Timesteps * s.Units, "[B, T, H]", "dHidden");
        Length(dParameters.Length, parameters.Length, "ParameterCount(I, H)", "dParameters");
        LengthOrEmpty(dx.Length, s.Batch * s.Timesteps * s.Inputs, "[B, T, I]", "dx");
        MinimumLength(workspace.Length, workspaceLength, "workspace");
        workspace = workspace[..workspaceLength];
        var reads = new BackwardReads(x, parameters, cache, "cache", hidden, "hidden");
        reads.Disjoint(dHidden, "dHidden");
        reads.Disjoint(dParameters, "dParameters");
        Disjoint(dHidden, "dHidden", dParameters, "dParameters");
        reads.Disjoint(dx, "dx");
        Disjoint(dParameters, "dParameters", dx, "dx");
        reads.Disjoint(workspace, "workspace");
        Disjoint(dHidden, "dHidden", workspace, "workspace");
        Disjoint(dParameters, "dParameters", workspace, "workspace");
        Disjoint(dx, "dx", workspace, "workspace");
    }

    /// <summary>
    /// The lengths and initial state of a recurrent layer's Forward (<see cref="IRecurrentLayer"/>): the state empty or
    /// <c>[B, <paramref name="stateLength"/>]</c>, read while the cache and hidden are written.
    /// </summary>
    public static void InitialState(LayerShape s, ReadOnlySpan<int> lengths, ReadOnlySpan<float> initialState, int stateLength,
                                    ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden)
    {
        if (!lengths.IsEmpty)
            SequenceLengths.Check(lengths, s.Batch, s.Timesteps, "lengths");
        LengthOrEmpty(initialState.Length, checked(s.Batch * stateLength), "[B, StateLength(H)]", "initialState");
        Disjoint(initialState, "initialState", cache, "cache");
        Disjoint(initialState, "initialState", hidden, "hidden");
    }

    /// <summary>The spans of a recurrent layer's FinalState: what its Forward kept, and the <c>[B, <paramref name="stateLength"/>]</c> it writes.</summary>
    public static void FinalState(LayerShape s, ReadOnlySpan<int> lengths, ReadOnlySpan<float> cache, int cacheLength, ReadOnlySpan<float> hidden,
                                  ReadOnlySpan<float> finalState, int stateLength)
    {
        Shape(s);
        if (!lengths.IsEmpty)
            SequenceLengths.Check(lengths, s.Batch, s.Timesteps, "lengths");
        Length(cache.Length, cacheLength, "CacheLength(shape)", "cache");
        Length(hidden.Length, checked(s.Batch * s.Timesteps * s.Units), "[B, T, H]", "hidden");
        Length(finalState.Length, checked(s.Batch * stateLength), "[B, StateLength(H)]", "finalState");
        Disjoint(cache, "cache", finalState, "finalState");
        Disjoint(hidden, "hidden", finalState, "finalState");
    }

    /// <summary>
    /// The spans only a recurrent layer's stateful Backward takes, after <see cref="SequenceGradients"/>: the lengths, and the
    /// state gradients, each empty or <c>[B, <paramref name="stateLength"/>]</c>. dFinalState is read while every gradient is
    /// written; dInitialState is written, so it overlaps nothing else.
    /// </summary>
    public static void StateGradients(LayerShape s, ReadOnlySpan<int> lengths, int stateLength, ReadOnlySpan<float> x, ReadOnlySpan<float> parameters,
                                      ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, ReadOnlySpan<float> dFinalState,
                                      ReadOnlySpan<float> dHidden, ReadOnlySpan<float> dParameters, ReadOnlySpan<float> dx,
                                      ReadOnlySpan<float> dInitialState, ReadOnlySpan<float> workspace, int workspaceLength)
    {
        if (!lengths.IsEmpty)
            SequenceLengths.Check(lengths, s.Batch, s.Timesteps, "lengths");
        LengthOrEmpty(dFinalState.Length, checked(s.Batch * stateLength), "[B, StateLength(H)]", "dFinalState");
        LengthOrEmpty(dInitialState.Length, checked(s.Batch * stateLength), "[B, StateLength(H)]", "dInitialState");
        workspace = workspace[..workspaceLength];
        Disjoint(dFinalState, "dFinalState", dHidden, "dHidden");
        Disjoint(dFinalState, "dFinalState", dParameters, "dParameters");
        Disjoint(dFinalState, "dFinalState", dx, "dx");
        Disjoint(dFinalState, "dFinalState", workspace, "workspace");
        Disjoint(dFinalState, "dFinalState", dInitialState, "dInitialState");
        new BackwardReads(x, parameters, cache, "cache", hidden, "hidden").Disjoint(dInitialState, "dInitialState");
        Disjoint(dHidden, "dHidden", dInitialState, "dInitialState");
        Disjoint(dParameters, "dParameters", dInitialState, "dInitialState");
        Disjoint(dx, "dx", dInitialState, "dInitialState");
        Disjoint(workspace, "workspace", dInitialState, "dInitialState");
    }

    /// <summary>
    /// The spans a layer's Backward reads throughout: x, the parameters and two results of its Forward. A span Backward
    /// writes must not overlap them (nor change them under the caller).
    /// </summary>
    public readonly ref struct BackwardReads(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters,
                                             ReadOnlySpan<float> first, string firstName, ReadOnlySpan<float> second, string secondName)
    {
        private readonly ReadOnlySpan<float> _x = x, _parameters = parameters, _first = first, _second = second;
        private readonly string _firstName = firstName, _secondName = secondName;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Disjoint(ReadOnlySpan<float> destination, string destinationName)
        {
            LayerArguments.Disjoint(_x, "x", destination, destinationName);
            LayerArguments.Disjoint(_parameters, "parameters", destination, destinationName);
            LayerArguments.Disjoint(_first, _firstName, destination, destinationName);
            LayerArguments.Disjoint(_second, _secondName, destination, destinationName);
        }
    }

    /// <summary>The spans of a recurrent layer's Step; the output and scratch are written while the inputs are still read.</summary>
    public static void Step(int batch, int inputs, int units, ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int parameterCount,
                            ReadOnlySpan<float> state, int stateLength, ReadOnlySpan<float> scratch, int scratchLength, ReadOnlySpan<float> output)
    {
        Positive(batch, "batch");
        Length(x.Length, checked(batch * inputs), "[batch, I]", "x");
        Length(parameters.Length, parameterCount, "ParameterCount(I, H)", "parameters");
        Length(state.Length, checked(batch * stateLength), "[batch, StateLength(H)]", "state");
        MinimumLength(scratch.Length, checked(batch * scratchLength), "scratch");
        Length(output.Length, checked(batch * units), "[batch, H]", "output");
        Disjoint(x, "x", output, "output");
        Disjoint(state, "state", output, "output");
        Disjoint(scratch, "scratch", output, "output");
        Disjoint(x, "x", scratch, "scratch");
        Disjoint(state, "state", scratch, "scratch");
    }

    /// <summary>
    /// The spans of a recurrent layer's one-stream Step, which leaves the new h in the state: the state is written while x is
    /// still read, and the scratch beside both. Inlined, as the other checks of a streaming step are: NativeAOT, which has no
    /// profile to go by, left these calls out of line, a good part of why its steps took 1.3-2.3x the JIT's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StreamStep(int inputs, ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int parameterCount,
                                  ReadOnlySpan<float> state, int stateLength, ReadOnlySpan<float> scratch, int scratchLength)
    {
        Length(x.Length, inputs, "[I]", "x");
        Length(parameters.Length, parameterCount, "ParameterCount(I, H)", "parameters");
        Length(state.Length, stateLength, "StateLength(H)", "state");
        MinimumLength(scratch.Length, scratchLength, "scratch");
        Disjoint(x, "x", state, "state");
        Disjoint(x, "x", scratch, "scratch");
        Disjoint(state, "state", scratch, "scratch");
    }

    [DoesNotReturn]
    private static void ThrowNotPositive(int value, string name) =>
        throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");

    [DoesNotReturn]
    private static void ThrowLength(int actual, int expected, string layout, string name) =>
        throw new ArgumentException($"{name} must hold {layout} = {expected} floats, but holds {actual}.", name);

    [DoesNotReturn]
    private static void ThrowMinimumLength(int actual, int expected, string name) =>
        throw new ArgumentException($"{name} must hold at least {expected} floats, but holds {actual}.", name);

    [DoesNotReturn]
    private static void ThrowLengthOrEmpty(int actual, int expected, string layout, string name) =>
        throw new ArgumentException($"{name} must be empty or hold {layout} = {expected} floats, but holds {actual}.", name);

    [DoesNotReturn]
    private static void ThrowOverlap(string sourceName, string destinationName) =>
        throw new ArgumentException($"{destinationName} must not overlap {sourceName}.", destinationName);

    [DoesNotReturn]
    private static void ThrowCellActivation(Activation activation, string name) =>
        throw new ArgumentException($"{name} of an LSTM or GRU cell must be Tanh, but is {activation}.", name);
}
