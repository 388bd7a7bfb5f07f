namespace FastSeq.Tests.Training;

/// <summary>Seeded synthetic datasets with a known rule, small enough to learn in a few epochs.</summary>
internal static class SyntheticTasks
{
    /// <summary>Angular frequencies of <see cref="SineFrequencies"/>: 4, 8 and 16 timesteps per period.</summary>
    private static readonly float[] s_frequencies = [2f * MathF.PI / 16f, 2f * MathF.PI / 8f, 2f * MathF.PI / 4f];

    /// <summary>
    /// <c>x_t = sin(ω_c t + φ) + 0.2 ε</c> with a random phase φ and Gaussian noise ε; the target is the
    /// class c in {0, 1, 2}. Inputs <c>[count, timesteps, 1]</c>, targets <c>[count]</c>.
    /// </summary>
    public static SequenceDataset SineFrequencies(int count, int timesteps, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count * timesteps];
        var targets = new float[count];
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(s_frequencies.Length);
            float phase = 2f * MathF.PI * random.NextSingle();
            for (int t = 0; t < timesteps; t++)
                inputs[(i * timesteps) + t] = MathF.Sin((s_frequencies[label] * t) + phase) + (0.2f * Gaussian(random));
            targets[i] = label;
        }
        return new SequenceDataset(inputs, targets, timesteps, features: 1);
    }

    /// <summary>
    /// Values uniform in [-1, 1]; the target is 1 when their sum is positive, else 0.
    /// Inputs <c>[count, timesteps, 1]</c>, targets <c>[count]</c>.
    /// </summary>
    public static SequenceDataset SumSign(int count, int timesteps, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count * timesteps];
        var targets = new float[count];
        for (int i = 0; i < count; i++)
        {
            float sum = 0f;
            for (int t = 0; t < timesteps; t++)
            {
                float x = (2f * random.NextSingle()) - 1f;
                inputs[(i * timesteps) + t] = x;
                sum += x;
            }
            targets[i] = sum > 0f ? 1f : 0f;
        }
        return new SequenceDataset(inputs, targets, timesteps, features: 1);
    }

    /// <summary>
    /// Values uniform in [-1, 1]; one label per timestep: 1 where <c>x_t &gt; x_{t-1}</c> (with <c>x_{-1} = 0</c>),
    /// else 0. Inputs <c>[count, timesteps, 1]</c>, targets <c>[count, timesteps]</c>.
    /// </summary>
    public static SequenceDataset Rises(int count, int timesteps, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count * timesteps];
        var targets = new float[count * timesteps];
        for (int i = 0; i < count; i++)
        {
            float previous = 0f;
            for (int t = 0; t < timesteps; t++)
            {
                float x = (2f * random.NextSingle()) - 1f;
                inputs[(i * timesteps) + t] = x;
                targets[(i * timesteps) + t] = x > previous ? 1f : 0f;
                previous = x;
            }
        }
        return new SequenceDataset(inputs, targets, timesteps, features: 1, targetLength: timesteps);
    }

    /// <summary>A standard normal sample (Box-Muller).</summary>
    private static float Gaussian(Random random) =>
        MathF.Sqrt(-2f * MathF.Log(1f - random.NextSingle())) * MathF.Cos(2f * MathF.PI * random.NextSingle());
}
