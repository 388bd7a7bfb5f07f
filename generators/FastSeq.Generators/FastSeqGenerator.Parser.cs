using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using FastSeq.Generators.Catalog;
using FastSeq.Generators.Helpers;
using FastSeq.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FastSeq.Generators;

/// <summary>
/// What parsing one model produced: the spec to emit (null when it has errors), its diagnostics, and where its
/// [SequenceModel] attribute is, for the weights step's diagnostics. The location stays out of
/// <see cref="ModelSpec"/> so that moving the model within its file (a line added above it) leaves the spec
/// equal and the emitter cached.
/// </summary>
internal sealed record ModelResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics, LocationInfo? Location);

public sealed partial class FastSeqGenerator
{
    internal const string ModelAttribute = "FastSeq.SequenceModelAttribute";

    internal static readonly ImmutableArray<string> LayerAttributes = [.. LayerCatalog.All.Select(kind => kind.AttributeName)];

    /// <summary>Turns the attributes on one class into a <see cref="ModelSpec"/> with every shape resolved.</summary>
    private static ModelResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var diagnostics = new List<DiagnosticInfo>();
        AttributeData modelAttribute = context.Attributes[0];
        LocationInfo? modelLocation = LocationInfo.From(modelAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));

        if (type.TypeKind != TypeKind.Class || type.IsRecord || type.IsStatic || type.IsAbstract || type.TypeParameters.Length > 0)
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.NotAClass, modelLocation, type.Name));
        else if (!IsPartialAll(type, cancellationToken))
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.NotPartial, modelLocation, type.Name));

        int timesteps = NamedInt(modelAttribute, "Timesteps", 0);
        int features = NamedInt(modelAttribute, "Features", 0);
        int maxBatchSize = NamedInt(modelAttribute, "MaxBatchSize", 64);
        RequirePositive(diagnostics, modelLocation, "Timesteps", timesteps);
        RequirePositive(diagnostics, modelLocation, "MaxBatchSize", maxBatchSize);
        // A model that starts with an embedding reads one token id per step, not Features floats.
        bool readsTokens = type.GetAttributes().Select(a => LayerCatalog.ForAttribute(a.AttributeClass?.ToDisplayString())).FirstOrDefault(k => k is not null)?.TakesTokens == true;
        if (!readsTokens)
            RequirePositive(diagnostics, modelLocation, "Features", features);
        else if (Named(modelAttribute, "Features") is not null)
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.EmbeddingPlacement, modelLocation, type.Name, "it starts with an Embedding, so it reads token ids; remove Features"));
        else
            features = 1;

        var layers = new List<LayerSpec>();
        var nameCounts = new Dictionary<string, int>();
        var usedNames = new HashSet<string>();
        var usedIdentifiers = new HashSet<string>();
        int inputs = features;
        bool hasTimeAxis = true;
        string previousName = "input";
        long offset = 0;

        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            LayerKindInfo? kind = LayerCatalog.ForAttribute(attribute.AttributeClass?.ToDisplayString());
            if (kind is null)
                continue;

            LocationInfo? location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
            // Most kinds take (units); an embedding takes (inputDim, outputDim): the vocabulary is its input width; a
            // Dropout layer takes (rate) and is as wide as its input.
            int units = kind.DropsOut ? inputs : ConstructorInt(attribute, kind.TakesTokens ? 1 : 0);
            float dropout = kind.DropsOut ? ConstructorFloat(attribute, 0) : NamedFloat(attribute, "Dropout");
            float recurrentDropout = NamedFloat(attribute, "RecurrentDropout");
            if (kind.TakesTokens)
            {
                inputs = ConstructorInt(attribute, 0);
                if (layers.Count > 0)
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.EmbeddingPlacement, location, type.Name, "an Embedding can only be its first layer"));
            }
            bool returnSequences = NamedBool(attribute, "ReturnSequences");
            bool bidirectional = NamedBool(attribute, "Bidirectional");
            bool maskZero = NamedBool(attribute, "MaskZero");
            // A kind with fixed equations (LSTM, GRU) has no Activation property, so its default is always taken.
            var activation = (Activation)NamedInt(attribute, "Activation", (int)kind.DefaultActivation);
            string name = NamedString(attribute, "Name") ?? DefaultName(kind, nameCounts);

            if (name.Length == 0)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.EmptyName, location, kind.Kind.ToString()));
            if (kind.TakesTokens)
            {
                RequirePositive(diagnostics, location, $"InputDim of layer '{name}'", inputs);
                RequirePositive(diagnostics, location, $"OutputDim of layer '{name}'", units);
            }
            else if (!kind.DropsOut)
                RequirePositive(diagnostics, location, $"Units of layer '{name}'", units);
            RequireRate(diagnostics, location, kind.DropsOut ? "Rate" : "Dropout", name, dropout);
            RequireRate(diagnostics, location, "RecurrentDropout", name, recurrentDropout);
            if (!usedNames.Add(name))
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.DuplicateName, location, name));
            if (!kind.Activations.Contains(activation))
            {
                string allowed = string.Join(", ", kind.Activations.Take(kind.Activations.Count - 1).Select(a => "Activation." + a)) +
                    (kind.Activations.Count > 1 ? " or " : "") + "Activation." + kind.Activations[kind.Activations.Count - 1];
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.UnsupportedActivation, location, name, kind.Kind.ToString(), ActivationSource(activation), allowed));
            }
            if (kind.IsRecurrent && !hasTimeAxis)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NoTimeAxis, location, name, previousName));

            long count = units > 0 && inputs > 0 ? kind.ParameterCount(inputs, units, bidirectional) : 0;
            var layer = new LayerSpec(kind.Kind, name, UniqueIdentifier(name, usedIdentifiers), units, returnSequences && kind.IsRecurrent, bidirectional, maskZero, activation,
                inputs, hasTimeAxis, (int)Math.Min(offset, int.MaxValue), (int)Math.Min(count, int.MaxValue), dropout, recurrentDropout);
            layers.Add(layer);
            offset += count;
            inputs = layer.OutputUnits;
            hasTimeAxis = layer.OutputHasTimeAxis;
            previousName = name;
        }

        if (layers.Count == 0)
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.NoLayers, modelLocation, type.Name));
        else if (diagnostics.Count == 0)
            CheckSizes(diagnostics, modelLocation, type.Name, timesteps, features, maxBatchSize, layers, offset);
        if (diagnostics.Count == 0)
            CheckConflicts(diagnostics, modelLocation, type, layers, NamedString(modelAttribute, "Weights") is not null, cancellationToken);

        if (diagnostics.Count > 0)
            return new ModelResult(null, diagnostics.ToEquatableArray(), modelLocation);

        var containing = new List<ContainingType>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            containing.Insert(0, new ContainingType(Keyword(outer), outer.Name, outer.TypeParameters.Select(p => p.Name).ToEquatableArray()));

        var spec = new ModelSpec(
            NamespaceOf(type),
            type.Name,
            containing.ToEquatableArray(),
            timesteps,
            features,
            maxBatchSize,
            layers.ToEquatableArray(),
            NamedString(modelAttribute, "Weights"));
        return new ModelResult(spec, EquatableArray<DiagnosticInfo>.Empty, modelLocation);
    }

    /// <summary>Reports layer attributes on a class that has no [SequenceModel].</summary>
    private static DiagnosticInfo? ParseOrphanLayers(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        // Every layer attribute kind runs this; only the class's first layer attribute reports.
        ImmutableArray<AttributeData> attributes = context.TargetSymbol.GetAttributes();
        if (attributes.Any(a => a.AttributeClass?.ToDisplayString() == ModelAttribute) ||
            !SymbolEqualityComparer.Default.Equals(attributes.First(a => LayerCatalog.ForAttribute(a.AttributeClass?.ToDisplayString()) is not null).AttributeClass, context.Attributes[0].AttributeClass))
        {
            return null;
        }
        LocationInfo? location = LocationInfo.From(context.Attributes[0].ApplicationSyntaxReference?.GetSyntax(cancellationToken));
        return Diagnostic(DiagnosticDescriptors.LayerWithoutModel, location, context.TargetSymbol.Name);
    }

    /// <summary>The namespace as plain dotted names (no '@' escapes), or null for the global namespace.</summary>
    private static string? NamespaceOf(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (INamespaceSymbol ns = type.ContainingNamespace; !ns.IsGlobalNamespace; ns = ns.ContainingNamespace)
            parts.Insert(0, ns.Name);
        return parts.Count == 0 ? null : string.Join(".", parts);
    }

    /// <summary>The keyword that declares a type: class, struct, interface, record or record struct.</summary>
    private static string Keyword(INamedTypeSymbol type) => type.TypeKind switch
    {
        TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
        TypeKind.Interface => "interface",
        _ => type.IsRecord ? "record" : "class",
    };

    /// <summary>
    /// Every buffer a model allocates must be indexable by int: the parameters, one batch of inputs, and each layer's
    /// largest buffer for MaxBatchSize rows (its cache or its Backward workspace, bounded here from above).
    /// </summary>
    private static void CheckSizes(List<DiagnosticInfo> diagnostics, LocationInfo? location, string model, int timesteps, int features, int maxBatchSize,
                                   List<LayerSpec> layers, long parameterCount)
    {
        long rows = (long)maxBatchSize * timesteps;
        long largest = Math.Max(parameterCount, rows * features);
        string what = largest == parameterCount ? "its parameters" : "one batch of inputs";
        foreach (LayerSpec layer in layers)
        {
            // A recurrent layer's cache and Backward scratch hold about G + 2 rows of H per timestep, and its transposed
            // weights; a Dense layer's buffers are its pre-activations and outputs.
            long gates = layer.Info.Gates;
            long buffer = layer.Info.IsRecurrent
                ? ((layer.Bidirectional ? 2 : 1) * ((rows * (gates + 2) * layer.Units) + (gates * layer.Units * ((long)layer.Units + layer.Inputs)))) + (rows * layer.Inputs)
                : rows * 2 * layer.Units;
            if (buffer > largest)
                (largest, what) = (buffer, $"the buffers of layer '{layer.Name}'");
        }
        if (largest > int.MaxValue)
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.TooLarge, location, model, what, largest.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>The members every generated model declares; a layer adds its <c>Offset</c>, <c>Length</c> and <c>Shape</c>.</summary>
    private static readonly ImmutableHashSet<string> s_generatedMembers =
    [
        "Timesteps", "Features", "InputLength", "OutputLength", "OutputUnits", "ParameterCount", "MaxBatchSize", "StreamStateLength",
        "OutputActivation", "Parameters", "Gradients", "Outputs", "Logits", "InputGradients", "Predict", "Forward", "Backward",
        "ResetState", "Step", "Summary", "StateDict", "LoadWeights", "SaveWeights", "FromWeights", "CheckInputsFinite", "VocabularySize", "RunStep", "Lengths",
        "MaxDegreeOfParallelism", "CreateReplica", "RunPredict", "_maxDegreeOfParallelism",
        "_parameters", "_training", "_streamState", "_exclusive", "t_predictBuffers", "t_stepBuffers", "TrainingBuffers",
        "RunForward", "OutputsOf", "Activations", "Training", "StepBuffers", "EmbeddedWeights", "s_summary", "s_stateDict",
        "Layers", "HiddenStateGradients", "s_layers",
        "ResetDropout", "DropoutMasks", "_dropoutSeed", "_dropoutPasses",
    ];

    /// <summary>
    /// What the user declared that the generated part would clash with: a member of a generated name, a constructor of
    /// a generated signature or a primary constructor (the generated constructors cannot chain to it), or a base
    /// class without a parameterless constructor for them to call.
    /// </summary>
    private static void CheckConflicts(List<DiagnosticInfo> diagnostics, LocationInfo? location, INamedTypeSymbol type, List<LayerSpec> layers,
                                       bool embedsWeights, CancellationToken cancellationToken)
    {
        var generated = new HashSet<string>(s_generatedMembers);
        foreach (LayerSpec layer in layers)
            generated.UnionWith([layer.Identifier + "Offset", layer.Identifier + "Length", layer.Identifier + "Shape"]);
        if (generated.Contains(type.Name))
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.Conflict, location, type.Name, $"FastSeq gives it a member named '{type.Name}', and a member cannot have the name of its type; rename the class"));
        foreach (ISymbol member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared)
                continue;
            if (generated.Contains(member.Name))
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.Conflict, location, type.Name, $"it declares '{member.Name}', a member FastSeq generates; rename it"));
            else if (member is IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false } constructor &&
                     (constructor.Parameters.Length == 0 ? embedsWeights : constructor.Parameters.Length == 1 && (constructor.Parameters[0].Type.SpecialType == SpecialType.System_Int32 || IsFloatSegment(constructor.Parameters[0].Type))))
            {
                string signature = constructor.Parameters.Length == 0 ? "()" : constructor.Parameters[0].Type.SpecialType == SpecialType.System_Int32 ? "(int)" : "(ArraySegment<float>)";
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.Conflict, location, type.Name, $"it declares a constructor {signature}, which FastSeq generates; remove it"));
            }
        }
        if (type.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: not null }))
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.Conflict, location, type.Name, "it has a primary constructor, which the generated constructors cannot chain to; remove it"));
        if (type.BaseType is { SpecialType: not SpecialType.System_Object } baseType &&
            !baseType.InstanceConstructors.Any(c => c.DeclaredAccessibility != Accessibility.Private && c.Parameters.All(p => p.IsOptional)))
        {
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.Conflict, location, type.Name,
                $"its base class '{baseType.Name}' has no accessible parameterless constructor for the generated constructors to call"));
        }
    }

    /// <summary>Whether <paramref name="type"/> is <c>System.ArraySegment&lt;float&gt;</c>, the parameter of the constructor that makes a replica.</summary>
    private static bool IsFloatSegment(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "ArraySegment", TypeArguments.Length: 1, ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } segment &&
        segment.TypeArguments[0].SpecialType == SpecialType.System_Single;

    /// <summary>Keras names layers by class, counting per class: simple_rnn, simple_rnn_1, dense, ...</summary>
    private static string DefaultName(LayerKindInfo kind, Dictionary<string, int> counts)
    {
        counts.TryGetValue(kind.NameStem, out int seen);
        counts[kind.NameStem] = seen + 1;
        return seen == 0 ? kind.NameStem : kind.NameStem + "_" + SourceWriter.Number(seen);
    }

    /// <summary>
    /// A layer name as the PascalCase part of generated member names (<c>simple_rnn_1</c> -> <c>SimpleRnn1</c>): letters and
    /// digits kept, every other character a word break; numbered when it starts with a digit, is empty or is taken.
    /// </summary>
    private static string UniqueIdentifier(string name, HashSet<string> used)
    {
        var builder = new System.Text.StringBuilder();
        bool wordStart = true;
        foreach (char c in name)
        {
            if (!char.IsLetterOrDigit(c) || c > 0x7F)
            {
                wordStart = true;
                continue;
            }
            builder.Append(wordStart ? char.ToUpperInvariant(c) : c);
            wordStart = false;
        }
        string stem = builder.Length == 0 || char.IsDigit(builder[0]) ? "Layer" + builder : builder.ToString();
        string identifier = stem;
        for (int n = 2; !used.Add(identifier); n++)
            identifier = stem + "_" + SourceWriter.Number(n);
        return identifier;
    }

    private static bool IsDefined(Activation activation) => System.Enum.IsDefined(typeof(Activation), activation);

    /// <summary>An activation as it is written in C#: <c>Activation.Relu</c>, or <c>(Activation)42</c> for a value the enum does not name.</summary>
    private static string ActivationSource(Activation activation)
    {
        if (IsDefined(activation))
            return "Activation." + activation;
        int value = (int)activation;
        return value < 0 ? "(Activation)(" + SourceWriter.Number(value) + ")" : "(Activation)" + SourceWriter.Number(value);
    }

    private static bool IsPartialAll(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            bool partial = t.DeclaringSyntaxReferences.Any(r =>
                r.GetSyntax(cancellationToken) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial)
                return false;
        }
        return true;
    }

    private static void RequirePositive(List<DiagnosticInfo> diagnostics, LocationInfo? location, string what, int value)
    {
        if (value <= 0)
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.NotPositive, location, what, SourceWriter.Number(value)));
    }

    /// <summary>A dropout rate must lie in [0, 1), as Keras requires (NaN fails too).</summary>
    private static void RequireRate(List<DiagnosticInfo> diagnostics, LocationInfo? location, string what, string layer, float rate)
    {
        if (!(rate >= 0f && rate < 1f))
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.DropoutRate, location, what, layer, rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static DiagnosticInfo Diagnostic(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    private static TypedConstant? Named(AttributeData attribute, string name)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
                return argument.Value;
        }
        return null;
    }

    private static int ConstructorInt(AttributeData attribute, int index) =>
        attribute.ConstructorArguments.Length > index && attribute.ConstructorArguments[index].Value is int value ? value : 0;

    private static float ConstructorFloat(AttributeData attribute, int index) =>
        attribute.ConstructorArguments.Length > index && attribute.ConstructorArguments[index].Value is float value ? value : 0f;

    private static float NamedFloat(AttributeData attribute, string name) =>
        Named(attribute, name)?.Value is float value ? value : 0f;

    private static int NamedInt(AttributeData attribute, string name, int fallback) =>
        Named(attribute, name)?.Value is int value ? value : fallback;

    private static bool NamedBool(AttributeData attribute, string name) =>
        Named(attribute, name)?.Value is true;

    private static string? NamedString(AttributeData attribute, string name) =>
        Named(attribute, name)?.Value as string;
}
