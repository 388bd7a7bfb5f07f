namespace FastSeq;

/// <summary>
/// Samples for a sequence model: inputs <c>[Count, Timesteps, Features]</c> and targets
/// <c>[Count, TargetLength]</c>, batch-major and row-major. The arrays are held, not copied.
/// </summary>
public sealed class SequenceDataset
{
    /// <summary>Wraps <paramref name="inputs"/> and <paramref name="targets"/>; the sample count is read from the inputs.</summary>
    /// <param name="inputs"><c>[Count, timesteps, features]</c>.</param>
    /// <param name="targets"><c>[Count, targetLength]</c>.</param>
    /// <param name="timesteps">Timesteps per sample.</param>
    /// <param name="features">Features per timestep.</param>
    /// <param name="targetLength">Target floats per sample.</param>
    public SequenceDataset(float[] inputs, float[] targets, int timesteps, int features, int targetLength = 1)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (timesteps < 1 || features < 1 || targetLength < 1)
            throw new ArgumentException($"timesteps ({timesteps}), features ({features}) and targetLength ({targetLength}) must each be at least 1.");
        long sampleLength = (long)timesteps * features;
        if (inputs.Length % sampleLength != 0)
            throw new ArgumentException($"inputs has {inputs.Length} floats, which is not a whole number of samples of {timesteps} timesteps × {features} features = {sampleLength}.", nameof(inputs));
        int count = (int)(inputs.Length / sampleLength);
        if (targets.Length != (long)count * targetLength)
            throw new ArgumentException($"targets has {targets.Length} floats; expected {(long)count * targetLength} ({count} samples × {targetLength}).", nameof(targets));

