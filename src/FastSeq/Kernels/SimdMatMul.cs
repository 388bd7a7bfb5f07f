using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastSeq.Kernels;

/// <summary>
/// Register-blocked kernels for one vector width (W floats per vector). Arguments are
/// validated by <see cref="MatMul"/>; sizes here are positive.
/// </summary>
/// <remarks>
/// <c>A·B</c> (and <c>Aᵀ·B</c>, the same kernel with A's strides swapped) keeps a tile of
/// C of 4 rows × 3 vectors in 12 registers, broadcasts one element of A per row and loads
/// 3 vectors of a row of B per step of k. A single remaining row uses 4 vectors with two
/// accumulator sets (even and odd p) so that 8 multiply-add chains are in flight.
/// <c>A·Bᵀ</c> is a grid of dot products of rows: 4 rows of A × 3 rows of B in 12 vector
/// accumulators, summed across lanes at the end.
/// k is split into blocks of 256 and m into blocks of 128 rows so that the part of B a tile
/// walks stays in L1 (copied to a contiguous panel when several tiles share it) and the
/// block of A stays in L2.
/// </remarks>
internal static class SimdMatMul<TVector, TOps>
    where TVector : struct
    where TOps : struct, ISimdOps<TVector>
{
    private const int KBlock = 256;
    private const int MBlock = 128;

    /// <summary>
    /// <c>C[m, n] += A[m, k] · B[k, n]</c> where A's element (i, p) sits at
    /// <c>a[i * ars + p * acs]</c>: <c>(lda, 1)</c> for A, <c>(1, lda)</c> for a stored Aᵀ.
    /// </summary>
    [SkipLocalsInit]
    public static void MultiplyAdd(ref float a, nint ars, nint acs, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc)
    {
        // With at least two 4-row tiles per column panel, each panel of B [kc, 3W] is first
        // copied to a contiguous buffer: rows of B far apart (ldb a multiple of 1 KB is usual)
        // would otherwise evict each other from L1 between tiles.
        Span<float> panel = m >= 8 ? stackalloc float[KBlock * 3 * TOps.Width] : default;
        ref float packed = ref MemoryMarshal.GetReference(panel);
        for (int p0 = 0; p0 < k; p0 += KBlock)
        {
            int kc = Math.Min(KBlock, k - p0);
            ref float ak = ref Unsafe.Add(ref a, p0 * acs);
            ref float bk = ref Unsafe.Add(ref b, p0 * ldb);
            for (int i0 = 0; i0 < m; i0 += MBlock)
                Block(ref Unsafe.Add(ref ak, i0 * ars), ars, acs, ref bk, ldb, Math.Min(MBlock, m - i0), kc, n, ref Unsafe.Add(ref c, i0 * ldc), ldc, ref packed, panel.Length > 0);
        }
    }

    // packed: room for B[k, 3W] when pack is true.
    private static void Block(ref float a, nint ars, nint acs, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc, ref float packed, bool pack)
    {
        int w = TOps.Width;
        int m4 = m & ~3;
        pack &= m4 >= 8;
        if (m4 > 0)
        {
            int j = 0;
            for (; j <= n - 3 * w; j += 3 * w)
            {
                ref float bj = ref Unsafe.Add(ref b, j);
                nint ldp = ldb;
                if (pack)
                {
                    Pack3(ref bj, ldb, k, ref packed);
                    bj = ref packed;
                    ldp = 3 * w;
                }

                for (int i = 0; i < m4; i += 4)
                    Tile4x3(ref Unsafe.Add(ref a, i * ars), ars, acs, ref bj, ldp, k, ref Unsafe.Add(ref c, i * ldc + j), ldc);
            }

            if (j <= n - 2 * w)
            {
                for (int i = 0; i < m4; i += 4)
                    Tile4x2(ref Unsafe.Add(ref a, i * ars), ars, acs, ref Unsafe.Add(ref b, j), ldb, k, ref Unsafe.Add(ref c, i * ldc + j), ldc);
                j += 2 * w;
            }
            else if (j <= n - w)
            {
                for (int i = 0; i < m4; i += 4)
                    Tile4x1(ref Unsafe.Add(ref a, i * ars), ars, acs, ref Unsafe.Add(ref b, j), ldb, k, ref Unsafe.Add(ref c, i * ldc + j), ldc);
                j += w;
            }

            if (j < n)
                ScalarMatMul.MultiplyAdd(ref a, ars, acs, ref Unsafe.Add(ref b, j), ldb, m4, k, n - j, ref Unsafe.Add(ref c, j), ldc);
        }

        for (int i = m4; i < m; i++)
            Row(ref Unsafe.Add(ref a, i * ars), acs, ref b, ldb, k, n, ref Unsafe.Add(ref c, i * ldc));
    }

    // packed[k, 3W] = B[k, 0..3W]
    private static void Pack3(ref float b, nint ldb, int k, ref float packed)
    {
        nint w = TOps.Width;
        for (int p = 0; p < k; p++)
        {
            TOps.Store(TOps.Load(ref b, 0), ref packed, 0);
            TOps.Store(TOps.Load(ref b, w), ref packed, w);
            TOps.Store(TOps.Load(ref b, 2 * w), ref packed, 2 * w);
            b = ref Unsafe.Add(ref b, ldb);
            packed = ref Unsafe.Add(ref packed, 3 * w);
        }
    }

    // C[4, 3W] += A[4, k] · B[k, 3W]
    private static void Tile4x3(ref float a, nint ars, nint acs, ref float b, nint ldb, int k, ref float c, nint ldc)
    {
        nint w = TOps.Width;
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        TVector s00 = TOps.Load(ref c, 0), s01 = TOps.Load(ref c, w), s02 = TOps.Load(ref c, 2 * w);
        TVector s10 = TOps.Load(ref c1, 0), s11 = TOps.Load(ref c1, w), s12 = TOps.Load(ref c1, 2 * w);
        TVector s20 = TOps.Load(ref c2, 0), s21 = TOps.Load(ref c2, w), s22 = TOps.Load(ref c2, 2 * w);
        TVector s30 = TOps.Load(ref c3, 0), s31 = TOps.Load(ref c3, w), s32 = TOps.Load(ref c3, 2 * w);
        nint ars2 = 2 * ars, ars3 = 3 * ars;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b, 0), b1 = TOps.Load(ref b, w), b2 = TOps.Load(ref b, 2 * w);
            TVector x = TOps.Broadcast(a);
            s00 = TOps.MultiplyAdd(x, b0, s00);
            s01 = TOps.MultiplyAdd(x, b1, s01);
            s02 = TOps.MultiplyAdd(x, b2, s02);
            x = TOps.Broadcast(Unsafe.Add(ref a, ars));
            s10 = TOps.MultiplyAdd(x, b0, s10);
            s11 = TOps.MultiplyAdd(x, b1, s11);
            s12 = TOps.MultiplyAdd(x, b2, s12);
            x = TOps.Broadcast(Unsafe.Add(ref a, ars2));
            s20 = TOps.MultiplyAdd(x, b0, s20);
            s21 = TOps.MultiplyAdd(x, b1, s21);
            s22 = TOps.MultiplyAdd(x, b2, s22);
            x = TOps.Broadcast(Unsafe.Add(ref a, ars3));
            s30 = TOps.MultiplyAdd(x, b0, s30);
            s31 = TOps.MultiplyAdd(x, b1, s31);
            s32 = TOps.MultiplyAdd(x, b2, s32);
            a = ref Unsafe.Add(ref a, acs);
            b = ref Unsafe.Add(ref b, ldb);
        }

        TOps.Store(s00, ref c, 0); TOps.Store(s01, ref c, w); TOps.Store(s02, ref c, 2 * w);
        TOps.Store(s10, ref c1, 0); TOps.Store(s11, ref c1, w); TOps.Store(s12, ref c1, 2 * w);
        TOps.Store(s20, ref c2, 0); TOps.Store(s21, ref c2, w); TOps.Store(s22, ref c2, 2 * w);
        TOps.Store(s30, ref c3, 0); TOps.Store(s31, ref c3, w); TOps.Store(s32, ref c3, 2 * w);
    }

    // C[4, 2W] += A[4, k] · B[k, 2W]
    private static void Tile4x2(ref float a, nint ars, nint acs, ref float b, nint ldb, int k, ref float c, nint ldc)
    {
        nint w = TOps.Width;
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        TVector s00 = TOps.Load(ref c, 0), s01 = TOps.Load(ref c, w);
        TVector s10 = TOps.Load(ref c1, 0), s11 = TOps.Load(ref c1, w);
        TVector s20 = TOps.Load(ref c2, 0), s21 = TOps.Load(ref c2, w);
        TVector s30 = TOps.Load(ref c3, 0), s31 = TOps.Load(ref c3, w);
        nint ars2 = 2 * ars, ars3 = 3 * ars;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b, 0), b1 = TOps.Load(ref b, w);
            TVector x = TOps.Broadcast(a);
            s00 = TOps.MultiplyAdd(x, b0, s00);
            s01 = TOps.MultiplyAdd(x, b1, s01);
            x = TOps.Broadcast(Unsafe.Add(ref a, ars));
            s10 = TOps.MultiplyAdd(x, b0, s10);
            s11 = TOps.MultiplyAdd(x, b1, s11);
            x = TOps.Broadcast(Unsafe.Add(ref a, ars2));
            s20 = TOps.MultiplyAdd(x, b0, s20);
            s21 = TOps.MultiplyAdd(x, b1, s21);
            x = TOps.Broadcast(Unsafe.Add(ref a, ars3));
            s30 = TOps.MultiplyAdd(x, b0, s30);
            s31 = TOps.MultiplyAdd(x, b1, s31);
            a = ref Unsafe.Add(ref a, acs);
            b = ref Unsafe.Add(ref b, ldb);
        }

        TOps.Store(s00, ref c, 0); TOps.Store(s01, ref c, w);
        TOps.Store(s10, ref c1, 0); TOps.Store(s11, ref c1, w);
        TOps.Store(s20, ref c2, 0); TOps.Store(s21, ref c2, w);
        TOps.Store(s30, ref c3, 0); TOps.Store(s31, ref c3, w);
    }

    // C[4, W] += A[4, k] · B[k, W]
    private static void Tile4x1(ref float a, nint ars, nint acs, ref float b, nint ldb, int k, ref float c, nint ldc)
    {
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        TVector s0 = TOps.Load(ref c, 0), s1 = TOps.Load(ref c1, 0), s2 = TOps.Load(ref c2, 0), s3 = TOps.Load(ref c3, 0);
        nint ars2 = 2 * ars, ars3 = 3 * ars;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b, 0);
            s0 = TOps.MultiplyAdd(TOps.Broadcast(a), b0, s0);
            s1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, ars)), b0, s1);
            s2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, ars2)), b0, s2);
            s3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, ars3)), b0, s3);
            a = ref Unsafe.Add(ref a, acs);
            b = ref Unsafe.Add(ref b, ldb);
        }

        TOps.Store(s0, ref c, 0);
        TOps.Store(s1, ref c1, 0);
        TOps.Store(s2, ref c2, 0);
        TOps.Store(s3, ref c3, 0);
    }

    // c[n] += a[k] · B[k, n], a's elements acs apart: the matrix-vector product of a single row.
    private static void Row(ref float a, nint acs, ref float b, nint ldb, int k, int n, ref float c)
    {
        int w = TOps.Width;
        int j = 0;
        for (; j <= n - 4 * w; j += 4 * w)
            Row4(ref a, acs, ref Unsafe.Add(ref b, j), ldb, k, ref Unsafe.Add(ref c, j));
        for (; j <= n - w; j += w)
            Row1(ref a, acs, ref Unsafe.Add(ref b, j), ldb, k, ref Unsafe.Add(ref c, j));
        if (j < n)
            ScalarMatMul.MultiplyAdd(ref a, 0, acs, ref Unsafe.Add(ref b, j), ldb, 1, k, n - j, ref Unsafe.Add(ref c, j), 0);
    }

    // c[4W] += a[k] · B[k, 4W]; s* sum the even steps of p, t* the odd ones.
    private static void Row4(ref float a, nint acs, ref float b, nint ldb, int k, ref float c)
    {
        nint w = TOps.Width;
        TVector s0 = TOps.Load(ref c, 0), s1 = TOps.Load(ref c, w), s2 = TOps.Load(ref c, 2 * w), s3 = TOps.Load(ref c, 3 * w);
        TVector t0 = TOps.Zero, t1 = TOps.Zero, t2 = TOps.Zero, t3 = TOps.Zero;
        int p = 0;
        for (; p <= k - 2; p += 2)
        {
            TVector x = TOps.Broadcast(a);
            s0 = TOps.MultiplyAdd(x, TOps.Load(ref b, 0), s0);
            s1 = TOps.MultiplyAdd(x, TOps.Load(ref b, w), s1);
            s2 = TOps.MultiplyAdd(x, TOps.Load(ref b, 2 * w), s2);
            s3 = TOps.MultiplyAdd(x, TOps.Load(ref b, 3 * w), s3);
            ref float b1 = ref Unsafe.Add(ref b, ldb);
            x = TOps.Broadcast(Unsafe.Add(ref a, acs));
            t0 = TOps.MultiplyAdd(x, TOps.Load(ref b1, 0), t0);
            t1 = TOps.MultiplyAdd(x, TOps.Load(ref b1, w), t1);
            t2 = TOps.MultiplyAdd(x, TOps.Load(ref b1, 2 * w), t2);
            t3 = TOps.MultiplyAdd(x, TOps.Load(ref b1, 3 * w), t3);
            a = ref Unsafe.Add(ref a, 2 * acs);
            b = ref Unsafe.Add(ref b, 2 * ldb);
        }

        if (p < k)
        {
            TVector x = TOps.Broadcast(a);
            s0 = TOps.MultiplyAdd(x, TOps.Load(ref b, 0), s0);
            s1 = TOps.MultiplyAdd(x, TOps.Load(ref b, w), s1);
            s2 = TOps.MultiplyAdd(x, TOps.Load(ref b, 2 * w), s2);
            s3 = TOps.MultiplyAdd(x, TOps.Load(ref b, 3 * w), s3);
        }

        TOps.Store(TOps.Add(s0, t0), ref c, 0);
        TOps.Store(TOps.Add(s1, t1), ref c, w);
        TOps.Store(TOps.Add(s2, t2), ref c, 2 * w);
        TOps.Store(TOps.Add(s3, t3), ref c, 3 * w);
    }

    // c[W] += a[k] · B[k, W]; four accumulators take turns over p.
    private static void Row1(ref float a, nint acs, ref float b, nint ldb, int k, ref float c)
    {
        TVector s0 = TOps.Load(ref c, 0), s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
        int p = 0;
        for (; p <= k - 4; p += 4)
        {
            s0 = TOps.MultiplyAdd(TOps.Broadcast(a), TOps.Load(ref b, 0), s0);
            s1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, acs)), TOps.Load(ref b, ldb), s1);
            s2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, 2 * acs)), TOps.Load(ref b, 2 * ldb), s2);
            s3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, 3 * acs)), TOps.Load(ref b, 3 * ldb), s3);
            a = ref Unsafe.Add(ref a, 4 * acs);
            b = ref Unsafe.Add(ref b, 4 * ldb);
        }

        for (; p < k; p++)
        {
            s0 = TOps.MultiplyAdd(TOps.Broadcast(a), TOps.Load(ref b, 0), s0);
            a = ref Unsafe.Add(ref a, acs);
            b = ref Unsafe.Add(ref b, ldb);
        }

        TOps.Store(TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)), ref c, 0);
    }

    /// <summary><c>C[m, n] += A[m, k] · B[n, k]ᵀ</c> as dot products of rows of A and B.</summary>
    public static void MultiplyAddTransposedB(ref float a, nint lda, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc)
    {
        // The last partial vector of a dot product reloads the final W elements and masks off
        // the ones already counted; that needs k >= W.
        if (k < TOps.Width)
        {
            ScalarMatMul.MultiplyAddTransposedB(ref a, lda, ref b, ldb, m, k, n, ref c, ldc);
            return;
        }

        for (int p0 = 0; p0 < k; p0 += KBlock)
        {
            int kc = Math.Min(KBlock, k - p0);
            ref float ak = ref Unsafe.Add(ref a, p0);
            ref float bk = ref Unsafe.Add(ref b, p0);
            for (int i = 0; i < m; i += 4)
            {
                int rows = Math.Min(4, m - i);
                ref float ai = ref Unsafe.Add(ref ak, i * lda);
                ref float ci = ref Unsafe.Add(ref c, i * ldc);
                if (rows == 1)
                {
                    for (int j = 0; j < n; j += 4)
                        Dot1x4(ref ai, ref Unsafe.Add(ref bk, j * ldb), ldb, kc, Math.Min(4, n - j), ref Unsafe.Add(ref ci, j));
                }
                else
                {
                    for (int j = 0; j < n; j += 3)
                        Dot4x3(ref ai, lda, ref Unsafe.Add(ref bk, j * ldb), ldb, kc, rows, Math.Min(3, n - j), ref Unsafe.Add(ref ci, j), ldc);
                }
            }
        }
    }

    // C[rows, cols] += A[rows, k] · B[cols, k]ᵀ for rows <= 4, cols <= 3. Missing rows and
    // columns repeat the last real one and are not stored, so the loop has no branches.
    // k may be below W here only if the elements before the block are readable (p0 > 0).
    private static void Dot4x3(ref float a, nint lda, ref float b, nint ldb, int k, int rows, int cols, ref float c, nint ldc)
    {
        nint w = TOps.Width;
        ref float a0 = ref a;
        ref float a1 = ref Unsafe.Add(ref a, Math.Min(1, rows - 1) * lda);
        ref float a2 = ref Unsafe.Add(ref a, Math.Min(2, rows - 1) * lda);
        ref float a3 = ref Unsafe.Add(ref a, Math.Min(3, rows - 1) * lda);
        ref float b0 = ref b;
        ref float b1 = ref Unsafe.Add(ref b, Math.Min(1, cols - 1) * ldb);
        ref float b2 = ref Unsafe.Add(ref b, Math.Min(2, cols - 1) * ldb);
        TVector s00 = TOps.Zero, s01 = TOps.Zero, s02 = TOps.Zero;
        TVector s10 = TOps.Zero, s11 = TOps.Zero, s12 = TOps.Zero;
        TVector s20 = TOps.Zero, s21 = TOps.Zero, s22 = TOps.Zero;
        TVector s30 = TOps.Zero, s31 = TOps.Zero, s32 = TOps.Zero;
        nint p = 0;
        for (; p <= k - w; p += w)
        {
            TVector y0 = TOps.Load(ref b0, p), y1 = TOps.Load(ref b1, p), y2 = TOps.Load(ref b2, p);
            TVector x = TOps.Load(ref a0, p);
            s00 = TOps.MultiplyAdd(x, y0, s00); s01 = TOps.MultiplyAdd(x, y1, s01); s02 = TOps.MultiplyAdd(x, y2, s02);
            x = TOps.Load(ref a1, p);
            s10 = TOps.MultiplyAdd(x, y0, s10); s11 = TOps.MultiplyAdd(x, y1, s11); s12 = TOps.MultiplyAdd(x, y2, s12);
            x = TOps.Load(ref a2, p);
            s20 = TOps.MultiplyAdd(x, y0, s20); s21 = TOps.MultiplyAdd(x, y1, s21); s22 = TOps.MultiplyAdd(x, y2, s22);
            x = TOps.Load(ref a3, p);
            s30 = TOps.MultiplyAdd(x, y0, s30); s31 = TOps.MultiplyAdd(x, y1, s31); s32 = TOps.MultiplyAdd(x, y2, s32);
        }

        int rest = k - (int)p;
        if (rest > 0)
        {
            // Overlapping final window: its first W - rest lanes were summed already, so they
            // are masked to zero in both operands (0 · inf would be NaN).
            TVector mask = TOps.LastLanes(rest);
            p = k - w;
            TVector y0 = TOps.And(TOps.Load(ref b0, p), mask), y1 = TOps.And(TOps.Load(ref b1, p), mask), y2 = TOps.And(TOps.Load(ref b2, p), mask);
            TVector x = TOps.And(TOps.Load(ref a0, p), mask);
            s00 = TOps.MultiplyAdd(x, y0, s00); s01 = TOps.MultiplyAdd(x, y1, s01); s02 = TOps.MultiplyAdd(x, y2, s02);
            x = TOps.And(TOps.Load(ref a1, p), mask);
            s10 = TOps.MultiplyAdd(x, y0, s10); s11 = TOps.MultiplyAdd(x, y1, s11); s12 = TOps.MultiplyAdd(x, y2, s12);
            x = TOps.And(TOps.Load(ref a2, p), mask);
            s20 = TOps.MultiplyAdd(x, y0, s20); s21 = TOps.MultiplyAdd(x, y1, s21); s22 = TOps.MultiplyAdd(x, y2, s22);
            x = TOps.And(TOps.Load(ref a3, p), mask);
            s30 = TOps.MultiplyAdd(x, y0, s30); s31 = TOps.MultiplyAdd(x, y1, s31); s32 = TOps.MultiplyAdd(x, y2, s32);
        }

        AddSums(ref c, s00, s01, s02, cols);
        if (rows > 1)
            AddSums(ref Unsafe.Add(ref c, ldc), s10, s11, s12, cols);
        if (rows > 2)
            AddSums(ref Unsafe.Add(ref c, 2 * ldc), s20, s21, s22, cols);
        if (rows > 3)
            AddSums(ref Unsafe.Add(ref c, 3 * ldc), s30, s31, s32, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums(ref float c, TVector s0, TVector s1, TVector s2, int cols)
    {
        c += TOps.Sum(s0);
        if (cols > 1)
            Unsafe.Add(ref c, 1) += TOps.Sum(s1);
        if (cols > 2)
            Unsafe.Add(ref c, 2) += TOps.Sum(s2);
    }

    // c[cols] += a[k] · B[cols, k]ᵀ for cols <= 4 (missing columns repeat the last real one).
    private static void Dot1x4(ref float a, ref float b, nint ldb, int k, int cols, ref float c)
    {
        nint w = TOps.Width;
        ref float b0 = ref b;
        ref float b1 = ref Unsafe.Add(ref b, Math.Min(1, cols - 1) * ldb);
        ref float b2 = ref Unsafe.Add(ref b, Math.Min(2, cols - 1) * ldb);
        ref float b3 = ref Unsafe.Add(ref b, Math.Min(3, cols - 1) * ldb);
        TVector s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
        nint p = 0;
        for (; p <= k - w; p += w)
        {
            TVector x = TOps.Load(ref a, p);
            s0 = TOps.MultiplyAdd(x, TOps.Load(ref b0, p), s0);
            s1 = TOps.MultiplyAdd(x, TOps.Load(ref b1, p), s1);
            s2 = TOps.MultiplyAdd(x, TOps.Load(ref b2, p), s2);
            s3 = TOps.MultiplyAdd(x, TOps.Load(ref b3, p), s3);
        }

        int rest = k - (int)p;
        if (rest > 0)
        {
            // Overlapping final window, masked as in Dot4x3.
            TVector mask = TOps.LastLanes(rest);
            p = k - w;
            TVector x = TOps.And(TOps.Load(ref a, p), mask);
            s0 = TOps.MultiplyAdd(x, TOps.And(TOps.Load(ref b0, p), mask), s0);
            s1 = TOps.MultiplyAdd(x, TOps.And(TOps.Load(ref b1, p), mask), s1);
            s2 = TOps.MultiplyAdd(x, TOps.And(TOps.Load(ref b2, p), mask), s2);
            s3 = TOps.MultiplyAdd(x, TOps.And(TOps.Load(ref b3, p), mask), s3);
        }

        c += TOps.Sum(s0);
        if (cols > 1)
            Unsafe.Add(ref c, 1) += TOps.Sum(s1);
        if (cols > 2)
            Unsafe.Add(ref c, 2) += TOps.Sum(s2);
        if (cols > 3)
            Unsafe.Add(ref c, 3) += TOps.Sum(s3);
    }
}
