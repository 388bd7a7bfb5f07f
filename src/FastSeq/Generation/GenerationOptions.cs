namespace FastSeq;

/// <summary>
/// How a token model's next token is chosen from its output at each generated step: greedily, the most probable one
/// (<see cref="Greedy"/>, the default), or drawn at random (<see cref="Sampled"/>) from the output's distribution
/// sharpened or flattened by a <see cref="Temperature"/>, optionally among the <see cref="TopK"/> most probable tokens
/// only, with a generator seeded by <see cref="Seed"/>: the same seed, model and prompt give the same tokens.
/// </summary>
/// <remarks>
/// Sampling draws token j with probability proportional to <c>exp(s_j / Temperature)</c>, where s is the output's log
/// probabilities (a Softmax output) or the output itself (a Linear output, read as logits): temperature 1 keeps the
/// model's distribution, below 1 sharpens it towards the greedy choice, above 1 flattens it.
/// </remarks>
public sealed record GenerationOptions
{
    private readonly float _temperature = 1f;
    private readonly int _topK;

    /// <summary>Each step picks the most probable token (argmax; the lowest id among equals).</summary>
    public static GenerationOptions Greedy { get; } = new();

    /// <summary>Each step draws a token at random: see <see cref="Temperature"/>, <see cref="TopK"/> and <see cref="Seed"/>.</summary>
    public static GenerationOptions Sampled(float temperature = 1f, int seed = 0, int topK = 0) =>
        new() { Sample = true, Temperature = temperature, Seed = seed, TopK = topK };

    /// <summary>Whether tokens are drawn at random (true) or picked greedily (false).</summary>
    public bool Sample { get; init; }

    /// <summary>Divides the log probabilities before sampling: a finite number above 0; 1 keeps the model's distribution.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero, negative, infinite or NaN.</exception>
    public float Temperature
    {
        get => _temperature;
        init
        {
            if (!(value > 0f && float.IsFinite(value)))
                throw new ArgumentOutOfRangeException(nameof(Temperature), value, $"Temperature must be a finite number above 0, but is {value}; for the most probable token at every step, use GenerationOptions.Greedy.");
            _temperature = value;
        }
    }

    /// <summary>Samples among the <c>TopK</c> most probable tokens only; 0 (the default) samples among all of them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative; a value above the model's vocabulary is refused by Generate.</exception>
    public int TopK
    {
        get => _topK;
        init
        {
            if (value < 0)
                throw new ArgumentOutOfRangeException(nameof(TopK), value, $"TopK must be 0 (every token) or a count of tokens from 1 to the vocabulary's size, but is {value}.");
            _topK = value;
        }
    }

    /// <summary>Seed of the sampling; stream s of a many-stream call draws as one stream with seed <c>Seed + s</c> does.</summary>
    public int Seed { get; init; }
}
