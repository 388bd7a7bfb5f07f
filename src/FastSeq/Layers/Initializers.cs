namespace FastSeq.Layers;

/// <summary>
/// Keras' default initial values, drawn from a caller's <see cref="Random"/> so that a seed
/// fixes them. Kernels are row-major <c>[rows, columns]</c> = Keras' <c>[fan_in, fan_out]</c>.
/// </summary>
internal static class Initializers
{
    /// <summary>Glorot (Xavier) uniform: each value uniform in <c>[-l, l)</c> with <c>l = sqrt(6 / (rows + columns))</c>.</summary>
    public static void GlorotUniform(Span<float> kernel, int rows, int columns, Random random)
    {
        CheckKernel(kernel, rows, columns, random);
        double limit = Math.Sqrt(6.0 / ((double)rows + columns));
        for (int i = 0; i < kernel.Length; i++)
            kernel[i] = (float)((2 * random.NextDouble() - 1) * limit);
    }

    /// <summary>
    /// Orthogonal (gain 1), as Keras draws it: a standard normal <c>[rows, columns]</c> matrix, transposed
    /// when wide, whose QR factor Q, sign-corrected so that R has a positive diagonal, becomes the kernel
    /// (transposed back). The rows of a wide or square kernel are orthonormal (<c>W·Wᵀ = I</c>), the
    /// columns of a tall one (<c>Wᵀ·W = I</c>).
    /// </summary>
    /// <remarks>
    /// Gram-Schmidt yields the Q whose R has a positive diagonal, which is exactly Keras' Q after its
    /// sign correction. It runs in double with a second orthogonalisation pass, so that the result is
    /// orthogonal to float precision. Allocates a temporary <c>rows * columns</c> doubles.
    /// </remarks>
    public static void Orthogonal(Span<float> kernel, int rows, int columns, Random random)
    {
        CheckKernel(kernel, rows, columns, random);
        double[] normal = new double[kernel.Length];
        for (int i = 0; i < normal.Length; i += 2)
        {
            // Box-Muller: two independent standard normal values from two uniform ones.
            double radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
            double angle = 2 * Math.PI * random.NextDouble();
            normal[i] = radius * Math.Cos(angle);
            if (i + 1 < normal.Length)
                normal[i + 1] = radius * Math.Sin(angle);
        }

        // The vectors to orthonormalise are the columns of the tall matrix: the rows of a wide
        // [rows, columns] draw (Keras transposes it), the columns of a tall or square one.
        bool wide = rows < columns;
        int count = wide ? rows : columns;
        int length = wide ? columns : rows;
        double[] vectors = wide ? normal : Transpose(normal, rows, columns);
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

        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                kernel[r * columns + c] = (float)(wide ? vectors[r * columns + c] : vectors[c * rows + r]);
        }
    }

    private static void CheckKernel(Span<float> kernel, int rows, int columns, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        LayerArguments.Positive(rows, nameof(rows));
        LayerArguments.Positive(columns, nameof(columns));
        LayerArguments.Length(kernel.Length, checked(rows * columns), "[rows, columns]", nameof(kernel));
    }

    private static double[] Transpose(double[] matrix, int rows, int columns)
    {
        double[] transposed = new double[matrix.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                transposed[c * rows + r] = matrix[r * columns + c];
        }
        return transposed;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }
}
