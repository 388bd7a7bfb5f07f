namespace FastSeq.Benchmarks;

/// <summary>Shapes and data shared by the FastSeq and TorchSharp sides of each workload.</summary>
public static class Workloads
{
    /// <summary>Samples streamed per benchmark invocation in W1.</summary>
    public const int StreamLength = 1000;

    /// <summary>Points of the W3 training series; sliding windows of 10 give 990 samples.</summary>
    public const int SeriesLength = 1000;

    /// <summary>Window (T) of the sine forecaster.</summary>
    public const int Window = 10;

    /// <summary>Mini-batch size of W3.</summary>
    public const int TrainingBatch = 32;

    /// <summary>W4 sizes: batch, timesteps, inputs, units.</summary>
    public const int LargeBatch = 64, LargeTimesteps = 50, LargeInputs = 64, LargeUnits = 256;

    /// <summary>
    /// FLOP of one W4 forward + backward, counting 2 per multiply-add of the matrix products:
    /// forward 2*B*T*(I+H)*4H, backward twice that.
    /// </summary>
    public const double LargeFlop = 3.0 * 2 * LargeBatch * LargeTimesteps * (LargeInputs + LargeUnits) * 4 * LargeUnits;

    /// <summary>W4's input <c>[B, T, I]</c>, the same for every peer.</summary>
    public static float[] LargeInputData() => Uniform(LargeBatch * LargeTimesteps * LargeInputs, seed: 2);

    /// <summary>W4's gradient of the loss with respect to every hidden state <c>[B, T, H]</c>.</summary>
    public static float[] LargeOutputGradients() => Uniform(LargeBatch * LargeTimesteps * LargeUnits, seed: 3);

    /// <summary>A noisy sine, <c>sin(0.1 t) + 0.1 noise</c>, seeded.</summary>
    public static float[] Sine(int length, int seed = 1)
    {
        var random = new Random(seed);
        var series = new float[length];
        for (int t = 0; t < length; t++)
            series[t] = MathF.Sin(0.1f * t) + 0.1f * (float)(random.NextDouble() * 2 - 1);
        return series;
    }

    /// <summary>The W3 data set: 990 windows of 10 steps with the next value as target.</summary>
    public static SequenceDataset SineWindows() => TimeSeries.SlidingWindows(Sine(SeriesLength), window: Window, horizon: 1);

    /// <summary>Uniform values in [-1, 1), seeded.</summary>
    public static float[] Uniform(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
