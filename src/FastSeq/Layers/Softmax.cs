using System.Numerics.Tensors;

namespace FastSeq.Layers;

/// <summary>Softmax over the last axis.</summary>
public static class Softmax
{
    /// <summary>
    /// Row-wise softmax of <c>[rows, units]</c> logits, stable for large logits (the row maximum is
    /// subtracted first). <paramref name="probabilities"/> may be <paramref name="logits"/> itself.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> logits, int units, Span<float> probabilities)
    {
        LayerArguments.Positive(units, nameof(units));
        if (logits.Length % units != 0)
            throw new ArgumentException($"{nameof(logits)} must hold whole rows of {units} units, but holds {logits.Length} floats.", nameof(logits));
        LayerArguments.Length(probabilities.Length, logits.Length, "logits.Length", nameof(probabilities));

        for (int start = 0; start < logits.Length; start += units)
        {
            ReadOnlySpan<float> row = logits.Slice(start, units);
            Span<float> p = probabilities.Slice(start, units);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, p);
            TensorPrimitives.Exp(p, p);
            TensorPrimitives.Divide(p, TensorPrimitives.Sum(p), p);
        }
    }
}
