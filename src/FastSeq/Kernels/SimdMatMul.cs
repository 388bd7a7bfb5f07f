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
/// 3 vectors of a row of B per step of k. A single row (m = 1, a streaming step) keeps up
/// to 8 vectors of C in registers over the whole of k; 2 or 3 rows left below the last tile
/// stream B row after row into C (several rows of B per pass, so each load of C feeds several
/// multiply-adds and each load of B feeds one per row). Columns past the last whole vector
/// become dot products of rows of A with columns of B copied to rows.
/// <c>A·Bᵀ</c> is a grid of dot products of rows (4 rows of A × 3 rows of B in 12 vector
/// accumulators, summed across lanes at the end) when A has few rows; with more, B's panels
/// are transposed into a buffer and the <c>A·B</c> tiles run on them.
/// Except for a single row, which reads B once, k is split into blocks of 256 and m into
/// blocks of 128 rows so that the part of B a tile walks stays in L1 (copied to a contiguous
/// panel when several tiles share it) and the block of A stays in L2.
/// </remarks>
internal static class SimdMatMul<TVector, TOps>
    where TVector : struct
    where TOps : struct, ISimdOps<TVector>
{
    private const int KBlock = 256;
    private const int MBlock = 128;

    // A·B copies each panel of B to a contiguous buffer when at least two 4-row tiles walk it.
    private const int PackRowsMin = 8;

    // A·Bᵀ with fewer rows than this stays as dot products: transposing B would cost about
    // as much as the product.
    private const int TransposeRowsMin = 8;

    /// <summary>
    /// <c>C[m, n] += A[m, k] · B[k, n]</c> where A's element (i, p) sits at
    /// <c>a[i * ars + p * acs]</c>: <c>(lda, 1)</c> for A, <c>(1, lda)</c> for a stored Aᵀ.
    /// </summary>
    [SkipLocalsInit]
    public static void MultiplyAdd(ref float a, nint ars, nint acs, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc)
    {
        int w = TOps.Width;
        if (m == 1 && n % w == 0)
        {
            // One row in whole vectors (a streaming step): no blocking or buffers to set up.
            Row(ref a, acs, ref b, ldb, k, n, ref c);
            return;
        }

        if (n == 1 && ldb == 1 && acs == 1 && k >= w)
        {
            // One contiguous column (an input gradient through a one-feature layer): a dot product per row, nothing to set up.
            Dots(ref a, ars, ref b, k, m, k, 1, ref c, ldc);
            return;
        }

        // With at least two 4-row tiles per column panel, each panel of B [kc, 3W] is first
        // copied to a contiguous buffer: rows of B far apart (ldb a multiple of 1 KB is usual)
        // would otherwise evict each other from L1 between tiles.
        Span<float> panel = m >= PackRowsMin ? stackalloc float[KBlock * 3 * w] : default;

        // Columns past the last whole vector: room for their transpose [n % W, kc], or for
        // the lane sums of NarrowOverRows (see Narrow).
        int r = n % w;
        int stripLength = r == 0 ? 0 : Math.Max(r * Math.Min(KBlock, k), 4 * w);
        Span<float> strip = stripLength > 0 ? stackalloc float[stripLength] : default;
        for (int p0 = 0; p0 < k; p0 += KBlock)
        {
            int kc = Math.Min(KBlock, k - p0);
            ref float ak = ref Unsafe.Add(ref a, p0 * acs);
            ref float bk = ref Unsafe.Add(ref b, p0 * ldb);
            for (int i0 = 0; i0 < m; i0 += MBlock)
                Block(ref Unsafe.Add(ref ak, i0 * ars), ars, acs, ref bk, ldb, Math.Min(MBlock, m - i0), kc, n, ref Unsafe.Add(ref c, i0 * ldc), ldc, false, panel, strip);
        }
    }

    /// <summary><c>C[m, n] += A[m, k] · B[n, k]ᵀ</c>.</summary>
    [SkipLocalsInit]
    public static void MultiplyAddTransposedB(ref float a, nint lda, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc)
    {
        // The last partial vector of a dot product reloads the final W elements and masks off
        // the ones already counted; that needs k >= W.
        if (k < TOps.Width)
        {
            ScalarMatMul.MultiplyAddTransposedB(ref a, lda, ref b, ldb, m, k, n, ref c, ldc);
            return;
        }

        Span<float> panel = m >= TransposeRowsMin ? stackalloc float[KBlock * 3 * TOps.Width] : default;
        for (int p0 = 0; p0 < k; p0 += KBlock)
        {
            int kc = Math.Min(KBlock, k - p0);
            ref float ak = ref Unsafe.Add(ref a, p0);
            ref float bk = ref Unsafe.Add(ref b, p0);
            if (panel.Length == 0)
            {
                Dots(ref ak, lda, ref bk, ldb, m, kc, n, ref c, ldc);
                continue;
            }

            for (int i0 = 0; i0 < m; i0 += MBlock)
                Block(ref Unsafe.Add(ref ak, i0 * lda), lda, 1, ref bk, ldb, Math.Min(MBlock, m - i0), kc, n, ref Unsafe.Add(ref c, i0 * ldc), ldc, true, panel, default);
        }
    }

    // One block of k and m. B's element (p, j) is b[p * ldb + j], or b[j * ldb + p] when
    // transposedB. panel: room for B[k, 3W] (required when transposedB); strip: room for
    // Bᵀ[n % W, k] (A·B only).
    private static void Block(ref float a, nint ars, nint acs, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc, bool transposedB, Span<float> panel, Span<float> strip)
    {
        int w = TOps.Width;
        int m4 = m & ~3;
        int nv = n - n % w;
        bool pack = transposedB || m4 >= PackRowsMin;
        ref float packed = ref MemoryMarshal.GetReference(panel);
        if (m4 > 0)
        {
            // Column panels of 3 vectors, the last one 1 or 2 wide.
            for (int j = 0; j < nv; j += 3 * w)
            {
                int width = Math.Min(3 * w, nv - j);
                ref float bj = ref Panel(ref b, ldb, j, k, width, transposedB, pack, ref packed, out nint ldp);
                for (int i = 0; i < m4; i += 4)
                {
                    ref float ai = ref Unsafe.Add(ref a, i * ars);
                    ref float ci = ref Unsafe.Add(ref c, i * ldc + j);
                    switch (width / w)
                    {
                        case 1: Tile4<Vectors1>(ref ai, ars, acs, ref bj, ldp, k, ref ci, ldc); break;
                        case 2: Tile4<Vectors2>(ref ai, ars, acs, ref bj, ldp, k, ref ci, ldc); break;
                        default: Tile4<Vectors3>(ref ai, ars, acs, ref bj, ldp, k, ref ci, ldc); break;
                    }
                }
            }
        }

        ref float ar = ref Unsafe.Add(ref a, m4 * ars);
        ref float cr = ref Unsafe.Add(ref c, m4 * ldc);
        if (transposedB)
        {
            // Here acs == 1 and B's columns are rows in memory: the leftover columns of the
            // tiled rows, and every column of the leftover rows, are dot products of rows.
            if (nv < n)
                Dots(ref a, ars, ref Unsafe.Add(ref b, nv * ldb), ldb, m4, k, n - nv, ref Unsafe.Add(ref c, nv), ldc);
            if (m4 < m)
                Dots(ref ar, ars, ref b, ldb, m - m4, k, n, ref cr, ldc);
            return;
        }

        if (m4 < m && nv > 0)
        {
            switch (m - m4)
            {
                case 1:
                    Row(ref ar, acs, ref b, ldb, k, nv, ref cr);
                    break;
                case 2:
                    Stream2(ref ar, ars, acs, ref b, ldb, k, nv, ref cr, ldc);
                    break;
                default:
                    Stream3(ref ar, ars, acs, ref b, ldb, k, nv, ref cr, ldc);
                    break;
            }
        }

        if (nv < n)
            Narrow(ref a, ars, acs, ref Unsafe.Add(ref b, nv), ldb, m, k, n - nv, ref Unsafe.Add(ref c, nv), ldc, strip);
    }

    // B[k, j..j + width] as rows ldp apart: B itself, or a contiguous copy in packed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Panel(ref float b, nint ldb, int j, int k, int width, bool transposedB, bool pack, ref float packed, out nint ldp)
    {
        if (transposedB)
        {
            // packed[k, width] = Bᵀ of the panel's B[width, k], whose rows are ldb apart.
            MatMul.Transpose(ref Unsafe.Add(ref b, j * ldb), ldb, width, k, ref packed, width);
            ldp = width;
            return ref packed;
        }

        if (pack)
        {
            Pack(ref Unsafe.Add(ref b, j), ldb, k, width, ref packed);
            ldp = width;
            return ref packed;
        }

        ldp = ldb;
        return ref Unsafe.Add(ref b, j);
    }

    // packed[k, width] = B[k, 0..width], width a multiple of W.
    private static void Pack(ref float b, nint ldb, int k, int width, ref float packed)
    {
        nint w = TOps.Width;
        for (int p = 0; p < k; p++)
        {
            for (nint q = 0; q < width; q += w)
                TOps.Store(TOps.Load(ref b, q), ref packed, q);
            b = ref Unsafe.Add(ref b, ldb);
            packed = ref Unsafe.Add(ref packed, width);
        }
    }

    // C[4, V·W] += A[4, k] · B[k, V·W], V = TWidth.Vectors in 1..3: per step of k, V vectors of a row
    // of B and one broadcast element of A per row feed 4·V multiply-adds.
    private static void Tile4<TWidth>(ref float a, nint ars, nint acs, ref float b, nint ldb, int k, ref float c, nint ldc)
        where TWidth : struct, IVectorCount
    {
        nint w = TOps.Width;
        int v = TWidth.Vectors;
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref float c3 = ref Unsafe.Add(ref c, 3 * ldc);
        TVector s00 = TOps.Load(ref c, 0), s10 = TOps.Load(ref c1, 0), s20 = TOps.Load(ref c2, 0), s30 = TOps.Load(ref c3, 0);
        TVector s01 = TOps.Zero, s11 = TOps.Zero, s21 = TOps.Zero, s31 = TOps.Zero;
        TVector s02 = TOps.Zero, s12 = TOps.Zero, s22 = TOps.Zero, s32 = TOps.Zero;
        if (v > 1)
        {
            s01 = TOps.Load(ref c, w); s11 = TOps.Load(ref c1, w); s21 = TOps.Load(ref c2, w); s31 = TOps.Load(ref c3, w);
        }
        if (v > 2)
        {
            s02 = TOps.Load(ref c, 2 * w); s12 = TOps.Load(ref c1, 2 * w); s22 = TOps.Load(ref c2, 2 * w); s32 = TOps.Load(ref c3, 2 * w);
        }
        nint ars2 = 2 * ars, ars3 = 3 * ars;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b, 0);
            TVector b1 = v > 1 ? TOps.Load(ref b, w) : TOps.Zero;
            TVector b2 = v > 2 ? TOps.Load(ref b, 2 * w) : TOps.Zero;
            TVector x = TOps.Broadcast(a);
            s00 = TOps.MultiplyAdd(x, b0, s00);
            if (v > 1) s01 = TOps.MultiplyAdd(x, b1, s01);
            if (v > 2) s02 = TOps.MultiplyAdd(x, b2, s02);
            x = TOps.Broadcast(Unsafe.Add(ref a, ars));
            s10 = TOps.MultiplyAdd(x, b0, s10);
            if (v > 1) s11 = TOps.MultiplyAdd(x, b1, s11);
            if (v > 2) s12 = TOps.MultiplyAdd(x, b2, s12);
            x = TOps.Broadcast(Unsafe.Add(ref a, ars2));
            s20 = TOps.MultiplyAdd(x, b0, s20);
            if (v > 1) s21 = TOps.MultiplyAdd(x, b1, s21);
            if (v > 2) s22 = TOps.MultiplyAdd(x, b2, s22);
            x = TOps.Broadcast(Unsafe.Add(ref a, ars3));
            s30 = TOps.MultiplyAdd(x, b0, s30);
            if (v > 1) s31 = TOps.MultiplyAdd(x, b1, s31);
            if (v > 2) s32 = TOps.MultiplyAdd(x, b2, s32);
            a = ref Unsafe.Add(ref a, acs);
            b = ref Unsafe.Add(ref b, ldb);
        }

        TOps.Store(s00, ref c, 0); TOps.Store(s10, ref c1, 0); TOps.Store(s20, ref c2, 0); TOps.Store(s30, ref c3, 0);
        if (v > 1)
        {
            TOps.Store(s01, ref c, w); TOps.Store(s11, ref c1, w); TOps.Store(s21, ref c2, w); TOps.Store(s31, ref c3, w);
        }
        if (v > 2)
        {
            TOps.Store(s02, ref c, 2 * w); TOps.Store(s12, ref c1, 2 * w); TOps.Store(s22, ref c2, 2 * w); TOps.Store(s32, ref c3, 2 * w);
        }
    }

    // c[n] += a[k] · B[k, n] for n a multiple of W, a's elements acs apart: a single row (the
    // batch-1 product of a streaming step, or the row left below the last tile). The vectors of c
    // are cut into blocks of at most 8, as even as possible (20 vectors: 7, 7, 6), so that each
    // block has enough independent multiply-add chains to cover the FMA latency; a block stays in
    // registers over the whole of k. Every element is still summed in k order, as in the tiles,
    // so a stream's result does not depend on the streams batched with it.
    private static void Row(ref float a, nint acs, ref float b, nint ldb, int k, int n, ref float c)
    {
        int vectors = n / TOps.Width;
        int blocks = (vectors + 7) / 8;
        nint j = 0;
        for (int block = 0; block < blocks; block++)
        {
            int width = (vectors / blocks) + (block < vectors % blocks ? 1 : 0);
            ref float bj = ref Unsafe.Add(ref b, j);
            ref float cj = ref Unsafe.Add(ref c, j);
            switch (width)
            {
                case 1: RowBlock<Vectors1>(ref a, acs, ref bj, ldb, k, ref cj); break;
                case 2: RowBlock<Vectors2>(ref a, acs, ref bj, ldb, k, ref cj); break;
                case 3: RowBlock<Vectors3>(ref a, acs, ref bj, ldb, k, ref cj); break;
                case 4: RowBlock<Vectors4>(ref a, acs, ref bj, ldb, k, ref cj); break;
                case 5: RowBlock<Vectors5>(ref a, acs, ref bj, ldb, k, ref cj); break;
                case 6: RowBlock<Vectors6>(ref a, acs, ref bj, ldb, k, ref cj); break;
                case 7: RowBlock<Vectors7>(ref a, acs, ref bj, ldb, k, ref cj); break;
                default: RowBlock<Vectors8>(ref a, acs, ref bj, ldb, k, ref cj); break;
            }
            j += width * TOps.Width;
        }
    }

    // c[V·W] += a[k] · B[k, V·W], V = TWidth.Vectors in 1..8.
    private static void RowBlock<TWidth>(ref float a, nint acs, ref float b, nint ldb, int k, ref float c)
        where TWidth : struct, IVectorCount
    {
        nint w = TOps.Width;
        int v = TWidth.Vectors;
        TVector s0 = TOps.Load(ref c, 0);
        TVector s1 = v > 1 ? TOps.Load(ref c, w) : TOps.Zero;
        TVector s2 = v > 2 ? TOps.Load(ref c, 2 * w) : TOps.Zero;
        TVector s3 = v > 3 ? TOps.Load(ref c, 3 * w) : TOps.Zero;
        TVector s4 = v > 4 ? TOps.Load(ref c, 4 * w) : TOps.Zero;
        TVector s5 = v > 5 ? TOps.Load(ref c, 5 * w) : TOps.Zero;
        TVector s6 = v > 6 ? TOps.Load(ref c, 6 * w) : TOps.Zero;
        TVector s7 = v > 7 ? TOps.Load(ref c, 7 * w) : TOps.Zero;
        for (int p = 0; p < k; p++)
        {
            TVector x = TOps.Broadcast(a);
            s0 = TOps.MultiplyAdd(x, TOps.Load(ref b, 0), s0);
            if (v > 1) s1 = TOps.MultiplyAdd(x, TOps.Load(ref b, w), s1);
            if (v > 2) s2 = TOps.MultiplyAdd(x, TOps.Load(ref b, 2 * w), s2);
            if (v > 3) s3 = TOps.MultiplyAdd(x, TOps.Load(ref b, 3 * w), s3);
            if (v > 4) s4 = TOps.MultiplyAdd(x, TOps.Load(ref b, 4 * w), s4);
            if (v > 5) s5 = TOps.MultiplyAdd(x, TOps.Load(ref b, 5 * w), s5);
            if (v > 6) s6 = TOps.MultiplyAdd(x, TOps.Load(ref b, 6 * w), s6);
            if (v > 7) s7 = TOps.MultiplyAdd(x, TOps.Load(ref b, 7 * w), s7);
            a = ref Unsafe.Add(ref a, acs);
            b = ref Unsafe.Add(ref b, ldb);
        }

        TOps.Store(s0, ref c, 0);
        if (v > 1) TOps.Store(s1, ref c, w);
        if (v > 2) TOps.Store(s2, ref c, 2 * w);
        if (v > 3) TOps.Store(s3, ref c, 3 * w);
        if (v > 4) TOps.Store(s4, ref c, 4 * w);
        if (v > 5) TOps.Store(s5, ref c, 5 * w);
        if (v > 6) TOps.Store(s6, ref c, 6 * w);
        if (v > 7) TOps.Store(s7, ref c, 7 * w);
    }

    // C[2, n] += A[2, k] · B[k, n] for n a multiple of W, streaming four rows of B per pass
    // (each load of B feeds both rows).
    private static void Stream2(ref float a, nint ars, nint acs, ref float b, nint ldb, int k, int n, ref float c, nint ldc)
    {
        nint w = TOps.Width;
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        int p = 0;
        for (; p <= k - 4; p += 4)
        {
            ref float a1 = ref Unsafe.Add(ref a, ars);
            TVector x0 = TOps.Broadcast(a), x1 = TOps.Broadcast(Unsafe.Add(ref a, acs));
            TVector x2 = TOps.Broadcast(Unsafe.Add(ref a, 2 * acs)), x3 = TOps.Broadcast(Unsafe.Add(ref a, 3 * acs));
            TVector z0 = TOps.Broadcast(a1), z1 = TOps.Broadcast(Unsafe.Add(ref a1, acs));
            TVector z2 = TOps.Broadcast(Unsafe.Add(ref a1, 2 * acs)), z3 = TOps.Broadcast(Unsafe.Add(ref a1, 3 * acs));
            ref float b1 = ref Unsafe.Add(ref b, ldb);
            ref float b2 = ref Unsafe.Add(ref b, 2 * ldb);
            ref float b3 = ref Unsafe.Add(ref b, 3 * ldb);
            for (nint j = 0; j < n; j += w)
            {
                TVector y = TOps.Load(ref c, j), u = TOps.Load(ref c1, j);
                TVector t = TOps.Load(ref b, j);
                y = TOps.MultiplyAdd(x0, t, y);
                u = TOps.MultiplyAdd(z0, t, u);
                t = TOps.Load(ref b1, j);
                y = TOps.MultiplyAdd(x1, t, y);
                u = TOps.MultiplyAdd(z1, t, u);
                t = TOps.Load(ref b2, j);
                y = TOps.MultiplyAdd(x2, t, y);
                u = TOps.MultiplyAdd(z2, t, u);
                t = TOps.Load(ref b3, j);
                y = TOps.MultiplyAdd(x3, t, y);
                u = TOps.MultiplyAdd(z3, t, u);
                TOps.Store(y, ref c, j);
                TOps.Store(u, ref c1, j);
            }

            a = ref Unsafe.Add(ref a, 4 * acs);
            b = ref Unsafe.Add(ref b, 4 * ldb);
        }

        for (; p < k; p++)
        {
            TVector x = TOps.Broadcast(a), z = TOps.Broadcast(Unsafe.Add(ref a, ars));
            for (nint j = 0; j < n; j += w)
            {
                TVector t = TOps.Load(ref b, j);
                TOps.Store(TOps.MultiplyAdd(x, t, TOps.Load(ref c, j)), ref c, j);
                TOps.Store(TOps.MultiplyAdd(z, t, TOps.Load(ref c1, j)), ref c1, j);
            }

            a = ref Unsafe.Add(ref a, acs);
            b = ref Unsafe.Add(ref b, ldb);
        }
    }

    // C[3, n] += A[3, k] · B[k, n] for n a multiple of W, streaming three rows of B per pass
    // (9 broadcasts and 3 rows of C fit in 16 registers).
    private static void Stream3(ref float a, nint ars, nint acs, ref float b, nint ldb, int k, int n, ref float c, nint ldc)
    {
        nint w = TOps.Width;
        ref float c1 = ref Unsafe.Add(ref c, ldc);
        ref float c2 = ref Unsafe.Add(ref c, 2 * ldc);
        int p = 0;
        for (; p <= k - 3; p += 3)
        {
            ref float a1 = ref Unsafe.Add(ref a, ars);
            ref float a2 = ref Unsafe.Add(ref a, 2 * ars);
            TVector x0 = TOps.Broadcast(a), x1 = TOps.Broadcast(Unsafe.Add(ref a, acs)), x2 = TOps.Broadcast(Unsafe.Add(ref a, 2 * acs));
            TVector y0 = TOps.Broadcast(a1), y1 = TOps.Broadcast(Unsafe.Add(ref a1, acs)), y2 = TOps.Broadcast(Unsafe.Add(ref a1, 2 * acs));
            TVector z0 = TOps.Broadcast(a2), z1 = TOps.Broadcast(Unsafe.Add(ref a2, acs)), z2 = TOps.Broadcast(Unsafe.Add(ref a2, 2 * acs));
            ref float b1 = ref Unsafe.Add(ref b, ldb);
            ref float b2 = ref Unsafe.Add(ref b, 2 * ldb);
            for (nint j = 0; j < n; j += w)
            {
                TVector s = TOps.Load(ref c, j), t = TOps.Load(ref c1, j), u = TOps.Load(ref c2, j);
                TVector v = TOps.Load(ref b, j);
                s = TOps.MultiplyAdd(x0, v, s);
                t = TOps.MultiplyAdd(y0, v, t);
                u = TOps.MultiplyAdd(z0, v, u);
                v = TOps.Load(ref b1, j);
                s = TOps.MultiplyAdd(x1, v, s);
                t = TOps.MultiplyAdd(y1, v, t);
                u = TOps.MultiplyAdd(z1, v, u);
                v = TOps.Load(ref b2, j);
                s = TOps.MultiplyAdd(x2, v, s);
                t = TOps.MultiplyAdd(y2, v, t);
                u = TOps.MultiplyAdd(z2, v, u);
                TOps.Store(s, ref c, j);
                TOps.Store(t, ref c1, j);
                TOps.Store(u, ref c2, j);
            }

            a = ref Unsafe.Add(ref a, 3 * acs);
            b = ref Unsafe.Add(ref b, 3 * ldb);
        }

        for (; p < k; p++)
        {
            TVector x = TOps.Broadcast(a), y = TOps.Broadcast(Unsafe.Add(ref a, ars)), z = TOps.Broadcast(Unsafe.Add(ref a, 2 * ars));
            for (nint j = 0; j < n; j += w)
            {
                TVector v = TOps.Load(ref b, j);
                TOps.Store(TOps.MultiplyAdd(x, v, TOps.Load(ref c, j)), ref c, j);
                TOps.Store(TOps.MultiplyAdd(y, v, TOps.Load(ref c1, j)), ref c1, j);
                TOps.Store(TOps.MultiplyAdd(z, v, TOps.Load(ref c2, j)), ref c2, j);
            }

            a = ref Unsafe.Add(ref a, acs);
            b = ref Unsafe.Add(ref b, ldb);
        }
    }

    // C[m, r] += A[m, k] · B[k, r] for r < W columns (B's rows ldb apart). strip: room for Bᵀ[r, k].
    private static void Narrow(ref float a, nint ars, nint acs, ref float b, nint ldb, int m, int k, int r, ref float c, nint ldc, Span<float> strip)
    {
        int w = TOps.Width;
        if (acs == 1 && k >= w)
        {
            // Rows of A are contiguous: dot them with B's columns, copied to rows of Bᵀ[r, k]
            // unless B is a single contiguous column already.
            if (r == 1 && ldb == 1)
            {
                Dots(ref a, ars, ref b, k, m, k, 1, ref c, ldc);
                return;
            }

            ref float bt = ref MemoryMarshal.GetReference(strip);
            MatMul.Transpose(ref b, ldb, k, r, ref bt, k);

            Dots(ref a, ars, ref bt, k, m, k, r, ref c, ldc);
        }
        else if (ars == 1 && m >= w)
        {
            NarrowOverRows(ref a, acs, ref b, ldb, m, k, r, ref c, ldc, ref MemoryMarshal.GetReference(strip));
        }
        else
        {
            ScalarMatMul.MultiplyAdd(ref a, ars, acs, ref b, ldb, m, k, r, ref c, ldc);
        }
    }

    // C[m, r] += A[m, k] · B[k, r] for r < W <= m when A's element (i, p) is a[i + p * acs]
    // (a stored Aᵀ): W rows of C at a time, one vector per column of B, written back lane by
    // lane through sums [4W]. The last window of rows overlaps the one before and only its new
    // lanes are added.
    private static void NarrowOverRows(ref float a, nint acs, ref float b, nint ldb, int m, int k, int r, ref float c, nint ldc, ref float sums)
    {
        int w = TOps.Width;
        for (int j = 0; j < r; j += 4)
        {
            // Missing columns repeat the last real one and are not written.
            int cols = Math.Min(4, r - j);
            ref float b0 = ref Unsafe.Add(ref b, j);
            ref float b1 = ref Unsafe.Add(ref b0, Math.Min(1, cols - 1));
            ref float b2 = ref Unsafe.Add(ref b0, Math.Min(2, cols - 1));
            ref float b3 = ref Unsafe.Add(ref b0, Math.Min(3, cols - 1));
            for (int i = 0; i < m; i += w)
            {
                int i0 = Math.Min(i, m - w);
                ref float ap = ref Unsafe.Add(ref a, i0);
                TVector s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
                for (int p = 0; p < k; p++)
                {
                    TVector x = TOps.Load(ref ap, p * acs);
                    nint bp = p * ldb;
                    s0 = TOps.MultiplyAdd(x, TOps.Broadcast(Unsafe.Add(ref b0, bp)), s0);
                    s1 = TOps.MultiplyAdd(x, TOps.Broadcast(Unsafe.Add(ref b1, bp)), s1);
                    s2 = TOps.MultiplyAdd(x, TOps.Broadcast(Unsafe.Add(ref b2, bp)), s2);
                    s3 = TOps.MultiplyAdd(x, TOps.Broadcast(Unsafe.Add(ref b3, bp)), s3);
                }

                TOps.Store(s0, ref sums, 0);
                TOps.Store(s1, ref sums, w);
                TOps.Store(s2, ref sums, 2 * w);
                TOps.Store(s3, ref sums, 3 * w);
                for (int lane = i - i0; lane < w; lane++)
                {
                    ref float ci = ref Unsafe.Add(ref c, (i0 + lane) * ldc + j);
                    for (int q = 0; q < cols; q++)
                        Unsafe.Add(ref ci, q) += Unsafe.Add(ref sums, q * w + lane);
                }
            }
        }
    }

    // C[m, n] += A[m, k] · B[n, k]ᵀ as dot products of rows, for one block of k. k may be
    // below W only if the elements just before the block are readable (see Dot4x3).
    private static void Dots(ref float a, nint lda, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc)
    {
        if (n == 1)
        {
            // One column (a gradient through a one-feature input, say): a 4 × 3 grid would spend
            // two thirds of its multiply-adds on copies of the column.
            for (int i = 0; i < m; i++)
                Dot1(ref Unsafe.Add(ref a, i * lda), ref b, k, ref Unsafe.Add(ref c, i * ldc));
            return;
        }

        for (int i = 0; i < m; i += 4)
        {
            int rows = Math.Min(4, m - i);
            ref float ai = ref Unsafe.Add(ref a, i * lda);
            ref float ci = ref Unsafe.Add(ref c, i * ldc);
            if (rows > 1)
            {
                for (int j = 0; j < n; j += 3)
                    Dot4x3(ref ai, lda, ref Unsafe.Add(ref b, j * ldb), ldb, k, rows, Math.Min(3, n - j), ref Unsafe.Add(ref ci, j), ldc);
            }
            else
            {
                for (int j = 0; j < n; j += 4)
                    Dot1x4(ref ai, ref Unsafe.Add(ref b, j * ldb), ldb, k, Math.Min(4, n - j), ref Unsafe.Add(ref ci, j));
            }
        }
    }

    // c += a[k] · b[k] with four accumulators.
    private static void Dot1(ref float a, ref float b, int k, ref float c)
    {
        nint w = TOps.Width;
        TVector s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
        nint p = 0;
        for (; p <= k - 4 * w; p += 4 * w)
        {
            s0 = TOps.MultiplyAdd(TOps.Load(ref a, p), TOps.Load(ref b, p), s0);
            s1 = TOps.MultiplyAdd(TOps.Load(ref a, p + w), TOps.Load(ref b, p + w), s1);
            s2 = TOps.MultiplyAdd(TOps.Load(ref a, p + 2 * w), TOps.Load(ref b, p + 2 * w), s2);
            s3 = TOps.MultiplyAdd(TOps.Load(ref a, p + 3 * w), TOps.Load(ref b, p + 3 * w), s3);
        }

        for (; p <= k - w; p += w)
            s0 = TOps.MultiplyAdd(TOps.Load(ref a, p), TOps.Load(ref b, p), s0);

        int rest = k - (int)p;
        if (rest > 0)
        {
            // Overlapping final window, masked as in Dot4x3.
            TVector mask = TOps.LastLanes(rest);
            p = k - w;
            s1 = TOps.MultiplyAdd(TOps.And(TOps.Load(ref a, p), mask), TOps.And(TOps.Load(ref b, p), mask), s1);
        }

        c += TOps.Sum(TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)));
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
