namespace FastSeq;

/// <summary>
/// The figure a callback watches, by its Keras name (<see cref="EpochResult.Metric"/>), and which way is better: accuracies
/// improve upwards, losses and errors downwards (Keras' <c>mode="auto"</c>).
/// </summary>
internal readonly struct MonitoredMetric
{
    public MonitoredMetric(string name, float minDelta, string callback)
    {
        EpochResult.CheckMetricName(name, "monitor");
        if (!(minDelta >= 0f) || !float.IsFinite(minDelta))
            throw new ArgumentException($"minDelta is {minDelta}; it must be non-negative and finite.", nameof(minDelta));
        Name = name;
        MinDelta = minDelta;
        Callback = callback;
        Maximize = name.EndsWith("accuracy", StringComparison.Ordinal);
    }

    public string Name { get; }

    public float MinDelta { get; }

    public bool Maximize { get; }

    private string Callback { get; }

    /// <summary>The value that any first measurement improves on.</summary>
    public float Worst => Maximize ? float.NegativeInfinity : float.PositiveInfinity;

    /// <summary>The monitored figure of <paramref name="result"/>; throws if the Fit does not measure it.</summary>
    public float Read(EpochResult result) =>
        result.Metric(Name) ?? throw new InvalidOperationException(
            $"{Callback} monitors '{Name}', which this Fit does not report: val_ figures need a validationSplit, accuracy a classification loss, mae a regression loss.");

    /// <summary>Whether <paramref name="current"/> beats <paramref name="best"/> by more than <see cref="MinDelta"/>.</summary>
    public bool Improves(float current, float best) => Maximize ? current - MinDelta > best : current + MinDelta < best;
}
