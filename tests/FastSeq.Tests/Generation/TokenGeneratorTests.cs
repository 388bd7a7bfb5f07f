using System.Numerics.Tensors;

namespace FastSeq.Tests.Generation;

/// <summary>
/// Token generation: greedy is the argmax of stepping by hand, sampling repeats for a seed and draws from the tempered
/// distribution (all of it, or its top k), streams stepped together get what each gets alone, a warm generator allocates
/// nothing, and every bad argument is refused naming what is wrong.
/// </summary>
public class TokenGeneratorTests
{
    private const int Vocabulary = TokenWriter.VocabularySize;
    private static readonly int[] Prompt = [3, 1, 4, 1, 5];

    [Fact]
    public void Greedy_picks_the_argmax_of_each_step_fed_back_by_hand()
    {
        TokenWriter model = Peaked(new TokenWriter(seed: 1));
        var generated = new int[40];

        model.Generate(Prompt, generated);

        var state = new float[TokenWriter.StreamStateLength];
        var output = new float[Vocabulary];
        foreach (int token in Prompt)
            model.Step([token], output, state, 1);
        var expected = new int[generated.Length];
        for (int n = 0; n < expected.Length; n++)
        {
            expected[n] = TensorPrimitives.IndexOfMax(output);
            model.Step([expected[n]], output, state, 1);
        }
        Assert.Equal(expected, generated);
        Assert.True(generated.Distinct().Count() > 1, "a model that repeats one token tests little");
    }

    [Fact]
    public void Sampling_repeats_for_a_seed_and_differs_for_another_and_from_greedy()
    {
        TokenWriter model = Peaked(new TokenWriter(seed: 2));
        var generator = new TokenGenerator(model);
        int[] first = new int[60], second = new int[60], otherSeed = new int[60], greedy = new int[60];

        generator.Generate(Prompt, first, GenerationOptions.Sampled(temperature: 1f, seed: 7));
        generator.Generate(Prompt, greedy);
        generator.Generate(Prompt, second, GenerationOptions.Sampled(temperature: 1f, seed: 7));
        new TokenGenerator(model).Generate(Prompt, otherSeed, GenerationOptions.Sampled(temperature: 1f, seed: 8));

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
        Assert.NotEqual(first, greedy);
    }

    [Fact]
    public void A_temperature_near_zero_and_top_k_of_one_give_the_greedy_tokens()
    {
        TokenWriter model = Peaked(new TokenWriter(seed: 3));
        int[] greedy = new int[50], cold = new int[50], topOne = new int[50];

        model.Generate(Prompt, greedy);
        model.Generate(Prompt, cold, GenerationOptions.Sampled(temperature: 1e-4f, seed: 1));
        model.Generate(Prompt, topOne, GenerationOptions.Sampled(temperature: 5f, seed: 1, topK: 1));

        Assert.Equal(greedy, cold);
        Assert.Equal(greedy, topOne);
    }

