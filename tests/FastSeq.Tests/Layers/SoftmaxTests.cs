using FastSeq.Layers;

namespace FastSeq.Tests.Layers;

public class SoftmaxTests
{
    private static double[] ReferenceSoftmax(ReadOnlySpan<float> row)
    {
        double max = double.NegativeInfinity;
        foreach (float z in row)
            max = Math.Max(max, z);
        double[] p = new double[row.Length];
        double sum = 0;
        for (int j = 0; j < row.Length; j++)
        {
            p[j] = Math.Exp(row[j] - max);
            sum += p[j];
        }
        for (int j = 0; j < row.Length; j++)
            p[j] /= sum;
        return p;
    }

    private static float[] RandomValues(int length, int seed, float scale)
    {
        var random = new Random(seed);
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(2, 7)]
    [InlineData(5, 33)]
    [InlineData(2, 300)]
    public void Apply_MatchesReferenceRowByRow(int rows, int units)
    {
        float[] logits = RandomValues(rows * units, rows * 100 + units, 5f);
        float[] probabilities = new float[logits.Length];

        Softmax.Apply(logits, units, probabilities);

        for (int r = 0; r < rows; r++)
        {
            double[] expected = ReferenceSoftmax(logits.AsSpan(r * units, units));
            for (int j = 0; j < units; j++)
                Assert.Equal(expected[j], probabilities[r * units + j], 1e-6);
        }
    }

    [Fact]
    public void Apply_LargeLogits_StaysFinite()
    {
        float[] logits = [1000f, -1000f, 999f, -1000f, -1000f, -1000f];
        float[] probabilities = new float[6];

        Softmax.Apply(logits, 3, probabilities);

        Assert.Equal(1f / (1f + MathF.Exp(-1f)), probabilities[0], 1e-6f);
        Assert.Equal(0f, probabilities[1]);
        Assert.Equal(MathF.Exp(-1f) / (1f + MathF.Exp(-1f)), probabilities[2], 1e-6f);
        Assert.Equal(1f / 3f, probabilities[3], 1e-6f);
        Assert.Equal(1f / 3f, probabilities[5], 1e-6f);
    }

    [Fact]
    public void Apply_InPlace_GivesTheSameResult()
    {
        float[] logits = RandomValues(12, 3, 4f);
        float[] expected = new float[12];
        Softmax.Apply(logits, 4, expected);

        Softmax.Apply(logits, 4, logits);

        Assert.Equal(expected, logits);
    }

    [Fact]
    public void Apply_RejectsBadShapes()
    {
        var wrongDestination = Assert.Throws<ArgumentException>(() => Softmax.Apply(new float[6], 3, new float[5]));
        Assert.Contains("5", wrongDestination.Message);
        Assert.Contains("6", wrongDestination.Message);
        Assert.Throws<ArgumentException>(() => Softmax.Apply(new float[7], 3, new float[7]));
        Assert.Throws<ArgumentException>(() => Softmax.Apply(new float[3], 0, new float[3]));
    }

    [Fact]
    public void Backward_MatchesFiniteDifferences()
    {
        // L = Σ w·softmax(z), so dL/dp = w.
        const int Units = 5;
        float[] logits = RandomValues(2 * Units, 11, 2f);
        float[] weights = RandomValues(2 * Units, 12, 1f);
        float[] probabilities = new float[logits.Length];
        float[] gradient = new float[logits.Length];
        Softmax.Apply(logits, Units, probabilities);

        Softmax.Backward(probabilities, weights, Units, gradient);

        double Loss(float[] z)
        {
            double sum = 0;
            for (int r = 0; r < 2; r++)
            {
                double[] p = ReferenceSoftmax(z.AsSpan(r * Units, Units));
                for (int j = 0; j < Units; j++)
                    sum += weights[r * Units + j] * p[j];
            }
            return sum;
        }
        for (int i = 0; i < logits.Length; i++)
        {
            float[] plus = (float[])logits.Clone();
            float[] minus = (float[])logits.Clone();
            plus[i] += 1e-3f;
            minus[i] -= 1e-3f;
            double numeric = (Loss(plus) - Loss(minus)) / (plus[i] - minus[i]);
            Assert.Equal(numeric, gradient[i], 1e-4);
        }
    }

    [Fact]
    public void Backward_InPlaceOverTheOutputGradient()
    {
        float[] probabilities = new float[8];
        Softmax.Apply(RandomValues(8, 5, 1f), 4, probabilities);
        float[] outputGradient = RandomValues(8, 6, 1f);
        float[] expected = new float[8];
        Softmax.Backward(probabilities, outputGradient, 4, expected);

        Softmax.Backward(probabilities, outputGradient, 4, outputGradient);

        Assert.Equal(expected, outputGradient);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(257)]
    [InlineData(600)]
    public void LogSumExp_MatchesReference(int length)
    {
        float[] logits = RandomValues(length, length, 30f);
        double max = logits.Max();
        double expected = max + Math.Log(logits.Sum(z => Math.Exp(z - max)));

        Assert.Equal(expected, Softmax.LogSumExp(logits), 1e-4);
    }

    [Fact]
    public void LogSumExp_LargeLogits_StaysFinite()
    {
        Assert.Equal(1000f, Softmax.LogSumExp([1000f, -1000f]), 1e-3f);
        Assert.Equal(-1000f + MathF.Log(2f), Softmax.LogSumExp([-1000f, -1000f]), 1e-3f);
    }
}
