using FastSeq;

namespace AddingProblem;

/// <summary>
/// The adding problem (Hochreiter and Schmidhuber 1997): each step holds a value drawn uniformly from [0, 1) and a marker,
/// 1 at exactly two steps (one in each half of the sequence) and 0 elsewhere; the target is the sum of the two marked values.
/// The task is synthetic by definition: every sequence is drawn here, from a seeded generator.
/// </summary>
public static class AddingData
{
    /// <summary>Features per step: the value, then the marker.</summary>
    public const int Features = 2;

    /// <summary>
    /// The mean squared error of always answering 1, the mean of the target: the variance of a sum of two independent
    /// uniform values, 2/12. A model that has not found the markers stays near it.
    /// </summary>
    public const float TrivialMeanSquaredError = 2f / 12f;

    /// <summary><paramref name="count"/> sequences of <paramref name="timesteps"/> steps (at least 2) with their sums, drawn from <paramref name="seed"/>.</summary>
    public static SequenceDataset Generate(int count, int timesteps, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timesteps, 2);
        var random = new Random(seed);
        var inputs = new float[checked(count * timesteps * Features)];   // [count, timesteps, 2]
        var targets = new float[count];
        int half = timesteps / 2;
        for (int i = 0; i < count; i++)
        {
            Span<float> sequence = inputs.AsSpan(i * timesteps * Features, timesteps * Features);
            for (int t = 0; t < timesteps; t++)
                sequence[t * Features] = random.NextSingle();
            int first = random.Next(half), second = half + random.Next(timesteps - half);
            sequence[(first * Features) + 1] = 1f;
            sequence[(second * Features) + 1] = 1f;
            targets[i] = sequence[first * Features] + sequence[second * Features];
        }
        return new SequenceDataset(inputs, targets, timesteps, Features);
    }
}
