using Microsoft.CodeAnalysis;

namespace FastSeq.Tests.Generator;

/// <summary>
/// The generated source of a few representative models, compared line for line with the checked-in
/// <c>Baselines/*.g.cs</c>. Set <c>FASTSEQ_UPDATE_BASELINES=1</c> to rewrite them after a deliberate change.
/// </summary>
public class GeneratorSnapshotTests
{
    private static readonly Dictionary<string, string> s_models = new()
    {
        // The README's model: global namespace, Keras default layer names.
        ["SineForecaster"] = """
            using FastSeq;

            [SequenceModel(Timesteps = 10, Features = 1)]   // Keras: input_shape=(10, 1)
            [SimpleRnn(32, ReturnSequences = true)]
            [SimpleRnn(32)]
            [Dense(1)]
            public partial class SineForecaster;
            """,

        // Many-to-many: LSTM then GRU returning sequences, a Softmax Dense at every timestep; file-scoped namespace.
        ["SequenceTagger"] = """
            using FastSeq;

            namespace Demo.Tagging;

            [SequenceModel(Timesteps = 12, Features = 3, MaxBatchSize = 16)]
            [Lstm(16, ReturnSequences = true)]
            [Gru(8, ReturnSequences = true)]
            [Dense(4, Activation = Activation.Softmax)]
            public partial class SequenceTagger;
            """,

        // A model nested in a static class inside a block namespace, with named layers and a ReLU SimpleRNN.
        ["AnomalyDetector"] = """
            using FastSeq;

            namespace Demo.Sensors
            {
                public static partial class Detectors
                {
                    [SequenceModel(Timesteps = 5, Features = 2, MaxBatchSize = 8)]
                    [SimpleRnn(6, Activation = Activation.Relu, Name = "encoder")]
                    [Dense(1, Activation = Activation.Sigmoid, Name = "head")]
                    internal partial class AnomalyDetector;
                }
            }
            """,

        // Token ids in, both directions: an Embedding and a bidirectional GRU, a classifier that cannot stream.
        ["SentimentClassifier"] = """
            using FastSeq;

            namespace Demo.Text;

            [SequenceModel(Timesteps = 20, MaxBatchSize = 32)]
            [Embedding(1000, 16)]
            [Gru(12, Bidirectional = true)]
            [Dense(2, Activation = Activation.Softmax)]
            public partial class SentimentClassifier;
            """,

        // Dropout of every kind: before a layer, on a recurrent layer's inputs and state (one direction and both), and last.
        ["NoisyTagger"] = """
            using FastSeq;

            namespace Demo.Noise;

            [SequenceModel(Timesteps = 8, Features = 3, MaxBatchSize = 16)]
            [Dropout(0.1f)]
            [Lstm(8, ReturnSequences = true, Dropout = 0.2f, RecurrentDropout = 0.2f)]
            [Gru(4, ReturnSequences = true, Bidirectional = true, RecurrentDropout = 0.25f)]
            [Dense(2)]
            [Dropout(0.5f)]
            public partial class NoisyTagger;
            """,
    };

    private static readonly Dictionary<string, string> s_hintNames = new()
    {
        ["NoisyTagger"] = "Demo.Noise.NoisyTagger.FastSeq.g.cs",
        ["SineForecaster"] = "SineForecaster.FastSeq.g.cs",
        ["SequenceTagger"] = "Demo.Tagging.SequenceTagger.FastSeq.g.cs",
        ["AnomalyDetector"] = "Demo.Sensors.Detectors.AnomalyDetector.FastSeq.g.cs",
        ["SentimentClassifier"] = "Demo.Text.SentimentClassifier.FastSeq.g.cs",
    };

    public static TheoryData<string> Models => [.. s_models.Keys];

    [Theory]
    [MemberData(nameof(Models))]
    public void Generated_source_matches_its_baseline(string model)
    {
        var (generatorDiagnostics, compileDiagnostics, result) = GeneratorHarness.Run(s_models[model]);
        Assert.Empty(generatorDiagnostics);
        Assert.Empty(compileDiagnostics);

        GeneratedSourceResult generated = Assert.Single(Assert.Single(result.Results).GeneratedSources);
        Assert.Equal(s_hintNames[model], generated.HintName);
        string text = generated.SourceText.ToString();
        Assert.DoesNotContain('\r', text);
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        Baseline.AssertMatches(generated.HintName, text);
    }

    [Fact]
    public void Every_baseline_belongs_to_a_model()
    {
        string[] files = [.. Directory.GetFiles(Baseline.Folder, "*.g.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        if (!Baseline.Updating)
            Assert.Equal(s_hintNames.Values.Order(StringComparer.Ordinal), files);
    }
}
