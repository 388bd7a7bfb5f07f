using Microsoft.CodeAnalysis;

namespace FastSeq.Tests.Generator;

public class GeneratorDiagnosticsTests
{
    private static Diagnostic Single(string source, string id)
    {
        var (generator, _, _) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(generator, d => d.Id == id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        return diagnostic;
    }

    private static string TextAt(Diagnostic diagnostic, string source) =>
        source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);

    [Fact]
    public void Class_that_is_not_partial_is_an_error_at_the_model_attribute()
    {
        const string Source = """
            using FastSeq;
            [SequenceModel(Timesteps = 10, Features = 1)]
            [Dense(1)]
            public class Forecaster { }
            """;
        var d = Single(Source, "FSEQ0001");
        Assert.StartsWith("SequenceModel(", TextAt(d, Source));
        Assert.Contains("'Forecaster' must be declared 'partial'", d.GetMessage());
    }

    [Fact]
    public void Containing_type_that_is_not_partial_is_an_error()
    {
        var d = Single("""
            using FastSeq;
            public class Outer
            {
                [SequenceModel(Timesteps = 10, Features = 1)]
                [Dense(1)]
                public partial class Forecaster;
            }
            """, "FSEQ0001");
        Assert.Contains("every type that contains it", d.GetMessage());
    }

    [Theory]
    [InlineData("public partial class Forecaster<T>;")]
    [InlineData("public partial record Forecaster;")]
    [InlineData("public partial struct Forecaster;")]
    public void Generic_record_or_struct_model_is_an_error(string declaration)
    {
        var d = Single("using FastSeq;\n[SequenceModel(Timesteps = 10, Features = 1)]\n[Dense(1)]\n" + declaration, "FSEQ0011");
        Assert.Equal("'Forecaster' must be a concrete (non-abstract, non-static), non-generic, non-record partial class to be a sequence model", d.GetMessage());
    }

