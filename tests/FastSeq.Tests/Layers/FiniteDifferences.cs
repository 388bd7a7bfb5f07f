namespace FastSeq.Tests.Layers;

/// <summary>Central-difference gradient checks of float code, with the loss summed in double.</summary>
internal static class FiniteDifferences
{
    /// <summary>
    /// For every k, compares <paramref name="analytic"/>[k] with <c>(L(v_k + ε) - L(v_k - ε)) / 2ε</c>, where
    /// <paramref name="loss"/> reads <paramref name="values"/>; passes when <c>|a - n| ≤ absolute + relative·|n|</c>.
    /// A loss of NaN marks a perturbation that crossed a kink (relu); such k are skipped, but at most a quarter of them.
    /// </summary>
    public static void Check(string name, float[] values, ReadOnlySpan<float> analytic, Func<double> loss,
                             float epsilon = 1e-2f, double absolute = 1e-3, double relative = 1e-2)
    {
        Assert.Equal(values.Length, analytic.Length);
        var failures = new List<string>();
        int skipped = 0;
        for (int k = 0; k < values.Length; k++)
        {
            float saved = values[k];
            float plus = saved + epsilon, minus = saved - epsilon;
            values[k] = plus;
            double lossPlus = loss();
            values[k] = minus;
            double lossMinus = loss();
            values[k] = saved;
            double numeric = (lossPlus - lossMinus) / ((double)plus - minus);
            if (double.IsNaN(numeric))
            {
                skipped++;
                continue;
            }
            if (!(Math.Abs(analytic[k] - numeric) <= absolute + relative * Math.Abs(numeric)))
                failures.Add($"{name}[{k}]: analytic {analytic[k]:G6}, numeric {numeric:G6}");
        }
        Assert.True(skipped <= values.Length / 4, $"{skipped} of {values.Length} perturbations of {name} crossed a kink.");
        Assert.True(failures.Count == 0, $"{failures.Count} of {values.Length} gradients of {name} differ:\n" + string.Join("\n", failures.Take(10)));
    }

    /// <summary>Which values are positive: the pattern of a relu layer, the same on both sides of a difference that crosses no kink.</summary>
    public static bool[] Signs(ReadOnlySpan<float> y)
    {
        bool[] positive = new bool[y.Length];
        for (int i = 0; i < y.Length; i++)
            positive[i] = y[i] > 0;
        return positive;
    }

    /// <summary><c>Σ w ⊙ y</c> in double: a loss whose gradient with respect to y is w.</summary>
    public static double WeightedSum(ReadOnlySpan<float> weights, ReadOnlySpan<float> y)
    {
        Assert.Equal(weights.Length, y.Length);
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
            sum += (double)weights[i] * y[i];
        return sum;
    }
}
