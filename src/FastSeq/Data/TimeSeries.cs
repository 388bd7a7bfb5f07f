namespace FastSeq;

/// <summary>Turns a time series into supervised samples for a sequence model.</summary>
public static class TimeSeries
{
    /// <summary>
    /// Sliding windows over a univariate series: sample i has inputs <c>series[i .. i + window - 1]</c>
    /// (<c>[window, 1]</c>) and target <c>series[i + window - 1 + horizon]</c>, the value
    /// <paramref name="horizon"/> steps after the window's last. There are
    /// <c>series.Length - window - horizon + 1</c> samples.
    /// </summary>
    /// <param name="series">The values, in time order.</param>
    /// <param name="window">Timesteps per sample, at least 1.</param>
    /// <param name="horizon">How many steps after the window's end the target lies, at least 1.</param>
    public static SequenceDataset SlidingWindows(ReadOnlySpan<float> series, int window, int horizon = 1) =>
        SlidingWindows(series, features: 1, targetFeature: 0, window, horizon);

    /// <summary>
    /// Sliding windows over a multivariate series <c>[length, features]</c> (row-major, one row per
    /// timestep): sample i has inputs rows <c>i .. i + window - 1</c> (<c>[window, features]</c>) and
    /// target <c>series[i + window - 1 + horizon, targetFeature]</c>. There are
    /// <c>length - window - horizon + 1</c> samples.
    /// </summary>
    /// <param name="series">The rows, in time order, <c>[length, features]</c>.</param>
    /// <param name="features">Features per timestep, at least 1.</param>
    /// <param name="targetFeature">Index of the feature to predict, in [0, features).</param>
    /// <param name="window">Timesteps per sample, at least 1.</param>
    /// <param name="horizon">How many steps after the window's end the target lies, at least 1.</param>
    public static SequenceDataset SlidingWindows(ReadOnlySpan<float> series, int features, int targetFeature, int window, int horizon = 1)
    {
        if (features < 1)
            throw new ArgumentException($"features is {features}; it must be at least 1.", nameof(features));
        if (targetFeature < 0 || targetFeature >= features)
            throw new ArgumentException($"targetFeature is {targetFeature}; it must be in [0, {features}).", nameof(targetFeature));
        if (window < 1)
            throw new ArgumentException($"window is {window}; it must be at least 1.", nameof(window));
        if (horizon < 1)
            throw new ArgumentException($"horizon is {horizon}; it must be at least 1.", nameof(horizon));
        if (series.Length % features != 0)
            throw new ArgumentException($"series has {series.Length} floats, which is not a whole number of timesteps of {features} features.", nameof(series));
        int length = series.Length / features;
        long needed = (long)window + horizon;
        if (length < needed)
            throw new ArgumentException($"series has {length} timesteps; a window of {window} and a horizon of {horizon} need at least {needed}.", nameof(series));

        int count = (int)(length - needed + 1);
        int inputLength = window * features;
        float[] inputs = new float[count * inputLength];
        float[] targets = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Rows are contiguous, so a window of rows is one block.
            series.Slice(i * features, inputLength).CopyTo(inputs.AsSpan(i * inputLength));
            targets[i] = series[(i + window - 1 + horizon) * features + targetFeature];
        }
        return new SequenceDataset(inputs, targets, window, features);
    }
}
