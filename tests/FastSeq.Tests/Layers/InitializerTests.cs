using FastSeq.Layers;

namespace FastSeq.Tests.Layers;

public class InitializerTests
{
    /// <summary>Checks <c>W·Wᵀ = I</c> for a <c>[rows, columns]</c> kernel with rows ≤ columns.</summary>
    internal static void AssertOrthonormalRows(ReadOnlySpan<float> kernel, int rows, int columns)
    {
        for (int a = 0; a < rows; a++)
        {
            for (int b = 0; b < rows; b++)
            {
                double dot = 0;
                for (int c = 0; c < columns; c++)
                    dot += (double)kernel[a * columns + c] * kernel[b * columns + c];
                Assert.Equal(a == b ? 1.0 : 0.0, dot, 1e-5);
            }
        }
    }

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        float[] transposed = new float[matrix.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                transposed[c * rows + r] = matrix[r * columns + c];
        }
        return transposed;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 5)]
    [InlineData(32, 32)]
    [InlineData(5, 20)]
    [InlineData(8, 24)]
    public void Orthogonal_square_and_wide_kernels_have_orthonormal_rows(int rows, int columns)
    {
        float[] kernel = new float[rows * columns];
        Initializers.Orthogonal(kernel, rows, columns, new Random(1));
        AssertOrthonormalRows(kernel, rows, columns);
    }

    [Fact]
    public void Orthogonal_tall_kernels_have_orthonormal_columns()
    {
        float[] kernel = new float[20 * 5];
        Initializers.Orthogonal(kernel, 20, 5, new Random(1));
        AssertOrthonormalRows(Transpose(kernel, 20, 5), 5, 20);
    }

    [Fact]
    public void Orthogonal_is_deterministic_given_the_seed_and_varies_with_it()
    {
        float[] a = new float[6 * 18], b = new float[6 * 18], c = new float[6 * 18];
        Initializers.Orthogonal(a, 6, 18, new Random(4));
        Initializers.Orthogonal(b, 6, 18, new Random(4));
        Initializers.Orthogonal(c, 6, 18, new Random(5));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Glorot_uniform_fills_the_Keras_range_with_its_variance()
    {
        const int rows = 100, columns = 300;
        float[] kernel = new float[rows * columns];
        Initializers.GlorotUniform(kernel, rows, columns, new Random(2));
        double limit = Math.Sqrt(6.0 / (rows + columns));
        Assert.All(kernel, v => Assert.InRange(v, -limit, limit));
        double mean = kernel.Average(v => (double)v);
        double variance = kernel.Average(v => (v - mean) * (v - mean));
        Assert.Equal(0, mean, 0.01 * limit);
        Assert.Equal(limit * limit / 3, variance, 0.03 * limit * limit / 3);  // uniform variance l²/3 = 2 / (fan_in + fan_out)
    }

    [Fact]
    public void Wrong_kernel_length_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Initializers.GlorotUniform(new float[11], 3, 4, new Random(1)));
        Assert.Equal("kernel", e.ParamName);
        Assert.Contains("12", e.Message);
        Assert.Contains("11", e.Message);
    }
}
