namespace FastSeq;

/// <summary>
/// Standardises values to zero mean and unit variance using the fitted data's mean and population
/// standard deviation (scikit-learn's <c>StandardScaler</c>). A constant series has a standard
/// deviation of 0 and is divided by 1 instead, which maps it to 0.
/// </summary>
public sealed class StandardScaler : Scaler
{
    private float _mean;
    private float _standardDeviation;

    /// <summary>Mean of the fitted data.</summary>
    public float Mean => IsFitted ? _mean : throw NotFitted();

    /// <summary>Population standard deviation (divisor N) of the fitted data.</summary>
    public float StandardDeviation => IsFitted ? _standardDeviation : throw NotFitted();

    /// <summary><c>y = (x - Mean) / StandardDeviation</c>.</summary>
    protected override (float Center, float Scale, float Offset) Choose(ReadOnlySpan<float> values)
    {
        // Two passes in double: accurate for long series, and exactly 0 for a constant one.
        double sum = 0;
        foreach (float x in values)
            sum += x;
        double mean = sum / values.Length;
        double squares = 0;
        foreach (float x in values)
            squares += (x - mean) * (x - mean);
        if (!double.IsFinite(squares))
            throw new ArgumentException("values contains NaN or infinity.", nameof(values));
        _mean = (float)mean;
        _standardDeviation = (float)Math.Sqrt(squares / values.Length);
        return (_mean, 1f / (_standardDeviation > 0f ? _standardDeviation : 1f), 0f);
    }
}
