using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.CSharp;

namespace FastSeq.Tests.Readme;

/// <summary>
/// Turns a C# block of the README, a complete program as a user would paste it, into one a test can
/// compile and run quickly. The block is kept as written except for two documented edits:
/// <list type="bullet">
/// <item>every <c>epochs: N</c> becomes <c>epochs: 2</c>, so training is short;</item>
/// <item>every <c>"name.safetensors"</c> literal becomes a path in a scratch folder, so nothing is written to the working directory.</item>
/// </list>
/// </summary>
internal static partial class ReadmeProgram
{
    public const int Epochs = 2;

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
}
