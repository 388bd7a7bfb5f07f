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

    /// <summary>
    /// The plain algorithm <see cref="Initializers.Orthogonal"/> must agree with: the same normal draw,
    /// then Gram-Schmidt, twice per vector, on the vectors Keras orthonormalises.
    /// </summary>
    private static void ReferenceOrthogonal(Span<float> kernel, int rows, int columns, Random random)
    {
        double[] normal = new double[rows * columns];
        for (int i = 0; i < normal.Length; i += 2)
        {
            double radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
            double angle = 2 * Math.PI * random.NextDouble();
            normal[i] = radius * Math.Cos(angle);
            if (i + 1 < normal.Length)
                normal[i + 1] = radius * Math.Sin(angle);
        }

        bool wide = rows < columns;
        double[] vectors = wide ? normal : Transpose(normal, rows, columns);
        ReferenceOrthonormalizeRows(vectors, wide ? rows : columns, wide ? columns : rows);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                kernel[r * columns + c] = (float)(wide ? vectors[r * columns + c] : vectors[c * rows + r]);
        }
    }

    /// <summary>Gram-Schmidt with a second orthogonalisation pass over the rows of <c>[count, length]</c>.</summary>
    private static void ReferenceOrthonormalizeRows(double[] vectors, int count, int length)
    {
        for (int k = 0; k < count; k++)
        {
            Span<double> v = vectors.AsSpan(k * length, length);
            for (int pass = 0; pass < 2; pass++)
            {
                for (int j = 0; j < k; j++)
                {
                    ReadOnlySpan<double> q = vectors.AsSpan(j * length, length);
                    double projection = Dot(q, v);
                    for (int p = 0; p < length; p++)
                        v[p] -= projection * q[p];
                }
            }
            double norm = Math.Sqrt(Dot(v, v));
            for (int p = 0; p < length; p++)
                v[p] /= norm;
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }

    private static T[] Transpose<T>(T[] matrix, int rows, int columns)
    {
        T[] transposed = new T[matrix.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                transposed[c * rows + r] = matrix[r * columns + c];
        }
        return transposed;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 7)]
    [InlineData(7, 1)]
    [InlineData(8, 8)]
    [InlineData(9, 33)]
    [InlineData(33, 9)]
    [InlineData(13, 13)]
    [InlineData(31, 124)]
    [InlineData(64, 256)]
    [InlineData(100, 400)]
    [InlineData(65, 65)]
    [InlineData(200, 37)]
    public void Orthogonal_matches_Gram_Schmidt_on_the_same_draw_and_is_orthonormal(int rows, int columns)
    {
        float[] fast = new float[rows * columns], reference = new float[rows * columns];
        Initializers.Orthogonal(fast, rows, columns, new Random(7));
        ReferenceOrthogonal(reference, rows, columns, new Random(7));
        for (int i = 0; i < fast.Length; i++)
            Assert.Equal(reference[i], fast[i], 2e-6);
        if (rows <= columns)
            AssertOrthonormalRows(fast, rows, columns);
        else
            AssertOrthonormalRows(Transpose(fast, rows, columns), columns, rows);
    }

    [Fact]
    public void Nearly_dependent_vectors_are_orthonormalised_as_Gram_Schmidt_does()
    {
        // Rows 1 and 3 lie within 1e-9 of rows 0 and 2: the Gram matrix is too ill-conditioned for a
        // plain Cholesky factorisation, so the first pass is shifted.
        const int count = 5, length = 16;
        var random = new Random(3);
        double[] vectors = new double[count * length];
        for (int i = 0; i < vectors.Length; i++)
            vectors[i] = 2 * random.NextDouble() - 1;
        for (int p = 0; p < length; p++)
        {
            vectors[length + p] = vectors[p] + 1e-9 * (2 * random.NextDouble() - 1);
            vectors[3 * length + p] = vectors[2 * length + p] * (1 + 1e-9 * (2 * random.NextDouble() - 1));
        }
        double[] reference = (double[])vectors.Clone();

        Initializers.OrthonormalizeRows(vectors, count, length);
        ReferenceOrthonormalizeRows(reference, count, length);

        for (int i = 0; i < vectors.Length; i++)
            Assert.Equal(reference[i], vectors[i], 1e-5);
        for (int a = 0; a < count; a++)
        {
            for (int b = 0; b < count; b++)
                Assert.Equal(a == b ? 1.0 : 0.0, Dot(vectors.AsSpan(a * length, length), vectors.AsSpan(b * length, length)), 1e-12);
        }
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
