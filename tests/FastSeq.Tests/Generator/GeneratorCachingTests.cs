using FastSeq.Generators;
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
