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

    /// <summary>The generated code names every type in full, so a user's type of the same simple name cannot take its place.</summary>
    [Theory]
    [InlineData("namespace N; [SequenceModel(Timesteps = 2, Features = 1)] [Lstm(2)] [Dense(2, Activation = Activation.Softmax)] public partial class Random;", "N.Random")]
    [InlineData("namespace N; [SequenceModel(Timesteps = 2, Features = 1)] [SimpleRnn(2)] public partial class Activation;", "N.Activation")]
    [InlineData("namespace N; class Math { } class AlignedMemory { } class LayerShape { } [SequenceModel(Timesteps = 2, Features = 1)] [Gru(2)] public partial class M;", "N.M")]
    [InlineData("class Span<T> { } class ArraySegment<T> { } class ModelArguments { } [SequenceModel(Timesteps = 2, Features = 1)] [Lstm(2)] public partial class LstmLayer;", "LstmLayer")]
    public void Types_named_like_the_ones_generated_code_uses_do_not_break_it(string source, string metadataName)
    {
        var (generator, compile, model) = Generate(source, metadataName);
        Assert.True(generator.IsEmpty && compile.Length == 0, string.Join("\n", generator.Concat(compile).Select(d => d.ToString())));
        Assert.True(ImplementsModel(model));
    }

    /// <summary>Layer names go into string literals and comments: line breaks, quotes, backslashes and lone surrogates stay inside them.</summary>
    [Fact]
    public void Layer_names_of_any_characters_stay_in_their_literals_and_comments()
    {
        const string Source = """
            [SequenceModel(Timesteps = 2, Features = 1)]
            [Lstm(2, Name = "a\n    }\n    public int Injected => 1;\n//\"\\")]
            [Dense(1, Name = "\uD800 \u2028 tab\t")]
            public partial class M;
            """;
        var (generator, compile, model) = Generate(Source, "M");
        Assert.True(generator.IsEmpty && compile.Length == 0, string.Join("\n", generator.Concat(compile).Select(d => d.ToString())));
        Assert.True(ImplementsModel(model));
        Assert.Empty(model!.GetMembers("Injected"));
    }

    [Theory]
    [InlineData($"{Layers} public partial class M<T>;", "M`1", "FSEQ0011")]
    [InlineData($"{Layers} public partial record M;", "M", "FSEQ0011")]
    [InlineData($"{Layers} public static partial class M;", "M", "FSEQ0011")]
    [InlineData($"{Layers} public abstract partial class M;", "M", "FSEQ0011")]
    [InlineData($"{Layers} public partial class M {{ public int Timesteps => 3; }}", "M", "FSEQ0013")]
    [InlineData($"{Layers} public partial class Training;", "Training", "FSEQ0013")]
    [InlineData($"{Layers} public partial class GruShape;", "GruShape", "FSEQ0013")]
    [InlineData($"{Layers} public partial class M {{ public void Predict() {{ }} }}", "M", "FSEQ0013")]
    [InlineData($"{Layers} public partial class M {{ public float[] Parameters = []; }}", "M", "FSEQ0013")]
    [InlineData($"{Layers} public partial class M {{ public const int GruOffset = 1; }}", "M", "FSEQ0013")]
    [InlineData($"{Layers} public partial class M {{ public M(int seed) {{ }} }}", "M", "FSEQ0013")]
    [InlineData($"{Layers} public partial class M {{ public M(System.ArraySegment<float> weights) {{ }} }}", "M", "FSEQ0013")]
    [InlineData($"{Layers} public partial class M(string name) {{ public string Name => name; }}", "M", "FSEQ0013")]
    [InlineData($"public class B {{ public B(int x) {{ }} }} {Layers} public partial class M : B {{ public M(string s) : base(s.Length) {{ }} }}", "M", "FSEQ0013")]
    [InlineData("[SequenceModel(Timesteps = 2, Features = 1)] [Gru(2, Name = \"\")] public partial class M;", "M", "FSEQ0014")]
    [InlineData("[SequenceModel(Timesteps = 2, Features = 1)] [Embedding(10, 4)] [Gru(2)] public partial class M;", "M", "FSEQ0015")]
    [InlineData("[SequenceModel(Timesteps = 2)] [Embedding(10, 4)] [Embedding(10, 4, Name = \"second\")] public partial class M;", "M", "FSEQ0015")]
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
