using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>The optimizer's update behind the divergence guard that every trainer applies.</summary>
internal static class GuardedStep
{
    /// <summary>
    /// Updates <paramref name="parameters"/> unless a gradient is NaN or infinite; returns -1 after the update, or the index
    /// of the first non-finite gradient with nothing changed. One pass finds them: a NaN or an infinity makes the sum of squares
    /// NaN or infinite (which finite gradients do only by overflowing, so the rare non-finite sum is checked element by
    /// element), and the optimizer reuses that sum to clip by norm.
    /// </summary>
    public static int TryApply(Optimizer optimizer, Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        float sumOfSquares = TensorPrimitives.SumOfSquares(gradients);
        if (!float.IsFinite(sumOfSquares))
        {
            int nonFinite = IndexOfNonFinite(gradients);
            if (nonFinite >= 0)
                return nonFinite;
        }
        optimizer.CheckSizes(parameters, gradients);
        optimizer.StepWithSumOfSquares(parameters, gradients, sumOfSquares);
        return -1;
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                return i;
        }
        return -1;
    }
}
