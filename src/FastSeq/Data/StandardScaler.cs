using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Standardises values to zero mean and unit variance using the fitted data's mean and population
/// standard deviation (scikit-learn's <c>StandardScaler</c>). A constant series has a standard
/// deviation of 0 and is divided by 1 instead, which maps it to 0.
/// </summary>
public sealed class StandardScaler
{
    private float _mean;
    private float _standardDeviation;
    private float _scale;

    /// <summary>Whether <see cref="Fit"/> has been called.</summary>
    public bool IsFitted { get; private set; }

    /// <summary>Mean of the fitted data.</summary>
    public float Mean => IsFitted ? _mean : throw NotFitted();

    /// <summary>Population standard deviation (divisor N) of the fitted data.</summary>
    public float StandardDeviation => IsFitted ? _standardDeviation : throw NotFitted();

    /// <summary>Records the mean and standard deviation of <paramref name="values"/>, which must be finite and not empty.</summary>
    public void Fit(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
            throw new ArgumentException("values is empty; fitting needs at least one value.", nameof(values));
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
        _scale = _standardDeviation > 0f ? _standardDeviation : 1f;
        IsFitted = true;
    }

    /// <summary><c>destination = (source - Mean) / StandardDeviation</c>.</summary>
    public void Transform(ReadOnlySpan<float> source, Span<float> destination)
    {
        Validate(source.Length, destination.Length);
        TensorPrimitives.Subtract(source, _mean, destination);
        TensorPrimitives.Divide(destination, _scale, destination);
    }

    /// <summary>Standardises <paramref name="values"/> in place.</summary>
    public void Transform(Span<float> values) => Transform(values, values);

    /// <summary><c>destination = source · StandardDeviation + Mean</c>.</summary>
    public void InverseTransform(ReadOnlySpan<float> source, Span<float> destination)
    {
        Validate(source.Length, destination.Length);
        TensorPrimitives.Multiply(source, _scale, destination);
        TensorPrimitives.Add(destination, _mean, destination);
    }

    /// <summary>Maps one scaled value back to the data's units, e.g. a single forecast.</summary>
    public float InverseTransform(float value)
    {
        Span<float> one = [value];
        InverseTransform(one);
        return one[0];
    }

    /// <summary>Undoes the standardisation of <paramref name="values"/> in place.</summary>
    public void InverseTransform(Span<float> values) => InverseTransform(values, values);

    /// <summary><see cref="Fit"/> on <paramref name="source"/>, then <see cref="Transform(ReadOnlySpan{float}, Span{float})"/> it.</summary>
    public void FitTransform(ReadOnlySpan<float> source, Span<float> destination)
    {
        Fit(source);
        Transform(source, destination);
    }

    /// <summary><see cref="Fit"/> on <paramref name="values"/>, then standardise them in place.</summary>
    public void FitTransform(Span<float> values) => FitTransform(values, values);

    private void Validate(int sourceLength, int destinationLength)
    {
        if (!IsFitted)
            throw NotFitted();
        if (destinationLength != sourceLength)
            throw new ArgumentException($"destination has {destinationLength} floats; expected {sourceLength}, as many as source.", "destination");
    }

    private static InvalidOperationException NotFitted() => new("The StandardScaler is not fitted; call Fit first.");
}
