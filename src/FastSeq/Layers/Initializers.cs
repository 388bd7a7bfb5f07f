using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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
    /// The Q whose R has a positive diagonal is unique, so any QR algorithm yields Keras' Q up to rounding.
    /// This one is CholeskyQR repeated until orthonormal, in double (see <see cref="OrthonormalizeRows"/>):
    /// a [1024, 4096] kernel (an LSTM(1024)'s) takes a fraction of a second on one core. The same seed gives
    /// the same bits on a machine; one with other vector widths may differ in the last bit of a few values.
    /// Allocates temporary doubles, about <c>rows * columns + 2 * min(rows, columns)²</c>.
    /// </remarks>
    public static void Orthogonal(Span<float> kernel, int rows, int columns, Random random)
    {
        CheckKernel(kernel, rows, columns, random);

        // The vectors to orthonormalise are the columns of the tall matrix: the rows of a wide
        // [rows, columns] draw (Keras transposes it), the columns of a tall or square one. They
        // become the rows of `vectors` [count, length].
        bool wide = rows < columns;
        int count = wide ? rows : columns;
        int length = wide ? columns : rows;
        double[] vectors = GC.AllocateUninitializedArray<double>(kernel.Length);
        for (int i = 0; i < vectors.Length; i += 2)
        {
            // Box-Muller: two independent standard normal values from two uniform ones, drawn in the
            // row-major order of [rows, columns].
            double radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
            double angle = 2 * Math.PI * random.NextDouble();
            vectors[VectorIndex(i, wide, rows, columns)] = radius * Math.Cos(angle);
            if (i + 1 < vectors.Length)
                vectors[VectorIndex(i + 1, wide, rows, columns)] = radius * Math.Sin(angle);
        }

        OrthonormalizeRows(vectors, count, length);
        for (int i = 0; i < kernel.Length; i++)
            kernel[i] = (float)vectors[VectorIndex(i, wide, rows, columns)];
    }

    /// <summary>Where element <paramref name="i"/> of a row-major <c>[rows, columns]</c> kernel sits among the vectors.</summary>
    private static int VectorIndex(int i, bool wide, int rows, int columns) =>
        wide ? i : (i % columns * rows) + (i / columns);

    // CholeskyQR. With the vectors as the rows of V [count, length], the Gram matrix G = V·Vᵀ factors as
    // L·Lᵀ (Cholesky, L lower-triangular with a positive diagonal), and Q = L⁻¹·V has orthonormal rows:
    // Vᵀ = Qᵀ·Lᵀ is the QR of the tall matrix, with R = Lᵀ, whose diagonal is positive. One pass leaves
    // Q·Qᵀ - I of about κ(V)²·ε, so passes repeat on Q until its Gram matrix is the identity to
    // GramTolerance: for a normal draw, one pass and the check (measured so up to [1024, 1024], square),
    // a second pass where a draw is worse conditioned. A Gram matrix too ill-conditioned to factor gets
    // its diagonal shifted first (shifted CholeskyQR, Fukaya et al. 2020): that pass only improves the
    // conditioning, and the next ones finish. Each pass multiplies V on the left by a lower-triangular
    // matrix with a positive diagonal, so together they are still the QR whose R has a positive
    // diagonal. G and the solve are products of tiles of 4 rows x 3 vectors, over panels of V's columns
    // copied to a contiguous buffer; a panel's Gram is taken while it is still in cache after its solve.

    private const double GramTolerance = 1e-10;
    private const int MaxPasses = 6;

    /// <summary>A panel of V's columns is this many tiles of 3 vectors wide.</summary>
    private const int PanelTiles = 8;

    /// <summary>Orthonormalises the rows of <c>vectors [count, length]</c> in place (count ≤ length): Q of the QR of its transpose, R's diagonal positive.</summary>
    internal static void OrthonormalizeRows(double[] vectors, int count, int length)
    {
        var qr = new CholeskyQr(count, length);
        qr.Sweep(vectors, solve: false);
        for (int pass = 0; pass < MaxPasses && !qr.GramIsIdentity(); pass++)
        {
            double shift = 0;
            while (!qr.Factor(shift))
                shift = shift == 0 ? 11 * qr.RoundingLevel() : 10 * shift;
            qr.Sweep(vectors, solve: true);
        }
    }

    /// <summary>The buffers of <see cref="OrthonormalizeRows"/> and its steps. Rows past <c>count</c> are zero padding.</summary>
    private sealed class CholeskyQr
    {
        private static readonly int TileColumns = 3 * Vector<double>.Count;

        private readonly int _count, _length;
        private readonly int _n;              // count padded to whole tiles of rows and of columns
        private readonly int _panelWidth;      // whole tiles
        private readonly double[] _gram;        // [n, n], lower triangle
        private readonly double[] _factor;      // [n, n]: after Factor, -L below the diagonal and 1/L on it
        private readonly double[] _panel;       // [n, panelWidth]
        private readonly double[] _transposed;  // the panel's transpose [panelWidth, n] as n / TileColumns contiguous strips [panelWidth, TileColumns]

        public CholeskyQr(int count, int length)
        {
            _count = count;
            _length = length;
            int rowMultiple = TileColumns;
            while (rowMultiple % 4 != 0)
                rowMultiple += TileColumns;
            _n = (count + rowMultiple - 1) / rowMultiple * rowMultiple;
            _panelWidth = TileColumns * Math.Min(PanelTiles, (length + TileColumns - 1) / TileColumns);
            _gram = new double[_n * _n];
            _factor = new double[_n * _n];
            _panel = new double[_n * _panelWidth];
            _transposed = new double[_panelWidth * _n];
        }

        /// <summary>
        /// One sweep over V's panels: with <paramref name="solve"/>, V ← L⁻¹·V using <see cref="Factor"/>'s L;
        /// then G = V·Vᵀ of the result.
        /// </summary>
        public void Sweep(double[] vectors, bool solve)
        {
            int n = _n, width = _panelWidth;
            Array.Clear(_gram);
            for (int c0 = 0; c0 < _length; c0 += width)
            {
                int w = Math.Min(width, _length - c0);
                for (int i = 0; i < _count; i++)
                {
                    vectors.AsSpan((i * _length) + c0, w).CopyTo(_panel.AsSpan(i * width));
                    _panel.AsSpan((i * width) + w, width - w).Clear();
                }

                if (solve)
                {
                    SolvePanel();
                    for (int i = 0; i < _count; i++)
                        _panel.AsSpan(i * width, w).CopyTo(vectors.AsSpan((i * _length) + c0));
                }

                // Each strip of the transpose is the B of a column of tiles: contiguous, it stays in L1
                // while the tiles of that column walk it.
                for (int i = 0; i < _count; i++)
                {
                    int strip = i / TileColumns * width * TileColumns, lane = i % TileColumns;
                    for (int p = 0; p < width; p++)
                        _transposed[strip + (p * TileColumns) + lane] = _panel[(i * width) + p];
                }

                // G[i0.., j0..] += panel[i0.., :] · panelᵀ[:, j0..], the tiles on and below the diagonal.
                for (int j0 = 0; j0 < _count; j0 += TileColumns)
                {
                    for (int i0 = j0 / 4 * 4; i0 < _count; i0 += 4)
                        MultiplyAddTile(ref _panel[i0 * width], width, ref _transposed[j0 * width], TileColumns, width, ref _gram[(i0 * n) + j0], n);
                }
            }
        }

        /// <summary>The panel's rows ← L⁻¹ · rows, forward substitution by blocks of 4 rows.</summary>
        private void SolvePanel()
        {
            int n = _n, width = _panelWidth;
            for (int k0 = 0; k0 < _count; k0 += 4)
            {
                // Rows k0..k0+3 += (-L)[k0.., :k0] · rows[:k0]: what the solved rows above contribute.
                for (int c0 = 0; c0 < width; c0 += TileColumns)
                    MultiplyAddTile(ref _factor[k0 * n], n, ref _panel[c0], width, k0, ref _panel[(k0 * width) + c0], width);

                // Then the 4 x 4 triangle on the diagonal, row by row, and the division by L's diagonal.
                for (int r = k0; r < k0 + 4; r++)
                {
                    Span<double> row = _panel.AsSpan(r * width, width);
                    for (int q = k0; q < r; q++)
                        TensorPrimitives.MultiplyAdd(_panel.AsSpan(q * width, width), _factor[(r * n) + q], row, row);
                    TensorPrimitives.Multiply(row, _factor[(r * n) + r], row);
                }
            }
        }

        /// <summary>
        /// Cholesky of <c>G + shift·I</c> into the factor, stored for <see cref="SolvePanel"/>; false where a
        /// pivot (the squared length of a vector's part orthogonal to those before it) is not above
        /// <see cref="RoundingLevel"/>: that vector would come out of rounding errors, not of its data.
        /// </summary>
        public bool Factor(double shift)
        {
            int n = _n;
            double roundingLevel = RoundingLevel();
            for (int i = 0; i < _count; i++)
            {
                Span<double> li = _factor.AsSpan(i * n, i + 1);
                for (int j = 0; j < i; j++)
                    li[j] = (_gram[(i * n) + j] - TensorPrimitives.Dot<double>(li[..j], _factor.AsSpan(j * n, j))) / _factor[(j * n) + j];
                double pivot = _gram[(i * n) + i] + shift - TensorPrimitives.Dot<double>(li[..i], li[..i]);
                if (!(pivot > roundingLevel))
                    return false;
                li[i] = Math.Sqrt(pivot);
            }

            for (int i = 0; i < _count; i++)
            {
                Span<double> li = _factor.AsSpan(i * n, i + 1);
                TensorPrimitives.Negate(li[..i], li[..i]);
                li[i] = 1 / li[i];
            }
            return true;
        }

        /// <summary>
        /// A bound on the rounding errors of the factorisation, <c>(m n + n (n + 1)) u ‖V‖²</c> with
        /// <c>‖V‖² ≤ trace(G)</c>; 11 times it is the shift of shifted CholeskyQR (Fukaya et al.), under
        /// which G factors whatever its conditioning.
        /// </summary>
        public double RoundingLevel()
        {
            double trace = 0;
            for (int i = 0; i < _count; i++)
                trace += _gram[(i * _n) + i];
            const double unitRoundoff = 1.0 / (1L << 53);
            return (((double)_length * _count) + ((double)_count * (_count + 1))) * unitRoundoff * trace;
        }

        /// <summary>Whether G is the identity to <see cref="GramTolerance"/> in every element.</summary>
        public bool GramIsIdentity()
        {
            for (int i = 0; i < _count; i++)
            {
                for (int j = 0; j <= i; j++)
                {
                    if (!(Math.Abs(_gram[(i * _n) + j] - (i == j ? 1 : 0)) <= GramTolerance))
                        return false;
                }
            }
            return true;
        }

        /// <summary>
        /// <c>C[4, 3W] += A[4, k] · B[k, 3W]</c> (W = <see cref="Vector{T}.Count"/>), row strides lda, ldb, ldc:
        /// 12 accumulators, one element of A broadcast per row and 3 vectors of B loaded per step of k.
        /// </summary>
        private static void MultiplyAddTile(ref double a, int lda, ref double b, int ldb, int k, ref double c, int ldc)
        {
            nuint w = (nuint)Vector<double>.Count;
            ref double c1 = ref Unsafe.Add(ref c, ldc);
            ref double c2 = ref Unsafe.Add(ref c1, ldc);
            ref double c3 = ref Unsafe.Add(ref c2, ldc);
            Vector<double> c00 = Vector.LoadUnsafe(ref c), c01 = Vector.LoadUnsafe(ref c, w), c02 = Vector.LoadUnsafe(ref c, 2 * w);
            Vector<double> c10 = Vector.LoadUnsafe(ref c1), c11 = Vector.LoadUnsafe(ref c1, w), c12 = Vector.LoadUnsafe(ref c1, 2 * w);
            Vector<double> c20 = Vector.LoadUnsafe(ref c2), c21 = Vector.LoadUnsafe(ref c2, w), c22 = Vector.LoadUnsafe(ref c2, 2 * w);
            Vector<double> c30 = Vector.LoadUnsafe(ref c3), c31 = Vector.LoadUnsafe(ref c3, w), c32 = Vector.LoadUnsafe(ref c3, 2 * w);
            ref double a1 = ref Unsafe.Add(ref a, lda);
            ref double a2 = ref Unsafe.Add(ref a1, lda);
            ref double a3 = ref Unsafe.Add(ref a2, lda);
            for (int p = 0; p < k; p++)
            {
                ref double bp = ref Unsafe.Add(ref b, p * ldb);
                Vector<double> b0 = Vector.LoadUnsafe(ref bp), b1 = Vector.LoadUnsafe(ref bp, w), b2 = Vector.LoadUnsafe(ref bp, 2 * w);
                var x = new Vector<double>(Unsafe.Add(ref a, p));
                c00 = Vector.FusedMultiplyAdd(x, b0, c00);
                c01 = Vector.FusedMultiplyAdd(x, b1, c01);
                c02 = Vector.FusedMultiplyAdd(x, b2, c02);
                x = new Vector<double>(Unsafe.Add(ref a1, p));
                c10 = Vector.FusedMultiplyAdd(x, b0, c10);
                c11 = Vector.FusedMultiplyAdd(x, b1, c11);
                c12 = Vector.FusedMultiplyAdd(x, b2, c12);
                x = new Vector<double>(Unsafe.Add(ref a2, p));
                c20 = Vector.FusedMultiplyAdd(x, b0, c20);
                c21 = Vector.FusedMultiplyAdd(x, b1, c21);
                c22 = Vector.FusedMultiplyAdd(x, b2, c22);
                x = new Vector<double>(Unsafe.Add(ref a3, p));
                c30 = Vector.FusedMultiplyAdd(x, b0, c30);
                c31 = Vector.FusedMultiplyAdd(x, b1, c31);
                c32 = Vector.FusedMultiplyAdd(x, b2, c32);
            }
            c00.StoreUnsafe(ref c);
            c01.StoreUnsafe(ref c, w);
            c02.StoreUnsafe(ref c, 2 * w);
            c10.StoreUnsafe(ref c1);
            c11.StoreUnsafe(ref c1, w);
            c12.StoreUnsafe(ref c1, 2 * w);
            c20.StoreUnsafe(ref c2);
            c21.StoreUnsafe(ref c2, w);
            c22.StoreUnsafe(ref c2, 2 * w);
            c30.StoreUnsafe(ref c3);
            c31.StoreUnsafe(ref c3, w);
            c32.StoreUnsafe(ref c3, 2 * w);
        }
    }

    private static void CheckKernel(Span<float> kernel, int rows, int columns, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        LayerArguments.Positive(rows, nameof(rows));
        LayerArguments.Positive(columns, nameof(columns));
        LayerArguments.Length(kernel.Length, checked(rows * columns), "[rows, columns]", nameof(kernel));
    }
}
