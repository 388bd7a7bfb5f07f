using System.Linq;
using Microsoft.CodeAnalysis;

namespace FastSeq.Generators;

/// <summary>Every diagnostic the FastSeq generator reports; each is a compile error at the attribute that causes it.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "FastSeq";

    public static readonly DiagnosticDescriptor NotPartial = Error("FSEQ0001",
        "Sequence model type must be partial",
        "'{0}' must be declared 'partial' (and so must every type that contains it) so that FastSeq can generate its model code");

    public static readonly DiagnosticDescriptor LayerWithoutModel = Error("FSEQ0002",
        "Layer attribute without [SequenceModel]",
        "'{0}' has layer attributes but no [SequenceModel(Timesteps = ..., Features = ...)]; add it to declare the input shape");

    public static readonly DiagnosticDescriptor NoLayers = Error("FSEQ0003",
        "Sequence model has no layers",
        "'{0}' declares no layers; add at least one layer attribute such as [SimpleRnn(32)], [Lstm(32)], [Gru(32)] or [Dense(1)]");

    public static readonly DiagnosticDescriptor NotPositive = Error("FSEQ0004",
        "Size must be positive",
        "{0} must be a positive number, but is {1}");

    public static readonly DiagnosticDescriptor NoTimeAxis = Error("FSEQ0005",
        "Recurrent layer has no sequence to read",
        "Layer '{0}' is recurrent but its input from '{1}' has no time axis; set ReturnSequences = true on '{1}'");

    public static readonly DiagnosticDescriptor UnsupportedActivation = Error("FSEQ0006",
        "Activation not supported by this layer",
        "Layer '{0}' ({1}) does not support activation {2}; use {3}");

    public static readonly DiagnosticDescriptor DuplicateName = Error("FSEQ0007",
        "Duplicate layer name",
        "Layer name '{0}' is used twice; weight-file tensor names must be unique");

    public static readonly DiagnosticDescriptor WeightsNotFound = Error("FSEQ0008",
        "Weights file is not an AdditionalFiles item",
        "Weights file '{0}' is not among the compilation's AdditionalFiles; add <AdditionalFiles Include=\"{0}\" /> to the project");

    public static readonly DiagnosticDescriptor WeightsUnreadable = Error("FSEQ0009",
        "Weights file cannot be read",
        "Weights file '{0}' cannot be read as safetensors: {1}");

    public static readonly DiagnosticDescriptor WeightsMismatch = Error("FSEQ0010",
        "Weights file does not fit the model",
        "Weights file '{0}' does not fit the declared layers: {1}");

    public static readonly DiagnosticDescriptor NotAClass = Error("FSEQ0011",
        "Sequence model must be a non-generic class",
        "'{0}' must be a concrete (non-abstract, non-static), non-generic, non-record partial class to be a sequence model");

    public static readonly DiagnosticDescriptor TooLarge = Error("FSEQ0012",
        "Sequence model is too large",
        "'{0}' is too large: {1} would need {2} floats, more than one buffer can hold (2,147,483,647); use fewer units, timesteps or a smaller MaxBatchSize");

    public static readonly DiagnosticDescriptor Conflict = Error("FSEQ0013",
        "Declaration conflicts with the generated model",
        "'{0}' cannot be a sequence model as declared: {1}");

    public static readonly DiagnosticDescriptor EmptyName = Error("FSEQ0014",
        "Layer name is empty",
        "A {0} layer has an empty Name; give it a name, or leave Name out for the Keras default");

    public static readonly DiagnosticDescriptor EmbeddingPlacement = Error("FSEQ0015",
        "Embedding misplaced",
        "'{0}' cannot be a sequence model as declared: {1}");

    public static readonly DiagnosticDescriptor DropoutRate = Error("FSEQ0016",
        "Dropout rate out of range",
        "{0} of layer '{1}' is {2}; a dropout rate must be in [0, 1): the fraction of values dropped in training");

    private static readonly DiagnosticDescriptor[] s_all =
        [NotPartial, LayerWithoutModel, NoLayers, NotPositive, NoTimeAxis, UnsupportedActivation, DuplicateName, WeightsNotFound, WeightsUnreadable, WeightsMismatch, NotAClass, TooLarge, Conflict, EmptyName, EmbeddingPlacement, DropoutRate];

    public static DiagnosticDescriptor ById(string id) => s_all.First(d => d.Id == id);

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
