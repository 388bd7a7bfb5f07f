using System.Runtime.CompilerServices;

namespace FastSeq.Kernels;

/// <summary>
/// Scalar kernels: the <see cref="KernelPath.Scalar"/> path, and the column tails the
/// vector kernels leave over. Arguments are validated by <see cref="MatMul"/>.
/// </summary>
internal static class ScalarMatMul
{
    /// <summary>
    /// <c>C[m, n] += A[m, k] · B[k, n]</c> where A's element (i, p) sits at
    /// <c>a[i * ars + p * acs]</c>: <c>(lda, 1)</c> for A, <c>(1, lda)</c> for a stored Aᵀ.
    /// </summary>
    public static void MultiplyAdd(ref float a, nint ars, nint acs, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        {
            ref float ai = ref Unsafe.Add(ref a, i * ars);
            ref float ci = ref Unsafe.Add(ref c, i * ldc);
            for (int p = 0; p < k; p++)
            {
                float aip = Unsafe.Add(ref ai, p * acs);
                ref float bp = ref Unsafe.Add(ref b, p * ldb);
                for (int j = 0; j < n; j++)
                    Unsafe.Add(ref ci, j) += aip * Unsafe.Add(ref bp, j);
            }
        }
    }

    /// <summary><c>C[m, n] += A[m, k] · B[n, k]ᵀ</c>: one dot product of rows per element.</summary>
    public static void MultiplyAddTransposedB(ref float a, nint lda, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        {
            ref float ai = ref Unsafe.Add(ref a, i * lda);
            ref float ci = ref Unsafe.Add(ref c, i * ldc);
            for (int j = 0; j < n; j++)
            {
                ref float bj = ref Unsafe.Add(ref b, j * ldb);
                float sum = 0;
                for (int p = 0; p < k; p++)
                    sum += Unsafe.Add(ref ai, p) * Unsafe.Add(ref bj, p);
                Unsafe.Add(ref ci, j) += sum;
            }
        }
    }
}
