using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// A linear rescaling fitted to data: <c>y = (x - Center) · Scale + Offset</c>, and its inverse.
/// <see cref="MinMaxScaler"/> and <see cref="StandardScaler"/> differ only in how they choose the three.
/// </summary>
public abstract class Scaler
{
    private float _center;
    private float _scale;
    private float _offset;

    /// <summary>Whether <see cref="Fit"/> has been called.</summary>
    public bool IsFitted { get; private set; }

    /// <summary>Learns the rescaling from <paramref name="values"/>, which must be finite and not empty.</summary>
    public void Fit(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
            throw new ArgumentException("values is empty; fitting needs at least one value.", nameof(values));
        (_center, _scale, _offset) = Choose(values);
        IsFitted = true;
    }

    /// <summary>The center, scale and offset for <paramref name="values"/> (not empty); throws for NaN or infinity.</summary>
    protected abstract (float Center, float Scale, float Offset) Choose(ReadOnlySpan<float> values);

    /// <summary><c>destination = (source - center) · scale + offset</c>.</summary>
    public void Transform(ReadOnlySpan<float> source, Span<float> destination)
    {
        Validate(source.Length, destination.Length);
        TensorPrimitives.Subtract(source, _center, destination);
        TensorPrimitives.Multiply(destination, _scale, destination);
        TensorPrimitives.Add(destination, _offset, destination);
    }

    /// <summary>Rescales <paramref name="values"/> in place.</summary>
    public void Transform(Span<float> values) => Transform(values, values);

    /// <summary><c>destination = (source - offset) / scale + center</c>.</summary>
    public void InverseTransform(ReadOnlySpan<float> source, Span<float> destination)
    {
        Validate(source.Length, destination.Length);
        TensorPrimitives.Subtract(source, _offset, destination);
        TensorPrimitives.Divide(destination, _scale, destination);
        TensorPrimitives.Add(destination, _center, destination);
    }

    /// <summary>Undoes the rescaling of <paramref name="values"/> in place.</summary>
    public void InverseTransform(Span<float> values) => InverseTransform(values, values);

    /// <summary>Maps one scaled value back to the data's units, e.g. a single forecast.</summary>
    public float InverseTransform(float value)
    {
        Span<float> one = [value];
        InverseTransform(one);
        return one[0];
    }

    /// <summary><see cref="Fit"/> on <paramref name="source"/>, then <see cref="Transform(ReadOnlySpan{float}, Span{float})"/> it.</summary>
    public void FitTransform(ReadOnlySpan<float> source, Span<float> destination)
    {
        Fit(source);
        Transform(source, destination);
    }

    /// <summary><see cref="Fit"/> on <paramref name="values"/>, then rescale them in place.</summary>
    public void FitTransform(Span<float> values) => FitTransform(values, values);

    /// <summary>The exception for reading a fitted figure before <see cref="Fit"/>.</summary>
    protected InvalidOperationException NotFitted() => new($"The {GetType().Name} is not fitted; call Fit first.");

    private void Validate(int sourceLength, int destinationLength)
    {
        if (!IsFitted)
            throw NotFitted();
        if (destinationLength != sourceLength)
            throw new ArgumentException($"destination has {destinationLength} floats; expected {sourceLength}, as many as source.", "destination");
    }
}
