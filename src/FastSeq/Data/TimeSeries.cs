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

    /// <summary>
    /// Consecutive windows of a univariate series for <see cref="Trainer{TModel}.Stateful"/> training: the series is cut into
    /// <paramref name="streams"/> parts of equal length, and batch k (samples <c>k * streams</c> to <c>k * streams + streams - 1</c>)
    /// holds window k of each part, so that in a batch of <paramref name="streams"/> samples, sample b continues sample b of the
    /// batch before. A window's target is the value after it, or, with <paramref name="targetEveryStep"/>, the value after each of its
    /// steps (<c>[window]</c>, for a model that returns sequences).
    /// </summary>
    /// <param name="series">The values, in time order.</param>
    /// <param name="streams">Parts the series is cut into: the batch size of the stateful training, at least 1.</param>
    /// <param name="window">Timesteps per sample, at least 1.</param>
    /// <param name="targetEveryStep">Whether each step has its target (the next value), rather than the window only.</param>
    public static SequenceDataset StatefulWindows(ReadOnlySpan<float> series, int streams, int window, bool targetEveryStep = false)
    {
        if (streams < 1)
            throw new ArgumentException($"streams is {streams}; it must be at least 1.", nameof(streams));
        if (window < 1)
            throw new ArgumentException($"window is {window}; it must be at least 1.", nameof(window));
        int part = series.Length / streams;
        int windows = (part - 1) / window;   // each window needs the value after it
        if (windows < 1)
            throw new ArgumentException($"series has {series.Length} values: {streams} parts of {part} hold no window of {window} and the value after it.", nameof(series));

        int targetLength = targetEveryStep ? window : 1;
        float[] inputs = new float[windows * streams * window];
        float[] targets = new float[windows * streams * targetLength];
        for (int k = 0; k < windows; k++)
        {
            for (int b = 0; b < streams; b++)
            {
                int sample = (k * streams) + b, first = (b * part) + (k * window);
                series.Slice(first, window).CopyTo(inputs.AsSpan(sample * window));
                if (targetEveryStep)
                    series.Slice(first + 1, window).CopyTo(targets.AsSpan(sample * window));
                else
                    targets[sample] = series[first + window];
            }
        }
        return new SequenceDataset(inputs, targets, window, features: 1, targetLength);
    }
}
