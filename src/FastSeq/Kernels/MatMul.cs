namespace FastSeq.Kernels;

/// <summary>
/// Dense matrix products over row-major float spans with explicit leading dimensions
/// (the distance between rows), so that strided views such as one timestep of a
/// batch-major <c>[B, T, H]</c> buffer (<c>ld = T * H</c>) need no copy.
/// Every product accumulates into its destination: <c>C += ...</c>.
/// </summary>
public static class MatMul
{
    /// <summary><c>C[m, n] += A[m, k] · B[k, n]</c>.</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                float aip = a[i * lda + p];
                for (int j = 0; j < n; j++)
                    c[i * ldc + j] += aip * b[p * ldb + j];
            }
        }
    }

    /// <summary><c>C[m, n] += A[m, k] · B[n, k]ᵀ</c>.</summary>
    public static void MultiplyAddTransposedB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                    sum += a[i * lda + p] * b[j * ldb + p];
                c[i * ldc + j] += sum;
            }
        }
    }

    /// <summary><c>C[m, n] += A[k, m]ᵀ · B[k, n]</c>: sums outer products of rows, as weight gradients do.</summary>
    public static void MultiplyAddTransposedA(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc)
    {
        for (int p = 0; p < k; p++)
        {
            for (int i = 0; i < m; i++)
            {
                float api = a[p * lda + i];
                for (int j = 0; j < n; j++)
                    c[i * ldc + j] += api * b[p * ldb + j];
            }
        }
    }
}
