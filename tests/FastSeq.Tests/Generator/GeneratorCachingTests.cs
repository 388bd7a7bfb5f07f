using FastSeq.Generators;
using FastSeq.Tests.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FastSeq.Tests.Generator;

public class GeneratorCachingTests
{
    private const string Model = """
        using FastSeq;
        [SequenceModel(Timesteps = 10, Features = 1)]
        [SimpleRnn(32)]
        [Dense(1)]
        public partial class SineForecaster;
        """;

    private static IncrementalStepRunReason SpecReason(GeneratorDriver driver) =>
        driver.GetRunResult().Results[0].TrackedSteps[TrackingNames.Specs].Single().Outputs.Single().Reason;

    [Fact]
    public void Second_run_on_the_same_compilation_is_cached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Model);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        driver = driver.RunGenerators(compilation.Clone());
        Assert.Equal(IncrementalStepRunReason.Cached, SpecReason(driver));
    }

    [Fact]
    public void Unrelated_edit_leaves_the_model_unchanged()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Model, "class Other { }");
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        SyntaxTree other = compilation.SyntaxTrees.Last();
        compilation = compilation.ReplaceSyntaxTree(other, other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("class Other { int _x; }")));
        driver = driver.RunGenerators(compilation);
        Assert.Contains(SpecReason(driver), new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
    }

    private static readonly string EmbeddedModel = GeneratorHarness.SineModelWithWeights("sine_forecaster.safetensors");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Lines_added_above_the_model_in_its_own_file_leave_the_spec_unchanged(bool embedded)
    {
        string model = embedded ? EmbeddedModel : Model;
        string[] files = embedded ? [ReferenceCase.Load("sine_forecaster").Path] : [];
        CSharpCompilation compilation = GeneratorHarness.Compilation(model);
        GeneratorDriver driver = GeneratorHarness.Driver(files).RunGenerators(compilation);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        compilation = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("// A comment\n// moves the model two lines down.\n" + model)));
        driver = driver.RunGenerators(compilation);
        // The model's location changed, so the parse step re-ran, but the spec the emitter gets did not.
        Assert.Equal(IncrementalStepRunReason.Modified, driver.GetRunResult().Results[0].TrackedSteps[TrackingNames.Models].Single().Outputs.Single().Reason);
        Assert.Equal(IncrementalStepRunReason.Unchanged, SpecReason(driver));
    }

    [Fact]
    public void A_weights_diagnostic_follows_the_model_when_lines_are_added_above_it()
    {
        string model = GeneratorHarness.SineModelWithWeights("missing.safetensors");
        CSharpCompilation compilation = GeneratorHarness.Compilation(model);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        Diagnostic before = Assert.Single(driver.GetRunResult().Diagnostics);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        string edited = "// A comment\n// moves the model two lines down.\n" + model;
        compilation = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(edited)));
        driver = driver.RunGenerators(compilation);
        Diagnostic after = Assert.Single(driver.GetRunResult().Diagnostics);
        Assert.Equal("FSEQ0008", after.Id);
        Assert.Equal(before.Location.GetLineSpan().StartLinePosition.Line + 2, after.Location.GetLineSpan().StartLinePosition.Line);
        Assert.StartsWith("SequenceModel(", edited[after.Location.SourceSpan.Start..], StringComparison.Ordinal);
    }

    [Fact]
    public void Attribute_change_modifies_the_model()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Model);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        compilation = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Model.Replace("SimpleRnn(32)", "SimpleRnn(16)"))));
        driver = driver.RunGenerators(compilation);
        Assert.Equal(IncrementalStepRunReason.Modified, SpecReason(driver));
    }
}
