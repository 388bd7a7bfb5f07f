using FastSeq.Generators;
using FastSeq.Tests.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace FastSeq.Tests.Generator;

/// <summary>
/// Embedded weights follow edits of their file: an IDE gives the generator a new AdditionalText when the file
/// changes, and the model re-embeds if and only if the bytes changed.
/// </summary>
public sealed class EmbeddedWeightsCachingTests : IDisposable
{
    private static readonly string Model = GeneratorHarness.SineModelWithWeights("sine_forecaster.safetensors");

    // Little-endian 0x3F332211 (about 0.7): written over the first weight, the first one embedded.
    private const string EditedBytes = "0x11, 0x22, 0x33, 0x3F";

    private readonly string folder = Directory.CreateTempSubdirectory("fastseq-cache-").FullName;
    private readonly string path;

    public EmbeddedWeightsCachingTests()
    {
        path = Path.Combine(folder, "sine_forecaster.safetensors");
        File.Copy(ReferenceCase.Load("sine_forecaster").Path, path);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Editing_the_weights_file_re_embeds_the_new_weights()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Model);
        var text = new BinaryFile(path);
        GeneratorDriver driver = Driver(text).RunGenerators(compilation);
        Assert.DoesNotContain(EditedBytes, Source(driver), StringComparison.Ordinal);

        byte[] bytes = File.ReadAllBytes(path);
        int firstWeight = 8 + (int)BitConverter.ToUInt64(bytes);   // rnn1.weight_ih_l0 starts the data
        new byte[] { 0x11, 0x22, 0x33, 0x3F }.CopyTo(bytes, firstWeight);
        File.WriteAllBytes(path, bytes);
        driver = driver.ReplaceAdditionalText(text, new BinaryFile(path)).RunGenerators(compilation);

        Assert.Equal(IncrementalStepRunReason.Modified, StepReason(driver, TrackingNames.WeightsFiles));
        Assert.Equal(IncrementalStepRunReason.Modified, StepReason(driver, TrackingNames.Specs));
        Assert.Contains(EditedBytes, Source(driver), StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_text_of_unchanged_bytes_or_an_unrelated_edit_leaves_the_model_cached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Model, "class Other { }");
        var text = new BinaryFile(path);
        GeneratorDriver driver = Driver(text).RunGenerators(compilation);
        string before = Source(driver);

        driver = driver.ReplaceAdditionalText(text, new BinaryFile(path)).RunGenerators(compilation);
        Assert.Equal(IncrementalStepRunReason.Unchanged, StepReason(driver, TrackingNames.WeightsFiles));
        Assert.Contains(StepReason(driver, TrackingNames.Specs), new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });

        SyntaxTree other = compilation.SyntaxTrees.Last();
        compilation = compilation.ReplaceSyntaxTree(other, other.WithChangedText(SourceText.From("class Other { int _x; }")));
        driver = driver.RunGenerators(compilation);
        Assert.Equal(IncrementalStepRunReason.Cached, StepReason(driver, TrackingNames.WeightsFiles));
        Assert.Contains(StepReason(driver, TrackingNames.Specs), new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
        Assert.Equal(before, Source(driver));
    }

    private static GeneratorDriver Driver(AdditionalText weights) =>
        CSharpGeneratorDriver.Create(
            [new FastSeqGenerator().AsSourceGenerator()],
            additionalTexts: [weights],
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static IncrementalStepRunReason StepReason(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results[0].TrackedSteps[step].Single().Outputs.Single().Reason;

    private static string Source(GeneratorDriver driver) => Assert.Single(driver.GetRunResult().GeneratedTrees).ToString();

    /// <summary>An AdditionalFiles item as the compiler gives it for a binary file: a path, no text.</summary>
    private sealed class BinaryFile(string path) : AdditionalText
    {
        public override string Path => path;

        public override SourceText? GetText(CancellationToken cancellationToken = default) => null;
    }
}
