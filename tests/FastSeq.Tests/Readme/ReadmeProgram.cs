using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FastSeq.Tests.Readme;

/// <summary>
/// Turns a C# block of the README into a console program that a test can compile and run quickly. The
/// block is kept as written except for these documented edits:
/// <list type="bullet">
/// <item>every <c>epochs: N</c> becomes <c>epochs: 2</c>, so training is short;</item>
/// <item>every <c>"name.safetensors"</c> literal becomes a path in a scratch folder, so nothing is written to the working directory;</item>
/// <item>its statements move before its type declarations, as top-level statements must come first;</item>
/// <item>variables the block uses without declaring (<c>series</c>, <c>window</c>, <c>forecast</c>) get stand-in declarations first.</item>
/// </list>
/// A self-contained block needs only the first two; see <see cref="StandIns"/>.
/// </summary>
internal static partial class ReadmeProgram
{
    public const int Epochs = 2;

    /// <summary>Declarations for the names the README's example leaves to the reader, as an SDK project would need them.</summary>
    public static readonly IReadOnlyDictionary<string, string> StandIns = new Dictionary<string, string>
    {
        ["series"] = "float[] series = new float[1000];\nfor (int i = 0; i < series.Length; i++)\n    series[i] = MathF.Sin(0.3f * i);\n",
        ["window"] = "var window = new float[10];\n",
        ["forecast"] = "var forecast = new float[1];\n",
    };

    /// <summary>The global usings of an SDK console project with ImplicitUsings enabled.</summary>
    public const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    [GeneratedRegex(@"\bepochs:\s*\d+")]
    private static partial Regex EpochsArgument();

    [GeneratedRegex("\"([^\"\\\\]+\\.safetensors)\"")]
    private static partial Regex SafeTensorsLiteral();

    /// <summary>The block with short training and weight files redirected to <paramref name="scratchFolder"/>.</summary>
    public static string Shorten(string block, string scratchFolder)
    {
        string shortened = EpochsArgument().Replace(block, $"epochs: {Epochs}");
        return SafeTensorsLiteral().Replace(shortened, match =>
            SymbolDisplay.FormatLiteral(Path.Combine(scratchFolder, match.Groups[1].Value), quote: true));
    }

    /// <summary>
    /// Usings, then <paramref name="standIns"/>, then the block's statements, then its type declarations:
    /// the order C# requires of a file with top-level statements.
    /// </summary>
    public static string Arrange(string block, IEnumerable<string> standIns)
    {
        CompilationUnitSyntax unit = CSharpSyntaxTree.ParseText(block).GetCompilationUnitRoot();
        IEnumerable<MemberDeclarationSyntax> statements = unit.Members.Where(m => m is GlobalStatementSyntax);
        IEnumerable<MemberDeclarationSyntax> declarations = unit.Members.Where(m => m is not GlobalStatementSyntax);
        return string.Concat(unit.Usings.Select(u => u.ToFullString())) + "\n" +
            string.Concat(standIns) +
            string.Concat(statements.Select(s => s.ToFullString())) + "\n" +
            string.Concat(declarations.Select(d => d.ToFullString())) +
            unit.EndOfFileToken.ToFullString();
    }

    /// <summary>The names a program uses but never declares (error CS0103).</summary>
    public static string[] UndeclaredNames(IEnumerable<Diagnostic> diagnostics) =>
        [.. diagnostics.Where(d => d.Id == "CS0103").Select(d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)).Distinct()];
}
