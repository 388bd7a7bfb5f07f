using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Generates tokens with a token model whose output is a distribution over its vocabulary (a Softmax Dense of
/// <see cref="ITokenSequenceModel.VocabularySize"/> units, or a Linear one read as logits): each prompt runs through the
/// model's <c>Step</c> to warm its state, then each chosen token (<see cref="GenerationOptions"/>) is fed back as the next
/// input. The generator owns the states and scratch of up to <see cref="MaxStreams"/> streams, so that, once a thread has
/// made its first call, <see cref="Generate(ReadOnlySpan{int}, Span{int}, int, GenerationOptions?)"/> allocates nothing.
/// </summary>
/// <remarks>
/// A generator is for one thread at a time; the model it drives may be shared by any number of generators on other threads.
/// Each call starts every stream from a zero state.
/// </remarks>
public sealed class TokenGenerator
{
    private readonly float[] _states;
    private readonly float[] _outputs;
    private readonly int[] _tokens;
    private readonly float[] _scores;
    private readonly float[] _sorted;
    private readonly SplitMix64[] _random;

    /// <summary>Makes the buffers of up to <paramref name="maxStreams"/> streams of <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The model's output is not a distribution over its vocabulary.</exception>
    public TokenGenerator(ITokenSequenceModel model, int maxStreams = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStreams, 1);
        int vocabulary = model.VocabularySize;
        if (model.OutputUnits != vocabulary || model.OutputActivation is not (Activation.Softmax or Activation.Linear))
        {
            throw new ArgumentException(
                $"{model.GetType().Name}'s output ({model.OutputUnits} units, {model.OutputActivation}) is not a distribution over its vocabulary of {vocabulary} tokens, " +
                $"which generation chooses each next token from: end the model with Dense({vocabulary}, Activation = Activation.Softmax), or a Linear Dense({vocabulary}) read as logits.",
                nameof(model));
        }
        Model = model;
        MaxStreams = maxStreams;
        _states = new float[(long)maxStreams * model.StreamStateLength];
        _outputs = new float[maxStreams * vocabulary];
        _tokens = new int[maxStreams];
        _scores = new float[vocabulary];
        _sorted = new float[vocabulary];
        _random = new SplitMix64[maxStreams];
    }

    /// <summary>The model that generates.</summary>
    public ITokenSequenceModel Model { get; }

    /// <summary>The most streams one call generates.</summary>
    public int MaxStreams { get; }

    /// <summary>
    /// Runs <paramref name="prompt"/> (at least one token) through the model, then writes <c>generated.Length</c> tokens that
    /// follow it, chosen as <paramref name="options"/> say (null: <see cref="GenerationOptions.Greedy"/>).
    /// </summary>
    public void Generate(ReadOnlySpan<int> prompt, Span<int> generated, GenerationOptions? options = null) =>
        Generate(prompt, generated, 1, options);

    /// <summary>
    /// Generates <paramref name="streams"/> independent sequences at once, stepping them together: prompts
    /// <c>[streams, promptLength]</c> in, tokens <c>[streams, N]</c> out. Stream s gets the tokens it would get alone, sampled
    /// with seed <c>options.Seed + s</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is empty or not a whole number of steps of every stream.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A prompt's token is not in the vocabulary (naming stream, step and id),
    /// <paramref name="streams"/> is not in [1, <see cref="MaxStreams"/>], or <see cref="GenerationOptions.TopK"/> exceeds the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The model's output holds a NaN or an infinity (its weights are not finite).</exception>
    public void Generate(ReadOnlySpan<int> prompts, Span<int> generated, int streams, GenerationOptions? options = null)
    {
        options ??= GenerationOptions.Greedy;
        int vocabulary = Model.VocabularySize;
        GenerationArguments.CheckStreams(streams, MaxStreams);
        int promptLength = GenerationArguments.StepsPerStream(prompts.Length, streams, 1, nameof(prompts), "token");
        int steps = GenerationArguments.StepsPerStream(generated.Length, streams, 1, nameof(generated), "token");
        if (options.TopK > vocabulary)
            throw new ArgumentOutOfRangeException(nameof(options), options.TopK, $"options.TopK is {options.TopK}, more than the model's vocabulary of {vocabulary} tokens; use 0 to sample among all of them.");
        Layers.EmbeddingLayer.CheckTokens(prompts, promptLength, vocabulary, nameof(prompts), "stream");

        Span<float> states = _states.AsSpan(0, streams * Model.StreamStateLength);
        Span<float> outputs = _outputs.AsSpan(0, streams * vocabulary);
        Span<int> tokens = _tokens.AsSpan(0, streams);
        states.Clear();
        for (int s = 0; s < streams; s++)
            _random[s] = SplitMix64.FromSeed((long)options.Seed + s);

        for (int t = 0; t < promptLength; t++)
        {
            for (int s = 0; s < streams; s++)
                tokens[s] = prompts[(s * promptLength) + t];
            Model.Step(tokens, outputs, states, streams);
        }
        for (int n = 0; n < steps; n++)
        {
            for (int s = 0; s < streams; s++)
            {
                tokens[s] = Choose(outputs.Slice(s * vocabulary, vocabulary), options, ref _random[s], s, n);
                generated[(s * steps) + n] = tokens[s];
            }
            // The last token needs no output after it.
            if (n < steps - 1)
                Model.Step(tokens, outputs, states, streams);
        }
    }

    /// <summary>The token that follows a stream whose model output is <paramref name="output"/> (probabilities or logits).</summary>
    private int Choose(ReadOnlySpan<float> output, GenerationOptions options, ref SplitMix64 random, int stream, int step)
    {
        int best = TensorPrimitives.IndexOfMax(output);
        // A NaN anywhere is the maximum, and an infinite logit leaves no distribution either.
        if (!float.IsFinite(output[best]))
        {
            throw new InvalidOperationException(
                $"{Model.GetType().Name}'s output before generated token {step} of stream {stream} holds {output[best]} for token {best}: it is no distribution to choose from (are its weights finite?).");
        }
        if (!options.Sample)
            return best;

        // Scores s: log probabilities, or logits. Weights exp((s - max s) / T), the largest being 1, so none overflows.
        Span<float> weights = _scores;
        if (Model.OutputActivation == Activation.Softmax)
            TensorPrimitives.Log(output, weights);
        else
            output.CopyTo(weights);
        if (options.TopK > 0)
            KeepLargest(weights, options.TopK);
        TensorPrimitives.Subtract(weights, weights[best], weights);
        TensorPrimitives.Multiply(weights, 1f / options.Temperature, weights);
        TensorPrimitives.Exp(weights, weights);

        double target = random.NextDouble() * TensorPrimitives.Sum<float>(weights);
        double cumulative = 0;
        for (int j = 0; j < weights.Length; j++)
        {
            cumulative += weights[j];
            if (target < cumulative)
                return j;
        }
        // Rounding left the target at the very top: the last token that can be drawn.
        return weights.LastIndexOfAnyExcept(0f);
    }

    /// <summary>Sets every score but the <paramref name="k"/> largest to -∞ (among equal scores at the cut, the lowest ids stay).</summary>
    private void KeepLargest(Span<float> scores, int k)
    {
        Span<float> sorted = _sorted;
        scores.CopyTo(sorted);
        sorted.Sort();
        float cut = sorted[^k];
        int atCut = k;
        foreach (float score in sorted[^k..])
        {
            if (score > cut)
                atCut--;
        }
        for (int j = 0; j < scores.Length; j++)
        {
            if (scores[j] > cut)
                continue;
            if (scores[j] == cut && atCut > 0)
                atCut--;
            else
                scores[j] = float.NegativeInfinity;
        }
    }
}
