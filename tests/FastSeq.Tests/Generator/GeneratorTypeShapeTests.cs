using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace FastSeq.Tests.Generator;

/// <summary>
/// Where a model class may sit and how it may be named: the generated part must land on the user's own
/// type (which then implements ISequenceModel) and compile, or the generator must say why it cannot.
/// </summary>
public class GeneratorTypeShapeTests
{
    private const string Layers = "[SequenceModel(Timesteps = 2, Features = 1)] [Gru(2)]";

    /// <summary>Runs the generator; returns its diagnostics, the output's warnings and errors, and the user's type by metadata name.</summary>
    private static (ImmutableArray<Diagnostic> Generator, Diagnostic[] Compile, INamedTypeSymbol? Model) Generate(string source, string metadataName)
    {
        GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(
            GeneratorHarness.Compilation("using FastSeq;\n" + source), out Compilation output, out ImmutableArray<Diagnostic> generator);
        Diagnostic[] compile = [.. output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];
        return (generator, compile, output.GetTypeByMetadataName(metadataName));
    }

    private static bool ImplementsModel(INamedTypeSymbol? type) =>
        type is not null && type.AllInterfaces.Any(i => i.ToDisplayString() == "FastSeq.ISequenceModel");

    [Theory]
    [InlineData("public static partial class Outer", "Outer+M")]
    [InlineData("namespace N.Inner { public partial class Outer", "N.Inner.Outer+M", "}")]
    [InlineData("public partial struct Outer", "Outer+M")]
    [InlineData("public partial record Outer", "Outer+M")]
    [InlineData("public partial record struct Outer", "Outer+M")]
    [InlineData("public partial interface IOuter", "IOuter+M")]
    [InlineData("public partial class Outer<T>", "Outer`1+M")]
    public void A_model_nested_in_any_partial_type_gets_its_members(string outer, string metadataName, string close = "")
    {
        var (generator, compile, model) = Generate($"{outer} {{ {Layers} public partial class M; }} {close}", metadataName);
        Assert.Empty(generator);
        Assert.True(compile.Length == 0, string.Join("\n", compile.Select(d => d.ToString())));
        Assert.True(ImplementsModel(model), $"the generated members did not land on {metadataName}");
    }

    [Fact]
    public void Keyword_names_written_with_an_at_sign_are_generated()
    {
        var (generator, compile, model) = Generate($"namespace @class.Models; {Layers} public partial class @event;", "class.Models.event");
        Assert.True(generator.IsEmpty && compile.Length == 0, string.Join("\n", generator.Concat(compile).Select(d => d.ToString())));
        Assert.True(ImplementsModel(model));
    }

    [Theory]
    [InlineData($"{Layers} public partial class M<T>;", "M`1", "FSEQ0011")]
    [InlineData($"{Layers} public partial record M;", "M", "FSEQ0011")]
    public void A_model_type_the_generator_cannot_extend_is_reported_not_skipped(string source, string metadataName, string expectedId)
    {
        var (generator, compile, model) = Generate(source, metadataName);
        // Exactly one FSEQ error, no generated members on the type, and nothing broken in the user's own code.
        Diagnostic d = Assert.Single(generator);
        Assert.Equal(expectedId, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.NotNull(model);
        Assert.False(ImplementsModel(model), $"{metadataName} was reported yet got generated members");
        Assert.True(compile.Length == 0, string.Join("\n", compile.Select(c => c.ToString())));
    }
}