    [Fact]
    public void Top_k_draws_only_among_the_k_most_probable_tokens_of_each_step()
    {
        TokenWriter model = new(seed: 4);
        var generated = new int[200];
        model.Generate(Prompt, generated, GenerationOptions.Sampled(temperature: 2f, seed: 3, topK: 3));

        var state = new float[TokenWriter.StreamStateLength];
        var output = new float[Vocabulary];
        foreach (int token in Prompt)
            model.Step([token], output, state, 1);
        var ranks = new int[3];
        foreach (int token in generated)
        {
            int[] topThree = [.. Enumerable.Range(0, Vocabulary).OrderByDescending(j => output[j]).ThenBy(j => j).Take(3)];
            int rank = Array.IndexOf(topThree, token);
            Assert.True(rank >= 0, $"token {token} (p = {output[token]}) is not among the three most probable, {string.Join(", ", topThree)}");
            ranks[rank]++;
            model.Step([token], output, state, 1);
        }
        Assert.All(ranks, count => Assert.True(count > 10, $"ranks drawn: {string.Join(", ", ranks)}"));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.5f)]
    [InlineData(2f)]
    public void Draws_follow_the_distribution_raised_to_one_over_the_temperature(float temperature)
    {
        TokenWriter model = Peaked(new TokenWriter(seed: 5));
        var state = new float[TokenWriter.StreamStateLength];
        var output = new float[Vocabulary];
        foreach (int token in Prompt)
            model.Step([token], output, state, 1);
        double[] tempered = [.. output.Select(p => Math.Pow(p, 1 / temperature))];
        double sum = tempered.Sum();

        const int Draws = 20_000;
        var counts = new int[Vocabulary];
        var generator = new TokenGenerator(model);
        var next = new int[1];
        for (int seed = 0; seed < Draws; seed++)
        {
            generator.Generate(Prompt, next, GenerationOptions.Sampled(temperature, seed));
            counts[next[0]]++;
        }
        for (int j = 0; j < Vocabulary; j++)
        {
            double p = tempered[j] / sum;
            // Five standard deviations of a binomial count, and a little for the float arithmetic.
            double tolerance = (5 * Math.Sqrt(Draws * p * (1 - p))) + 2;
            Assert.True(Math.Abs(counts[j] - (Draws * p)) <= tolerance, $"token {j}: drawn {counts[j]} times, expected {Draws * p:0.0} ± {tolerance:0.0}");
        }
    }

    [Fact]
    public void A_linear_output_is_read_as_logits()
    {
        TokenWriter probabilities = Peaked(new TokenWriter(seed: 6));
        var logits = new LogitWriter();
        probabilities.Parameters.CopyTo(logits.Parameters);
        int[] fromProbabilities = new int[60], fromLogits = new int[60];

        foreach (GenerationOptions options in new[] { GenerationOptions.Greedy, GenerationOptions.Sampled(0.7f, seed: 4), GenerationOptions.Sampled(1.5f, seed: 5, topK: 4) })
        {
            probabilities.Generate(Prompt, fromProbabilities, options);
            logits.Generate(Prompt, fromLogits, options);
            Assert.Equal(fromProbabilities, fromLogits);
        }
    }

    [Fact]
    public void Many_streams_get_what_each_gets_alone_with_seed_plus_its_index()
    {
        TokenWriter model = Peaked(new TokenWriter(seed: 7));
        const int Streams = 5, PromptLength = 4, Steps = 30;
        var random = new Random(8);
        int[] prompts = [.. Enumerable.Range(0, Streams * PromptLength).Select(_ => random.Next(Vocabulary))];
        var generator = new TokenGenerator(model, maxStreams: 6);

        foreach (GenerationOptions options in new[] { GenerationOptions.Greedy, GenerationOptions.Sampled(0.9f, seed: 11, topK: 5) })
        {
            var together = new int[Streams * Steps];
            generator.Generate(prompts, together, Streams, options);
            for (int s = 0; s < Streams; s++)
            {
                var alone = new int[Steps];
                generator.Generate(prompts.AsSpan(s * PromptLength, PromptLength), alone, options with { Seed = options.Seed + s });
                Assert.Equal(alone, together.AsSpan(s * Steps, Steps).ToArray());
            }
        }
    }

    [Fact]
    public void A_warm_generator_allocates_nothing()
    {
        TokenWriter model = Peaked(new TokenWriter(seed: 9));
        var generator = new TokenGenerator(model, maxStreams: 3);
        var prompts = new int[3 * 4];
        var generated = new int[3 * 20];
        GenerationOptions sampled = GenerationOptions.Sampled(0.8f, seed: 1, topK: 5);

        Allocations.AssertNone(() => generator.Generate(prompts, generated, 3));
        Allocations.AssertNone(() => generator.Generate(prompts, generated, 3, sampled));
        Allocations.AssertNone(() => generator.Generate(prompts.AsSpan(0, 4), generated.AsSpan(0, 20), sampled));
    }

    [Fact]
    public void Bad_arguments_throw_naming_what_is_wrong()
    {
        var model = new TokenWriter(seed: 1);
        var generator = new TokenGenerator(model, maxStreams: 2);

        var e = Assert.Throws<ArgumentException>(() => generator.Generate(Prompt, []));
        Assert.Equal("generated", e.ParamName);
        Assert.Contains("at least one token per stream", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => generator.Generate([], new int[5]));
        Assert.Equal("prompts", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => generator.Generate(new int[4], new int[5], 2));
        Assert.Contains("generated must hold at least one token per stream, a whole number of 2 streams", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => generator.Generate(new int[3], new int[4], 2));
        Assert.Equal("prompts", e.ParamName);

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(new int[6], new int[6], 3));
        Assert.Contains("MaxStreams (2)", range.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(new int[6], new int[6], 0));
        range = Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate([0, 1, 2, 0, 1, Vocabulary], new int[2], 2));
        Assert.Contains($"token id {Vocabulary} at stream 1, step 2", range.Message, StringComparison.Ordinal);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate([-1], new int[2]));
        Assert.Contains("token id -1 at stream 0, step 0", range.Message, StringComparison.Ordinal);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Prompt, new int[2], GenerationOptions.Sampled(topK: Vocabulary + 1)));
        Assert.Contains($"more than the model's vocabulary of {Vocabulary} tokens", range.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenGenerator(model, maxStreams: 0));

        foreach (float temperature in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
        {
            range = Assert.Throws<ArgumentOutOfRangeException>(() => GenerationOptions.Sampled(temperature));
            Assert.Equal("Temperature", range.ParamName);
        }
        range = Assert.Throws<ArgumentOutOfRangeException>(() => GenerationOptions.Sampled(topK: -1));
        Assert.Equal("TopK", range.ParamName);
    }

    [Fact]
    public void A_model_whose_output_is_no_distribution_over_its_vocabulary_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new TokenGenerator(new Models.TokenClassifier(seed: 1)));
        Assert.Contains("(3 units, Softmax) is not a distribution over its vocabulary of 12 tokens", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new TokenGenerator(new SigmoidWriter(seed: 1)));
        Assert.Contains("(7 units, Sigmoid)", e.Message, StringComparison.Ordinal);
        Assert.Contains("Dense(7, Activation = Activation.Softmax)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_that_cannot_step_says_so()
    {
        var e = Assert.Throws<NotSupportedException>(() => new BothWaysWriter(seed: 1).Generate(Prompt[..2], new int[3]));

        Assert.Contains("cannot be stepped one timestep at a time", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_finite_weights_throw_instead_of_choosing_a_token()
    {
        var model = new LogitWriter(seed: 1);
        model.Parameters[^1] = float.NaN;   // the last output bias

        var e = Assert.Throws<InvalidOperationException>(() => model.Generate(Prompt, new int[3]));
        Assert.Contains("generated token 0 of stream 0 holds NaN", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Scales every weight up, so that the random model's distributions are peaked enough to tell greedy from sampled.</summary>
    private static TokenWriter Peaked(TokenWriter model)
    {
        TensorPrimitives.Multiply(model.Parameters, 6f, model.Parameters);
        return model;
    }
}

[SequenceModel(Timesteps = 8, MaxBatchSize = 4)]
[Embedding(9, 4)]
[Gru(12, ReturnSequences = true)]
[Dense(9, Activation = Activation.Softmax)]
public partial class TokenWriter;

[SequenceModel(Timesteps = 8, MaxBatchSize = 4)]
[Embedding(9, 4)]
[Gru(12, ReturnSequences = true)]
[Dense(9)]
public partial class LogitWriter;

[SequenceModel(Timesteps = 3)]
[Embedding(7, 3)]
[Lstm(4)]
[Dense(7, Activation = Activation.Sigmoid)]
public partial class SigmoidWriter;

[SequenceModel(Timesteps = 4)]
[Embedding(6, 3)]
[Gru(4, ReturnSequences = true, Bidirectional = true)]
[Dense(6, Activation = Activation.Softmax)]
public partial class BothWaysWriter;