        Inputs = inputs;
        Targets = targets;
        Lengths = null;
        Count = count;
        Timesteps = timesteps;
        Features = features;
        TargetLength = targetLength;
    }

    /// <summary>
    /// Sequences of different lengths, padded at the end to <paramref name="timesteps"/>: sample b has <c>lengths[b]</c> real
    /// steps (PyTorch's packed sequences). <see cref="Trainer{TModel}.Fit"/> and Evaluate run them so, and a loss on every
    /// step's outputs is the mean over the real steps. A length outside <c>[1, timesteps]</c> throws, naming the sample.
    /// </summary>
    public SequenceDataset(float[] inputs, int[] lengths, float[] targets, int timesteps, int features, int targetLength = 1)
        : this(inputs, targets, timesteps, features, targetLength)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        Layers.SequenceLengths.Check(lengths, Count, timesteps, nameof(lengths));
        Lengths = lengths;
    }

    /// <summary>
    /// Token sequences <c>[Count, timesteps]</c> for a model whose first layer is an Embedding, held as floats (one feature
    /// per step; every id below 2^24 is exact), with their targets; Fit, Evaluate and the model check each id's range.
    /// </summary>
    public static SequenceDataset FromTokens(ReadOnlySpan<int> tokens, float[] targets, int timesteps, int targetLength = 1)
    {
        var inputs = new float[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] is < 0 or > (1 << 24))
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"Token id {tokens[i]} at index {i} is negative or too large to hold exactly as a float (2^24).");
            inputs[i] = tokens[i];
        }
        return new SequenceDataset(inputs, targets, timesteps, features: 1, targetLength);
    }

    /// <summary>Each sample's real steps, when the sequences are of different lengths; null when every one is full.</summary>
    public int[]? Lengths { get; }

    /// <summary>Inputs, <c>[Count, Timesteps, Features]</c>.</summary>
    public float[] Inputs { get; }

    /// <summary>Targets, <c>[Count, TargetLength]</c>.</summary>
    public float[] Targets { get; }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>Timesteps per sample.</summary>
    public int Timesteps { get; }

    /// <summary>Features per timestep.</summary>
    public int Features { get; }

    /// <summary>Target floats per sample.</summary>
    public int TargetLength { get; }

    /// <summary>A copy of the samples <c>[start, start + count)</c>.</summary>
    public SequenceDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentException($"Samples [{start}, {start} + {count}) are not within the {Count} samples of the dataset.", nameof(count));
        int inputLength = Timesteps * Features;
        float[] inputs = Inputs.AsSpan(start * inputLength, count * inputLength).ToArray();
        float[] targets = Targets.AsSpan(start * TargetLength, count * TargetLength).ToArray();
        return Lengths is null
            ? new SequenceDataset(inputs, targets, Timesteps, Features, TargetLength)
            : new SequenceDataset(inputs, Lengths.AsSpan(start, count).ToArray(), targets, Timesteps, Features, TargetLength);
    }

    /// <summary>
    /// Splits the samples at random, with a deterministic shuffle seeded by <paramref name="seed"/>:
    /// <c>ceil(Count · validationFraction)</c> go to validation, the rest to training, both in shuffled order.
    /// </summary>
    /// <param name="validationFraction">Fraction of samples for validation, in (0, 1).</param>
    /// <param name="seed">Seed of the shuffle; the same seed gives the same split.</param>
    public (SequenceDataset Train, SequenceDataset Validation) Split(float validationFraction, int seed)
    {
        int validationCount = ValidationCount(validationFraction);
        int[] order = new int[Count];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        new SeededShuffle(seed).Shuffle(order);
        return (Gather(order.AsSpan(0, Count - validationCount)), Gather(order.AsSpan(Count - validationCount)));
    }

    /// <summary>
    /// Splits without shuffling, as Keras' <c>validation_split</c> does: the last
    /// <c>ceil(Count · validationFraction)</c> samples go to validation, the ones before to training.
    /// </summary>
    /// <param name="validationFraction">Fraction of samples for validation, in (0, 1).</param>
    public (SequenceDataset Train, SequenceDataset Validation) SplitLast(float validationFraction)
    {
        int validationCount = ValidationCount(validationFraction);
        return (Slice(0, Count - validationCount), Slice(Count - validationCount, validationCount));
    }

    /// <summary>
    /// Keras: split_at = floor(count · (1 - fraction)), the samples that stay for training. The fraction goes
    /// through decimal, which keeps the float's 7 significant digits, so that 0.2f of 10 samples leaves 8, not 7.
    /// </summary>
    internal static int TrainCount(int count, float validationFraction) =>
        (int)decimal.Floor(count * (1m - (decimal)validationFraction));

    private int ValidationCount(float validationFraction)
    {
        if (!(validationFraction is > 0f and < 1f))
            throw new ArgumentException($"validationFraction is {validationFraction}; it must be in (0, 1).", nameof(validationFraction));
        int trainCount = TrainCount(Count, validationFraction);
        int validationCount = Count - trainCount;
        if (trainCount == 0 || validationCount == 0)
            throw new ArgumentException($"A validation fraction of {validationFraction} splits {Count} samples into {trainCount} for training and {validationCount} for validation; both need at least one.", nameof(validationFraction));
        return validationCount;
    }

    private SequenceDataset Gather(ReadOnlySpan<int> samples)
    {
        float[] inputs = new float[samples.Length * Timesteps * Features];
        float[] targets = new float[samples.Length * TargetLength];
        int[]? lengths = Lengths is null ? null : new int[samples.Length];
        CopySamples(samples, inputs, targets, lengths);
        return lengths is null
            ? new SequenceDataset(inputs, targets, Timesteps, Features, TargetLength)
            : new SequenceDataset(inputs, lengths, targets, Timesteps, Features, TargetLength);
    }

    /// <summary>
    /// Copies the samples <paramref name="samples"/>, in that order, to the front of <paramref name="inputs"/> and
    /// <paramref name="targets"/>, and their lengths to <paramref name="lengths"/> when the dataset has them.
    /// </summary>
    internal void CopySamples(ReadOnlySpan<int> samples, Span<float> inputs, Span<float> targets, Span<int> lengths)
    {
        int inputLength = Timesteps * Features;
        for (int i = 0; i < samples.Length; i++)
        {
            Inputs.AsSpan(samples[i] * inputLength, inputLength).CopyTo(inputs[(i * inputLength)..]);
            Targets.AsSpan(samples[i] * TargetLength, TargetLength).CopyTo(targets[(i * TargetLength)..]);
            if (Lengths is not null)
                lengths[i] = Lengths[samples[i]];
        }
    }
}
