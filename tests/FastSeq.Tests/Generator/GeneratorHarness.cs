using System.Collections.Immutable;
using FastSeq.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FastSeq.Tests.Generator;

/// <summary>Runs the FastSeq generator over source text with CSharpGeneratorDriver, as the compiler would.</summary>
internal static class GeneratorHarness
{
    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest);

    private static readonly ImmutableArray<MetadataReference> s_references =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll" or "mscorlib.dll")
            .Select(path => MetadataReference.CreateFromFile(path)),
        MetadataReference.CreateFromFile(typeof(SequenceModelAttribute).Assembly.Location),
    ];

    /// <summary>The sine forecaster of the reference weights, its weights embedded from <paramref name="weightsFile"/>.</summary>
    public static string SineModelWithWeights(string weightsFile) => $$"""
        using FastSeq;
        [SequenceModel(Timesteps = 10, Features = 1, Weights = {{SymbolDisplay.FormatLiteral(weightsFile, quote: true)}})]
        [SimpleRnn(32, ReturnSequences = true, Name = "rnn1")]
        [SimpleRnn(32, Name = "rnn2")]
        [Dense(1, Name = "head")]
        public partial class Sine;
        """;

    /// <summary>Parse options that also check XML doc comments (CS1570 and the like), as a build with GenerateDocumentationFile does.</summary>
    public static readonly CSharpParseOptions DocumentationParseOptions = s_parseOptions.WithDocumentationMode(DocumentationMode.Diagnose);

    public static CSharpCompilation Compilation(params string[] sources) => Compilation(s_parseOptions, sources);

    public static CSharpCompilation Compilation(CSharpParseOptions parseOptions, params string[] sources) =>
        CSharpCompilation.Create(
            "GeneratorTest",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parseOptions, path: $"Model{i}.cs")),
            s_references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(params string[] additionalFiles) => Driver(s_parseOptions, additionalFiles);

    public static GeneratorDriver Driver(CSharpParseOptions parseOptions, params string[] additionalFiles) =>
        CSharpGeneratorDriver.Create(
            [new FastSeqGenerator().AsSourceGenerator()],
            additionalTexts: [.. additionalFiles.Select(path => (AdditionalText)new FileOnDisk(path))],
            parseOptions: parseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Generator diagnostics plus the diagnostics of compiling the output (errors and warnings).</summary>
    public static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compilation, GeneratorDriverRunResult Result) Run(params string[] sources) =>
        RunWithFiles([], sources);

    /// <summary>As <see cref="Run"/>, with files on disk passed to the compiler as AdditionalFiles.</summary>
    public static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compilation, GeneratorDriverRunResult Result) RunWithFiles(string[] additionalFiles, params string[] sources) =>
        RunWithFiles(s_parseOptions, additionalFiles, sources);

    /// <summary>As <see cref="RunWithFiles(string[], string[])"/>, parsing sources and output with <paramref name="parseOptions"/>.</summary>
    public static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compilation, GeneratorDriverRunResult Result) RunWithFiles(CSharpParseOptions parseOptions, string[] additionalFiles, params string[] sources)
    {
        CSharpCompilation input = Compilation(parseOptions, sources);
        GeneratorDriver driver = Driver(parseOptions, additionalFiles).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        ImmutableArray<Diagnostic> compile = [.. output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];
        return (diagnostics, compile, driver.GetRunResult());
    }

    /// <summary>An AdditionalFiles item as the compiler gives it; binary files have no text.</summary>
    private sealed class FileOnDisk(string path) : AdditionalText
    {
        public override string Path => path;

        public override Microsoft.CodeAnalysis.Text.SourceText? GetText(CancellationToken cancellationToken = default) => null;
    }
}
