using System.Linq;
using FastSeq.Generators.Catalog;
using FastSeq.Generators.Helpers;

namespace FastSeq.Generators.Model;

/// <summary>
/// One layer with every shape resolved: what it reads (<see cref="Inputs"/> per row, with or without a time
/// axis), what it writes, and where its parameters sit in the flat buffer. Everything else about its kind is in
/// <see cref="Info"/>, the shared layer catalogue. <see cref="Identifier"/> is the name as the PascalCase part of
/// generated member names (<c>simple_rnn_1</c> -> <c>SimpleRnn1</c>), unique in the model.
/// </summary>
internal sealed record LayerSpec(
    LayerKind Kind,
    string Name,
    string Identifier,
    int Units,
    bool ReturnSequences,
    bool Bidirectional,
    bool MaskZero,
    Activation Activation,
    int Inputs,
    bool InputHasTimeAxis,
    int ParameterOffset,
    int ParameterCount)
{
    public LayerKindInfo Info => LayerCatalog.Of(Kind);

    /// <summary>A recurrent layer outputs a time axis only if it returns sequences; any other keeps its input's.</summary>
    public bool OutputHasTimeAxis => Info.IsRecurrent ? ReturnSequences : InputHasTimeAxis;

    /// <summary>The width of its output: the units, twice over for a bidirectional layer.</summary>
    public int OutputUnits => Bidirectional ? 2 * Units : Units;

    /// <summary>Floats of state per sequence: both directions' for a bidirectional layer (which cannot stream, but starts from and ends in them).</summary>
    public int StateLength => (Bidirectional ? 2 : 1) * Info.StateVectors * Units;
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

    public int OutputUnits => Output.OutputUnits;

    public int OutputLength => Output.OutputHasTimeAxis ? Timesteps * Output.OutputUnits : Output.OutputUnits;

    /// <summary>Whether it reads token ids (its first layer is an embedding) rather than floats.</summary>
    public bool ReadsTokens => Layers[0].Info.TakesTokens;

    /// <summary>Whether id 0 is padding, so that the lengths of its sequences come from their tokens.</summary>
    public bool MasksZero => Layers[0].MaskZero;

    /// <summary>Whether Step can advance it one timestep at a time: not if a layer reads both directions.</summary>
    public bool CanStream => Layers.All(layer => !layer.Bidirectional);

    public int ParameterCount => Output.ParameterOffset + Output.ParameterCount;

    public int StreamStateLength => Layers.Sum(layer => layer.StateLength);

    public string HintName => (Namespace is null ? "" : Namespace + ".") +
        string.Concat(ContainingTypes.Select(t => t.HintPart + ".")) + TypeName + ".FastSeq.g.cs";
}
