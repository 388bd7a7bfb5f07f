using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;

namespace FastSeq.Tests.Generator;

/// <summary>
/// Declarations drawn at random, sane and hostile alike (wrong or missing arguments, extreme sizes, names of every
/// kind, every kind of type and containing type, user members that collide with generated ones): the generator
/// answers each with FSEQ diagnostics or with code that compiles, never with an exception (CS8785, AD0001) or an
/// error inside the file it generated.
/// </summary>
public class GeneratorPropertyTests
{
    private const int Cases = 160;

    private static readonly string[] s_typeNames = ["M", "Random", "Activation", "LstmLayer", "Span", "Math", "@event", "Ünïcode", "_x", "Training", "Forecaster"];
    private static readonly string[] s_kinds = ["SimpleRnn", "Lstm", "Gru", "Dense"];
    private static readonly int[] s_sizes = [1, 2, 3, 7, 16];
    private static readonly int[] s_hostileSizes = [0, -5, 100000, 65536, int.MaxValue];
    private static readonly string?[] s_names = [null, null, null, "", "x", "dense", "same", "same", "a\\nb", "q\\\"uote", "日本", "1abc", "Timesteps", "\\uD800"];
    private static readonly string[] s_activations = ["", "", ", Activation = Activation.Relu", ", Activation = Activation.Softmax", ", Activation = (Activation)42", ", Activation = (Activation)(-1)"];
    private static readonly string[] s_members =
    [
        "", "", "", "public int Predict;", "public void Step() { }", "public M(int seed) { }", "private class Training { }",
        "public const int GruOffset = 1;", "public static string Describe() => \"ok\";", "public override string ToString() => \"m\";",
    ];
    private static readonly (string Open, string Close)[] s_containers =
    [
        ("", ""), ("", ""), ("namespace N.Inner;\n", ""), ("namespace @class.Models;\n", ""),
        ("public partial class Outer {\n", "}"), ("public static partial class Outer {\n", "}"), ("public partial struct Outer {\n", "}"),
        ("public partial record Outer {\n", "}"), ("public partial interface IOuter {\n", "}"), ("public partial class Outer<T> {\n", "}"),
        ("public class NotPartial {\n", "}"),
    ];
    private static readonly string[] s_typeKeywords =
    [
        "public partial class", "public partial class", "public sealed partial class", "internal partial class", "public static partial class",
        "public partial struct", "public partial record", "public class", "public abstract partial class", "public partial class GENERIC",
    ];

    [Fact]
    public void Any_declaration_gives_diagnostics_or_code_that_compiles()
    {
        var random = new Random(20261203);
        int generated = 0, reported = 0;
        for (int i = 0; i < Cases; i++)
        {
            string source = Declaration(random);
            GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(
                GeneratorHarness.Compilation(source), out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);

            Diagnostic[] crashes = [.. generatorDiagnostics.Where(d => d.Id is "CS8785" or "AD0001")];
            Assert.True(crashes.Length == 0, $"case {i}: the generator failed\n{source}\n{string.Join("\n", crashes.Select(d => d.ToString()))}");
            Assert.All(generatorDiagnostics, d => Assert.StartsWith("FSEQ", d.Id, StringComparison.Ordinal));

            Diagnostic[] inGenerated = [.. output.GetDiagnostics()
                .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true)];
            Assert.True(inGenerated.Length == 0, $"case {i}: errors inside generated code\n{source}\n{string.Join("\n", inGenerated.Take(5).Select(d => d.ToString()))}");

            if (generatorDiagnostics.IsEmpty && output.SyntaxTrees.Any(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)))
                generated++;
            if (!generatorDiagnostics.IsEmpty)
                reported++;
        }
        // The draw must exercise both outcomes, or the property says little.
        Assert.True(generated >= Cases / 10 && reported >= Cases / 10, $"{generated} generated, {reported} reported of {Cases}");
    }

    private static string Declaration(Random random)
    {
        // Mostly sane choices, so that most declarations get as far as generated code; one in five of each is hostile.
        T Pick<T>(T[] values) => values[random.Next(values.Length)];
        T Mostly<T>(T sane, T[] others) => random.Next(5) > 0 ? sane : Pick(others);
        string Size() => Pick(random.Next(8) > 0 ? s_sizes : s_hostileSizes).ToString(CultureInfo.InvariantCulture);

        var model = new List<string>();
        switch (random.Next(6))
        {
            case 0 when random.Next(3) == 0: model.Add($"Timesteps = {Size()}"); break;      // Features missing
            case 1 when random.Next(3) == 0: model.Add($"Features = {Size()}"); break;       // Timesteps missing
            default: model.Add($"Timesteps = {Size()}, Features = {Size()}"); break;
        }
        if (random.Next(3) == 0)
            model.Add($"MaxBatchSize = {Size()}");

        var lines = new List<string>();
        if (random.Next(20) > 0)
            lines.Add($"[SequenceModel({string.Join(", ", model)})]");
        int layers = random.Next(8) > 0 ? 1 + random.Next(3) : random.Next(2) * 5;
        for (int l = 0; l < layers; l++)
        {
            string kind = Pick(s_kinds);
            string? name = Mostly(null, s_names);
            string arguments = Size()
                + (random.Next(2) == 0 ? ", ReturnSequences = true" : "")
                + (kind is "SimpleRnn" or "Dense" ? Mostly("", s_activations) : "")
                + (name is null ? "" : $", Name = \"{name}\"");
            lines.Add($"[{kind}({arguments})]");
        }

        string typeName = Pick(s_typeNames);
        string keyword = Mostly("public partial class", s_typeKeywords);
        string generic = keyword.EndsWith("GENERIC", StringComparison.Ordinal) ? "<T>" : "";
        keyword = keyword.Replace(" GENERIC", "", StringComparison.Ordinal);
        string member = Mostly("", s_members).Replace("M(", typeName.TrimStart('@') + "(", StringComparison.Ordinal);
        lines.Add($"{keyword} {typeName}{generic} {{ {member} }}");

        (string open, string close) = Mostly(("", ""), s_containers);
        return "using FastSeq;\n" + open + string.Join("\n", lines) + "\n" + close + "\n";
    }
}
