using System.Numerics.Tensors;

namespace FastSeq.Layers;

/// <summary>
/// Numerically stable softmax over rows of <c>units</c> values: each row is shifted by its
/// maximum before exponentiating, so logits like 1000 or -1000 give finite probabilities
/// (<see cref="TensorPrimitives.SoftMax(ReadOnlySpan{float}, Span{float})"/> does not shift and overflows).
/// </summary>
internal static class Softmax
{
    /// <summary>
    /// <c>p[r, j] = exp(z[r, j] - max_j z[r, :]) / Σ_k exp(z[r, k] - max_j z[r, :])</c>.
    /// <paramref name="probabilities"/> may be the same memory as <paramref name="logits"/>.
    /// </summary>
    /// <param name="logits"><c>z: [rows, units]</c>.</param>
    /// <param name="units">Length of one row.</param>
    /// <param name="probabilities"><c>p: [rows, units]</c>.</param>
    public static void Apply(ReadOnlySpan<float> logits, int units, Span<float> probabilities)
    {
        ValidateRows(logits.Length, units, probabilities.Length, nameof(logits), nameof(probabilities));
        for (int offset = 0; offset < logits.Length; offset += units)
        {
            ReadOnlySpan<float> z = logits.Slice(offset, units);
            Span<float> p = probabilities.Slice(offset, units);
            float max = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, max, p);
            TensorPrimitives.Exp(p, p);
            TensorPrimitives.Multiply(p, 1f / TensorPrimitives.Sum(p), p);
        }
    }

    /// <summary>
    /// Backward pass: given the probabilities <c>p</c> of <see cref="Apply"/> and <c>g = dL/dp</c>,
    /// writes <c>dL/dz[r, j] = p[r, j] · (g[r, j] - Σ_k g[r, k] p[r, k])</c>.
    /// <paramref name="logitGradient"/> may be the same memory as <paramref name="outputGradient"/>.
    /// </summary>
    /// <param name="probabilities"><c>p: [rows, units]</c>.</param>
    /// <param name="outputGradient"><c>dL/dp: [rows, units]</c>.</param>
    /// <param name="units">Length of one row.</param>
    /// <param name="logitGradient"><c>dL/dz: [rows, units]</c>, overwritten.</param>
    public static void Backward(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> outputGradient, int units, Span<float> logitGradient)
    {
        ValidateRows(probabilities.Length, units, logitGradient.Length, nameof(probabilities), nameof(logitGradient));
        if (outputGradient.Length != probabilities.Length)
            throw new ArgumentException($"outputGradient has {outputGradient.Length} floats; expected {probabilities.Length}, as many as probabilities.", nameof(outputGradient));
        for (int offset = 0; offset < probabilities.Length; offset += units)
        {
            ReadOnlySpan<float> p = probabilities.Slice(offset, units);
            Span<float> dz = logitGradient.Slice(offset, units);
            float dot = TensorPrimitives.Dot(outputGradient.Slice(offset, units), p);
            TensorPrimitives.Subtract(outputGradient.Slice(offset, units), dot, dz);
            TensorPrimitives.Multiply(dz, p, dz);
        }
    }

    /// <summary><c>log Σ_j exp(z[j])</c> of one row, computed as <c>max + log Σ_j exp(z[j] - max)</c> so it stays finite.</summary>
    /// <param name="logits">One row <c>z: [units]</c>, not empty.</param>
    public static float LogSumExp(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
            throw new ArgumentException("logits is empty; LogSumExp needs at least one value.", nameof(logits));
        float max = TensorPrimitives.Max(logits);
        return max + MathF.Log(SumOfShiftedExponentials(logits, max));
    }

    /// <summary><c>Σ_j exp(z[j] - shift)</c>, in chunks on the stack; with <c>shift = max z</c> it is in [1, length].</summary>
    internal static float SumOfShiftedExponentials(ReadOnlySpan<float> logits, float shift)
    {
        const int Chunk = 256;
        Span<float> scratch = stackalloc float[Math.Min(Chunk, logits.Length)];
        float sum = 0f;
        for (int start = 0; start < logits.Length; start += Chunk)
        {
            ReadOnlySpan<float> z = logits.Slice(start, Math.Min(Chunk, logits.Length - start));
            Span<float> e = scratch[..z.Length];
            TensorPrimitives.Subtract(z, shift, e);
            TensorPrimitives.Exp(e, e);
            sum += TensorPrimitives.Sum<float>(e);
        }
        return sum;
    }

    private static void ValidateRows(int length, int units, int destinationLength, string sourceName, string destinationName)
    {
        if (units < 1)
            throw new ArgumentException($"units is {units}; it must be at least 1.", nameof(units));
        if (length % units != 0)
            throw new ArgumentException($"{sourceName} has {length} floats, which is not a whole number of rows of {units} units.", sourceName);
        if (destinationLength != length)
            throw new ArgumentException($"{destinationName} has {destinationLength} floats; expected {length}, as many as {sourceName}.", destinationName);
    }
}
