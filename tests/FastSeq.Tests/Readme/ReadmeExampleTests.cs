using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using FastSeq.Tests.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FastSeq.Tests.Readme;

/// <summary>
/// Every <c>```csharp</c> block of the repository's README.md compiles, with the FastSeq generator and
/// without a warning, into a console program that runs to the end (see <see cref="ReadmeProgram"/> for the
/// few edits made so that it runs quickly).
/// </summary>
public class ReadmeExampleTests
{
    /// <summary>The folder holding FastSeq.sln, found by walking up from the test binaries.</summary>
    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "FastSeq.sln")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"No FastSeq.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The contents of every fenced block opened with <c>```csharp</c>.</summary>
    private static IReadOnlyList<string> CSharpBlocks(string markdown)
    {
        var blocks = new List<string>();
        List<string>? current = null;
        foreach (string line in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            if (current is null && line.TrimStart().StartsWith("```csharp", StringComparison.Ordinal))
            {
                current = [];
            }
            else if (current is not null && line.Trim() == "```")
            {
                blocks.Add(string.Join("\n", current) + "\n");
                current = null;
            }
            else
            {
                current?.Add(line);
            }
        }
        Assert.True(current is null, "README.md has a ```csharp block that is never closed.");
        return blocks;
    }

    private static (Compilation Output, ImmutableArray<Diagnostic> Generator) CompileProgram(string program)
    {
        CSharpCompilation input = GeneratorHarness.Compilation(program, ReadmeProgram.ImplicitUsings);
        input = input.WithOptions(input.Options.WithOutputKind(OutputKind.ConsoleApplication).WithWarningLevel(9999));
        GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generator);
        return (output, generator);
    }

    private static string Numbered(string source) =>
        string.Join("\n", source.Split('\n').Select((line, i) => $"{i + 1,3}: {line}"));

    /// <summary>Runs the program's entry point in its own load context, returning what it wrote to the console.</summary>
    private static string Run(Compilation compilation)
    {
        using var image = new MemoryStream();
        Assert.True(compilation.Emit(image).Success);
        image.Position = 0;

        var context = new AssemblyLoadContext("ReadmeExample", isCollectible: true);
        TextWriter console = Console.Out;
        using var output = new StringWriter();
        try
        {
            Assembly assembly = context.LoadFromStream(image);
            MethodInfo entryPoint = assembly.EntryPoint!;
            // Console is process-wide: synchronised in case another test writes while the example runs.
            Console.SetOut(TextWriter.Synchronized(output));
            entryPoint.Invoke(null, entryPoint.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
        }
        catch (TargetInvocationException e)
        {
            Assert.Fail($"The README example threw {e.InnerException}\nafter writing:\n{output}");
        }
        finally
        {
            Console.SetOut(console);
            context.Unload();
        }
        return output.ToString();
    }

    [Fact]
    public void Readme_has_csharp_examples()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        Assert.NotEmpty(CSharpBlocks(readme));
    }

    [Fact]
    public void Csharp_blocks_are_found_whole()
    {
        IReadOnlyList<string> blocks = CSharpBlocks("text\n```csharp\nvar a = 1;\n\nvar b = 2;\n```\n```bash\nls\n```\n  ```csharp\nint c;\n  ```\n");
        Assert.Equal(["var a = 1;\n\nvar b = 2;\n", "int c;\n"], blocks);
    }

    [Fact]
    public void Every_csharp_example_in_the_readme_compiles_without_warnings_and_runs()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        string scratch = Directory.CreateTempSubdirectory("fastseq-readme-").FullName;
        try
        {
            foreach (string block in CSharpBlocks(readme))
            {
                string program = ReadmeProgram.Shorten(block, scratch);
                (Compilation compilation, ImmutableArray<Diagnostic> generator) = CompileProgram(program);
                Diagnostic[] problems = [.. generator.Concat(compilation.GetDiagnostics()).Where(d => d.Severity >= DiagnosticSeverity.Warning)];
                Assert.True(problems.Length == 0, $"{string.Join("\n", problems.Select(d => d.ToString()))}\nin the program made of the README example:\n{Numbered(program)}");

                string output = Run(compilation);
                if (block.Contains("Fit(", StringComparison.Ordinal) && !block.Contains("onEpochEnd", StringComparison.Ordinal))
                    Assert.Contains($"Epoch {ReadmeProgram.Epochs}/{ReadmeProgram.Epochs}", output, StringComparison.Ordinal);
                if (block.Contains("SaveWeights(", StringComparison.Ordinal))
                    Assert.NotEmpty(Directory.GetFiles(scratch, "*.safetensors"));
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