    /// <summary>Sizes that overflowed int gave wrong counts (SimpleRnn(100000): 1,410,265,408 parameters) or a bare OverflowException at run time.</summary>
    [Theory]
    [InlineData("Timesteps = 10, Features = 1", "[SimpleRnn(100000)]", "the buffers of layer 'simple_rnn' would need")]
    [InlineData("Timesteps = 10, MaxBatchSize = 1, Features = 100000000", "[Dense(30)]", "its parameters would need 3000000030 floats")]
    [InlineData("Timesteps = 65536, Features = 65536", "[Dense(1)]", "one batch of inputs would need")]
    [InlineData("Timesteps = 1000, Features = 1", "[Lstm(10000)]", "the buffers of layer 'lstm' would need")]
    public void Sizes_beyond_one_buffer_are_an_error_computed_in_64_bits(string model, string layer, string message)
    {
        var d = Single($"using FastSeq;\n[SequenceModel({model})]\n{layer}\npublic partial class Big;", "FSEQ0012");
        Assert.Contains("'Big' is too large: " + message, d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Layers_without_a_model_attribute_are_an_error_at_the_layer()
    {
        const string Source = """
            using FastSeq;
            [SimpleRnn(32)]
            [Dense(1)]
            public partial class Forecaster;
            """;
        var d = Single(Source, "FSEQ0002");
        Assert.StartsWith("SimpleRnn(32)", TextAt(d, Source));
        Assert.Contains("no [SequenceModel", d.GetMessage());
    }

    [Fact]
    public void Model_without_layers_is_an_error()
    {
        var d = Single("""
            using FastSeq;
            [SequenceModel(Timesteps = 10, Features = 1)]
            public partial class Empty;
            """, "FSEQ0003");
        Assert.Contains("declares no layers", d.GetMessage());
    }

    [Theory]
    [InlineData("[SequenceModel(Timesteps = 0, Features = 1)] [Dense(1)]", "Timesteps must be a positive number, but is 0")]
    [InlineData("[SequenceModel(Timesteps = 5, Features = -2)] [Dense(1)]", "Features must be a positive number, but is -2")]
    [InlineData("[SequenceModel(Timesteps = 5, Features = 1, MaxBatchSize = 0)] [Dense(1)]", "MaxBatchSize must be a positive number, but is 0")]
    [InlineData("[SequenceModel(Timesteps = 5, Features = 1)] [Lstm(0)] [Dense(1)]", "Units of layer 'lstm' must be a positive number, but is 0")]
    [InlineData("[SequenceModel(Timesteps = 5, Features = 1)] [Dense(-1, Name = \"head\")]", "Units of layer 'head' must be a positive number, but is -1")]
    public void Sizes_that_are_not_positive_are_errors(string attributes, string message)
    {
        var d = Single("using FastSeq;\n" + attributes + "\npublic partial class M;", "FSEQ0004");
        Assert.Equal(message, d.GetMessage());
    }

    [Fact]
    public void Recurrent_layer_after_a_layer_without_time_axis_is_an_error_at_that_layer()
    {
        const string Source = """
            using FastSeq;
            [SequenceModel(Timesteps = 10, Features = 1)]
            [SimpleRnn(32)]
            [Gru(16)]
            [Dense(1)]
            public partial class Forecaster;
            """;
        var d = Single(Source, "FSEQ0005");
        Assert.StartsWith("Gru(16)", TextAt(d, Source));
        Assert.Contains("set ReturnSequences = true on 'simple_rnn'", d.GetMessage());
    }

    [Fact]
    public void Recurrent_layer_after_dense_on_last_timestep_is_an_error()
    {
        Single("""
            using FastSeq;
            [SequenceModel(Timesteps = 10, Features = 1)]
            [Lstm(8)]
            [Dense(4)]
            [Lstm(8)]
            public partial class M;
            """, "FSEQ0005");
    }

    [Fact]
    public void Unsupported_activation_is_an_error()
    {
        var d = Single("""
            using FastSeq;
            [SequenceModel(Timesteps = 10, Features = 1)]
            [SimpleRnn(8, Activation = Activation.Softmax)]
            [Dense(1)]
            public partial class M;
            """, "FSEQ0006");
        Assert.Contains("Activation.Softmax", d.GetMessage());
    }

    [Theory]
    [InlineData("Lstm(8, Dropout = 1f)", "Dropout of layer 'lstm' is 1; a dropout rate must be in [0, 1): the fraction of values dropped in training")]
    [InlineData("Gru(8, RecurrentDropout = -0.2f)", "RecurrentDropout of layer 'gru' is -0.2; a dropout rate must be in [0, 1): the fraction of values dropped in training")]
    [InlineData("SimpleRnn(8, Dropout = float.NaN)", "Dropout of layer 'simple_rnn' is NaN; a dropout rate must be in [0, 1): the fraction of values dropped in training")]
    [InlineData("Dropout(1.5f)", "Rate of layer 'dropout' is 1.5; a dropout rate must be in [0, 1): the fraction of values dropped in training")]
    public void Dropout_rate_outside_zero_to_one_is_an_error_at_the_layer(string layer, string message)
    {
        string source = "using FastSeq;\n[SequenceModel(Timesteps = 10, Features = 1)]\n[" + layer + "]\n[Dense(1)]\npublic partial class M;";
        var (generator, _, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(generator);
        Assert.Equal("FSEQ0016", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(layer, TextAt(d, source));
        Assert.Equal(message, d.GetMessage());
    }

    [Theory]
    [InlineData("Dense(1, Activation = (Activation)42)", "Layer 'dense' (Dense) does not support activation (Activation)42; use Activation.Linear, Activation.Tanh, Activation.Sigmoid, Activation.Relu or Activation.Softmax")]
    [InlineData("Dense(1, Activation = (Activation)(-1))", "Layer 'dense' (Dense) does not support activation (Activation)(-1); use Activation.Linear, Activation.Tanh, Activation.Sigmoid, Activation.Relu or Activation.Softmax")]
    [InlineData("SimpleRnn(8, Activation = (Activation)42)", "Layer 'simple_rnn' (SimpleRnn) does not support activation (Activation)42; use Activation.Tanh or Activation.Relu")]
    public void Activation_value_the_enum_does_not_name_is_an_error_at_the_layer(string layer, string message)
    {
        string source = "using FastSeq;\n[SequenceModel(Timesteps = 10, Features = 1)]\n[" + layer + "]\npublic partial class M;";
        var (generator, compile, result) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(generator);
        Assert.Equal("FSEQ0006", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(layer, TextAt(d, source));
        Assert.Equal(message, d.GetMessage());
        // Reported instead of emitting code that cannot compile.
        Assert.Empty(result.GeneratedTrees);
        Assert.Empty(compile);
    }

    [Fact]
    public void Duplicate_layer_names_are_an_error()
    {
        Single("""
            using FastSeq;
            [SequenceModel(Timesteps = 10, Features = 1)]
            [Lstm(8, Name = "encoder", ReturnSequences = true)]
            [Lstm(8, Name = "encoder")]
            [Dense(1)]
            public partial class M;
            """, "FSEQ0007");
    }

    [Fact]
    public void Valid_models_generate_code_that_compiles_without_warnings()
    {
        var (generator, compile, result) = GeneratorHarness.Run("""
            using FastSeq;
            namespace Demo.Models;
            [SequenceModel(Timesteps = 10, Features = 1)]
            [SimpleRnn(32, ReturnSequences = true)]
            [SimpleRnn(32)]
            [Dense(1)]
            public partial class SineForecaster;

            [SequenceModel(Timesteps = 6, Features = 2, MaxBatchSize = 8)]
            [Lstm(8, ReturnSequences = true)]
            [Gru(5, ReturnSequences = true)]
            [Dense(3, Activation = Activation.Softmax)]
            internal partial class Tagger;

            public static partial class Outer
            {
                [SequenceModel(Timesteps = 1, Features = 3)]
                [Dense(2, Activation = Activation.Tanh)]
                internal partial class Nested;
            }
            """);
        Assert.Empty(generator);
        Assert.Empty(compile);
        Assert.Equal(
            ["Demo.Models.Outer.Nested.FastSeq.g.cs", "Demo.Models.SineForecaster.FastSeq.g.cs", "Demo.Models.Tagger.FastSeq.g.cs"],
            result.GeneratedTrees.Select(t => Path.GetFileName(t.FilePath)).Order());
    }
}
