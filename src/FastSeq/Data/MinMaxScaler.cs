using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Scales values linearly so that the fitted data's minimum and maximum map to <see cref="Min"/> and
/// <see cref="Max"/> (scikit-learn's <c>MinMaxScaler</c>). A constant series maps to <see cref="Min"/>.
/// </summary>
public sealed class MinMaxScaler
{
    private float _dataMin;
    private float _dataMax;
    private float _scale;

    /// <summary>Creates a scaler to the range [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public MinMaxScaler(float min = 0f, float max = 1f)
    {
        if (!float.IsFinite(min) || !float.IsFinite(max) || !(min < max))
            throw new ArgumentException($"The range [{min}, {max}] must be finite with min < max.", nameof(max));
        Min = min;
        Max = max;
    }

    /// <summary>Lower end of the scaled range.</summary>
    public float Min { get; }

    /// <summary>Upper end of the scaled range.</summary>
    public float Max { get; }

    /// <summary>Whether <see cref="Fit"/> has been called.</summary>
    public bool IsFitted { get; private set; }

    /// <summary>Minimum of the fitted data.</summary>
    public float DataMin => IsFitted ? _dataMin : throw NotFitted();

    /// <summary>Maximum of the fitted data.</summary>
    public float DataMax => IsFitted ? _dataMax : throw NotFitted();

    /// <summary>Records the minimum and maximum of <paramref name="values"/>, which must be finite and not empty.</summary>
    public void Fit(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
            throw new ArgumentException("values is empty; fitting needs at least one value.", nameof(values));
        float min = TensorPrimitives.Min(values);
        float max = TensorPrimitives.Max(values);
        if (!float.IsFinite(min) || !float.IsFinite(max))
            throw new ArgumentException("values contains NaN or infinity.", nameof(values));
        _dataMin = min;
        _dataMax = max;
        // A constant series has no range: scale by 1, as scikit-learn does.
        _scale = (Max - Min) / (max > min ? max - min : 1f);
        IsFitted = true;
    }

    /// <summary><c>destination = (source - DataMin) · (Max - Min) / (DataMax - DataMin) + Min</c>.</summary>
    public void Transform(ReadOnlySpan<float> source, Span<float> destination)
    {
        Validate(source.Length, destination.Length);
        TensorPrimitives.Subtract(source, _dataMin, destination);
        TensorPrimitives.Multiply(destination, _scale, destination);
        TensorPrimitives.Add(destination, Min, destination);
    }

    /// <summary>Scales <paramref name="values"/> in place.</summary>
    public void Transform(Span<float> values) => Transform(values, values);

    /// <summary><c>destination = (source - Min) · (DataMax - DataMin) / (Max - Min) + DataMin</c>.</summary>
    public void InverseTransform(ReadOnlySpan<float> source, Span<float> destination)
    {
        Validate(source.Length, destination.Length);
        TensorPrimitives.Subtract(source, Min, destination);
        TensorPrimitives.Divide(destination, _scale, destination);
        TensorPrimitives.Add(destination, _dataMin, destination);
    }

    /// <summary>Maps one scaled value back to the data's units, e.g. a single forecast.</summary>
    public float InverseTransform(float value)
    {
        Span<float> one = [value];
        InverseTransform(one);
        return one[0];
    }

    /// <summary>Undoes the scaling of <paramref name="values"/> in place.</summary>
    public void InverseTransform(Span<float> values) => InverseTransform(values, values);

    /// <summary><see cref="Fit"/> on <paramref name="source"/>, then <see cref="Transform(ReadOnlySpan{float}, Span{float})"/> it.</summary>
    public void FitTransform(ReadOnlySpan<float> source, Span<float> destination)
    {
        Fit(source);
        Transform(source, destination);
    }

    /// <summary><see cref="Fit"/> on <paramref name="values"/>, then scale them in place.</summary>
    public void FitTransform(Span<float> values) => FitTransform(values, values);

    private void Validate(int sourceLength, int destinationLength)
    {
        if (!IsFitted)
            throw NotFitted();
        if (destinationLength != sourceLength)
            throw new ArgumentException($"destination has {destinationLength} floats; expected {sourceLength}, as many as source.", "destination");
    }

    private static InvalidOperationException NotFitted() => new("The MinMaxScaler is not fitted; call Fit first.");
}
