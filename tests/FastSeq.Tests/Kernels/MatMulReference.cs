namespace FastSeq.Tests.Kernels;

/// <summary>
/// Plain triple loops in double precision, indexing exactly as the kernels document. Each
/// returns the expected C and, per element, the sum of |terms| (|c| + Σ|a·b|) to scale the
/// tolerance by.
/// </summary>
internal static class MatMulReference
{
    /// <summary>C[m, n] + A[m, k] · B[k, n].</summary>
    public static (double[] Value, double[] Magnitude) MultiplyAdd(float[] a, int lda, float[] b, int ldb, int m, int k, int n, float[] c, int ldc)
        => Product(m, k, n, c, ldc, (i, p) => a[i * lda + p], (p, j) => b[p * ldb + j]);

    /// <summary>C[m, n] + A[m, k] · B[n, k]ᵀ.</summary>
    public static (double[] Value, double[] Magnitude) MultiplyAddTransposedB(float[] a, int lda, float[] b, int ldb, int m, int k, int n, float[] c, int ldc)
        => Product(m, k, n, c, ldc, (i, p) => a[i * lda + p], (p, j) => b[j * ldb + p]);

    /// <summary>C[m, n] + A[k, m]ᵀ · B[k, n].</summary>
    public static (double[] Value, double[] Magnitude) MultiplyAddTransposedA(float[] a, int lda, float[] b, int ldb, int m, int k, int n, float[] c, int ldc)
        => Product(m, k, n, c, ldc, (i, p) => a[p * lda + i], (p, j) => b[p * ldb + j]);

    // Result laid out like c (same ldc); elements outside the m × n block keep c's values.
    private static (double[] Value, double[] Magnitude) Product(int m, int k, int n, float[] c, int ldc, Func<int, int, float> left, Func<int, int, float> right)
    {
        var value = new double[c.Length];
        var magnitude = new double[c.Length];
        for (int e = 0; e < c.Length; e++)
        {
            value[e] = c[e];
            magnitude[e] = Math.Abs(c[e]);
        }

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, size = 0;
                for (int p = 0; p < k; p++)
                {
                    double term = (double)left(i, p) * right(p, j);
                    sum += term;
                    size += Math.Abs(term);
                }

                value[i * ldc + j] += sum;
                magnitude[i * ldc + j] += size;
            }
        }

        return (value, magnitude);
    }
}
