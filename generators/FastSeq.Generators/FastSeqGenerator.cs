using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FastSeq.Generators;

/// <summary>
/// Emits, for every class marked [SequenceModel], the statically shaped forward, backward and
/// streaming code of exactly the declared layer stack.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class FastSeqGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Each file's bytes travel with its path: editing a weights file re-embeds it, an unchanged one stays cached.
        IncrementalValueProvider<ImmutableArray<AdditionalWeightsFile>> weightFiles = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            .Select(AdditionalWeightsFile.Read)
            .WithTrackingName(TrackingNames.WeightsFiles)
            .Collect();

        IncrementalValuesProvider<ModelResult> models = context.SyntaxProvider
            .ForAttributeWithMetadataName(ModelAttribute, static (node, _) => node is TypeDeclarationSyntax, Parse)
            .WithTrackingName(TrackingNames.Models)
            .Combine(weightFiles)
            .Select(static (pair, _) => EmbedWeights(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.Weights);

        context.RegisterSourceOutput(models.Select(static (r, _) => r.Diagnostics).WithTrackingName(TrackingNames.Diagnostics), static (spc, diagnostics) =>
        {
            foreach (Model.DiagnosticInfo diagnostic in diagnostics)
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        IncrementalValuesProvider<Model.ModelSpec> specs = models
            .Where(static r => r.Model is not null)
            .Select(static (r, _) => r.Model!)
            .WithTrackingName(TrackingNames.Specs);
        context.RegisterSourceOutput(specs, static (spc, spec) => spc.AddSource(spec.HintName, Emit(spec)));

        foreach (string layerAttribute in LayerAttributes)
        {
            IncrementalValuesProvider<Model.DiagnosticInfo?> orphans = context.SyntaxProvider
                .ForAttributeWithMetadataName(layerAttribute, static (node, _) => node is ClassDeclarationSyntax, ParseOrphanLayers);
            context.RegisterSourceOutput(orphans, static (spc, diagnostic) =>
            {
                if (diagnostic is not null)
                    spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            });
        }
    }
}

/// <summary>Names of the pipeline steps, so tests can check what was cached.</summary>
internal static class TrackingNames
{
    public const string Models = nameof(Models);
    public const string WeightsFiles = nameof(WeightsFiles);
    public const string Weights = nameof(Weights);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Specs = nameof(Specs);
}
