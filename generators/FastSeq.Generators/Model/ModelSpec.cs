using System.Linq;
using FastSeq.Generators.Helpers;

namespace FastSeq.Generators.Model;

/// <summary>The layer kinds the generator knows; numbers are not persisted anywhere.</summary>
internal enum LayerKind
{
    SimpleRnn,
    Lstm,
    Gru,
    Dense,
}

/// <summary>Mirror of FastSeq.Activation (the generator cannot reference the runtime); same values.</summary>
internal enum ActivationKind
{
    Linear,
    Tanh,
    Sigmoid,
    Relu,
    Softmax,
}

/// <summary>
/// One layer with every shape resolved: what it reads (<see cref="Inputs"/> per row, with or
/// without a time axis), what it writes, and where its parameters sit in the flat buffer.
/// </summary>
internal sealed record LayerSpec(
    LayerKind Kind,
    string Name,
    int Units,
    bool ReturnSequences,
    ActivationKind Activation,
    int Inputs,
    bool InputHasTimeAxis,
    int ParameterOffset,
    int ParameterCount)
{
    public bool IsRecurrent => Kind != LayerKind.Dense;

    /// <summary>A Dense layer keeps the time axis of its input; a recurrent one only if it returns sequences.</summary>
    public bool OutputHasTimeAxis => IsRecurrent ? ReturnSequences : InputHasTimeAxis;

    /// <summary>Gates per unit: 1 (SimpleRnn), 4 (LSTM i, f, g, o), 3 (GRU r, z, n).</summary>
    public int Gates => Kind switch
    {
        LayerKind.Lstm => 4,
        LayerKind.Gru => 3,
        _ => 1,
    };

    /// <summary>Floats of streaming state per stream: h, and c for an LSTM.</summary>
    public int StateLength => Kind switch
    {
        LayerKind.Lstm => 2 * Units,
        LayerKind.Dense => 0,
        _ => Units,
    };

    public string KerasClass => Kind switch
    {
        LayerKind.SimpleRnn => "SimpleRNN",
        LayerKind.Lstm => "LSTM",
        LayerKind.Gru => "GRU",
        _ => "Dense",
    };

    public string RuntimeClass => Kind switch
    {
        LayerKind.SimpleRnn => "SimpleRnnLayer",
        LayerKind.Lstm => "LstmLayer",
        LayerKind.Gru => "GruLayer",
        _ => "DenseLayer",
    };
}

/// <summary>A type that contains the model: its declaration keyword ("class", "record struct", ...), name and type parameters.</summary>
internal sealed record ContainingType(string Keyword, string Name, EquatableArray<string> TypeParameters)
{
    /// <summary>In file names: the name, and the arity of a generic type.</summary>
    public string HintPart => TypeParameters.Count == 0 ? Name : Name + "_" + TypeParameters.Count;
}

/// <summary>A model as the emitter needs it: plain values only, so the pipeline caches.</summary>
internal sealed record ModelSpec(
    string? Namespace,
    string TypeName,
    EquatableArray<ContainingType> ContainingTypes,
    int Timesteps,
    int Features,
    int MaxBatchSize,
    EquatableArray<LayerSpec> Layers,
    string? WeightsFile)
{
    /// <summary>The weight tensors read at compile time, in state-dict order; empty when none are embedded.</summary>
    public EquatableArray<byte> EmbeddedWeights { get; init; } = EquatableArray<byte>.Empty;

    public LayerSpec Output => Layers[Layers.Count - 1];

    public int OutputUnits => Output.Units;

    public int OutputLength => Output.OutputHasTimeAxis ? Timesteps * Output.Units : Output.Units;

    public int ParameterCount => Output.ParameterOffset + Output.ParameterCount;

    public int StreamStateLength => Layers.Sum(layer => layer.StateLength);

    public string HintName => (Namespace is null ? "" : Namespace + ".") +
        string.Concat(ContainingTypes.Select(t => t.HintPart + ".")) + TypeName + ".FastSeq.g.cs";
}
