using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Scales values linearly so that the fitted data's minimum and maximum map to <see cref="Min"/> and
/// <see cref="Max"/> (scikit-learn's <c>MinMaxScaler</c>). A constant series maps to <see cref="Min"/>.
/// </summary>
public sealed class MinMaxScaler : Scaler
{
    private float _dataMin;
    private float _dataMax;

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

    /// <summary>Minimum of the fitted data.</summary>
    public float DataMin => IsFitted ? _dataMin : throw NotFitted();

    /// <summary>Maximum of the fitted data.</summary>
    public float DataMax => IsFitted ? _dataMax : throw NotFitted();

    /// <summary><c>y = (x - DataMin) · (Max - Min) / (DataMax - DataMin) + Min</c>.</summary>
    protected override (float Center, float Scale, float Offset) Choose(ReadOnlySpan<float> values)
    {
        float min = TensorPrimitives.Min(values);
        float max = TensorPrimitives.Max(values);
        if (!float.IsFinite(min) || !float.IsFinite(max))
            throw new ArgumentException("values contains NaN or infinity.", nameof(values));
        _dataMin = min;
        _dataMax = max;
        // A constant series has no range: scale by 1, as scikit-learn does.
        return (min, (Max - Min) / (max > min ? max - min : 1f), Min);
    }
}
