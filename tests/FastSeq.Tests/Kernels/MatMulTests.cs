using FastSeq.Kernels;

namespace FastSeq.Tests.Kernels;

public class MatMulTests
{
    private static readonly int[] Sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65];

    private delegate void Kernel(KernelPath path, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc);

    public enum Product
    {
        AB,
        ABt,
        AtB,
    }

    public static TheoryData<KernelPath, Product> PathsAndProducts()
    {
        var data = new TheoryData<KernelPath, Product>();
        foreach (KernelPath path in Enum.GetValues<KernelPath>().Where(MatMul.IsSupported))
        {
            foreach (Product product in Enum.GetValues<Product>())
                data.Add(path, product);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndProducts))]
    public void MatchesReferenceOverAwkwardSizes(KernelPath path, Product product)
    {
        var rng = new Random(1234);
        foreach (int m in Sizes)
        {
            foreach (int k in Sizes)
            {
                foreach (int n in Sizes)
                {
                    // Alternate tight and padded leading dimensions.
                    int pad = (m + k + n) % 2 == 0 ? 0 : 1 + (m + 2 * k + 3 * n) % 5;
                    Check(rng, path, product, m, k, n, pad);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndProducts))]
    public void MatchesReferenceAcrossCacheBlocks(KernelPath path, Product product)
    {
        // k beyond one k-block (256), m beyond one row block (128), and shapes of the workloads.
        int[][] shapes =
        [
            [1, 40, 160], [2, 40, 160], [3, 257, 37], [130, 300, 50], [129, 520, 9],
            [5, 255, 25], [6, 263, 26], [64, 256, 100], [1, 513, 70], [7, 1, 33], [1, 600, 96], [1, 300, 200],
        ];
        var rng = new Random(99);
        foreach (int[] s in shapes)
        {
            Check(rng, path, product, s[0], s[1], s[2], pad: 0);
            Check(rng, path, product, s[0], s[1], s[2], pad: 7);
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndProducts))]
    public void MatchesReferenceOnNarrowAndFewRowShapes(KernelPath path, Product product)
    {
        // Columns narrower than a vector (Dense heads, dot products of rows or, for Aᵀ·B,
        // vectors over the rows of C), 1 to 3 rows streaming B (recurrent steps at small
        // batch, with B of 1 MB), and A·Bᵀ at 8 rows and more (B transposed into panels).
        int[][] shapes =
        [
            [1, 40, 1], [1, 300, 1], [3, 40, 1], [4, 40, 1], [64, 40, 1], [1, 40, 3], [2, 40, 7],
            [3, 300, 5], [64, 300, 7], [13, 600, 3], [40, 1030, 1], [9, 9, 6],
            [1, 256, 1024], [2, 257, 1030], [3, 300, 1024], [5, 256, 1024], [1, 41, 160], [2, 7, 24], [3, 13, 40],
            [8, 64, 24], [12, 260, 50], [17, 40, 160],
        ];
        var rng = new Random(7);
        foreach (int[] s in shapes)
        {
            Check(rng, path, product, s[0], s[1], s[2], pad: 0);
            Check(rng, path, product, s[0], s[1], s[2], pad: 5);
        }
    }

    public static TheoryData<KernelPath> Paths() => [.. Enum.GetValues<KernelPath>().Where(MatMul.IsSupported)];

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_row_gets_the_same_bits_alone_as_among_other_rows(KernelPath path)
    {
        // A streaming step multiplies one row (a single stream) or several (a batch of streams); each
        // stream's result must not depend on how many others share its batch.
        var rng = new Random(5);
        foreach ((int k, int n) in new[] { (41, 160), (40, 120), (32, 128), (33, 8), (300, 104), (7, 24), (9, 13), (128, 1), (40, 1) })
        {
            float[] b = RandomValues(rng, k * n);
            float[] a = RandomValues(rng, 9 * k);
            float[] batch = RandomValues(rng, 9 * n);
            float[] expected = (float[])batch.Clone();
            MatMul.MultiplyAdd(path, a, k, b, n, 9, k, n, expected, n);
            for (int rows = 1; rows <= 8; rows++)
            {
                float[] c = batch[..(rows * n)];
                MatMul.MultiplyAdd(path, a.AsSpan(0, rows * k), k, b, n, rows, k, n, c, n);
                Assert.Equal(expected[..(rows * n)], c);
            }
        }
    }

    private static float[] RandomValues(Random rng, int length) => [.. Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 1))];

    [Theory]
    [MemberData(nameof(PathsAndProducts))]
    public void ZeroSizesLeaveCUntouched(KernelPath path, Product product)
    {
        Kernel kernel = KernelFor(product);
        float[] a = new float[16], b = new float[16], c = Enumerable.Range(1, 16).Select(e => (float)e).ToArray();
        kernel(path, a, 4, b, 4, 0, 3, 4, c, 4);
        kernel(path, a, 4, b, 4, 2, 3, 0, c, 4);
        kernel(path, a, 4, b, 4, 3, 0, 2, c, 4);
        kernel(path, [], 4, [], 4, 0, 0, 0, [], 4);
        Assert.Equal(Enumerable.Range(1, 16).Select(e => (float)e), c);
    }

    [Fact]
    public void ValidationNamesTheArgumentAndSizes()
    {
        float[] a = new float[20], b = new float[20], c = new float[20];

        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.MultiplyAdd(a, 4, b, 4, -1, 4, 4, c, 4));
        Assert.Equal("m", negative.ParamName);

        var lda = Assert.Throws<ArgumentException>(() => MatMul.MultiplyAdd(a, 3, b, 4, 2, 5, 4, c, 4));
        Assert.Equal("lda", lda.ParamName);
        Assert.Contains("lda = 3 is less than the row length 5 of A[m, k]", lda.Message, StringComparison.Ordinal);

        // A[4, 5] with lda = 7 needs 3 * 7 + 5 = 26 elements.
        var shortA = Assert.Throws<ArgumentException>(() => MatMul.MultiplyAdd(a, 7, new float[40], 1, 4, 5, 1, c, 1));
        Assert.Equal("a", shortA.ParamName);
        Assert.Contains("A[m, k] = [4, 5] with lda = 7: expected at least 26 elements, got 20", shortA.Message, StringComparison.Ordinal);

        // Bᵀ: B is [n, k] = [6, 3], ldb = 4: 5 * 4 + 3 = 23.
        var shortB = Assert.Throws<ArgumentException>(() => MatMul.MultiplyAddTransposedB(a, 3, b, 4, 2, 3, 6, c, 6));
        Assert.Equal("b", shortB.ParamName);
        Assert.Contains("B[n, k] = [6, 3] with ldb = 4: expected at least 23 elements, got 20", shortB.Message, StringComparison.Ordinal);

        // Aᵀ: A is [k, m] = [2, 5]; lda below m.
        var ldaT = Assert.Throws<ArgumentException>(() => MatMul.MultiplyAddTransposedA(a, 4, b, 3, 5, 2, 3, c, 3));
        Assert.Equal("lda", ldaT.ParamName);
        Assert.Contains("row length 5 of A[k, m]", ldaT.Message, StringComparison.Ordinal);

        // C[3, 4] with ldc = 9 needs 2 * 9 + 4 = 22.
        var shortC = Assert.Throws<ArgumentException>(() => MatMul.MultiplyAddTransposedA(a, 3, b, 4, 3, 2, 4, c, 9));
        Assert.Equal("c", shortC.ParamName);
        Assert.Contains("expected at least 22 elements, got 20", shortC.Message, StringComparison.Ordinal);

        var ldb = Assert.Throws<ArgumentException>(() => MatMul.MultiplyAddTransposedB(a, 2, b, 1, 2, 2, 2, c, 2));
        Assert.Equal("ldb", ldb.ParamName);
    }

    /// <summary>
    /// The products accumulate into C while they read A and B, so C may not share an element with what they read;
    /// elements past what a strided matrix uses are not read, and may be shared.
    /// </summary>
    [Fact]
    public void C_sharing_memory_with_A_or_B_is_rejected()
    {
        float[] buffer = new float[64];
        var withA = Assert.Throws<ArgumentException>(() => MatMul.MultiplyAdd(buffer.AsSpan(0, 8), 4, new float[16], 4, 2, 4, 4, buffer.AsSpan(7, 8), 4));
        Assert.Equal("c", withA.ParamName);
        Assert.Contains("c shares memory with a", withA.Message, StringComparison.Ordinal);
        var withB = Assert.Throws<ArgumentException>(() => MatMul.MultiplyAddTransposedA(new float[8], 2, buffer.AsSpan(0, 8), 4, 2, 2, 4, buffer, 4));
        Assert.Equal("c", withB.ParamName);
        Assert.Contains("c shares memory with b", withB.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => MatMul.MultiplyAddTransposedB(buffer, 4, new float[16], 4, 2, 4, 4, buffer.AsSpan(4), 4));

        // A[2, 2] with lda = 8 reads elements 0-1 and 8-9; C[1, 4] in 2-5 shares none of them, only A's span.
        float[] a = [1, 2, 0, 0, 0, 0, 0, 0, 3, 4];
        float[] b = [1, 0, 0, 0, 0, 1, 0, 0];
        MatMul.MultiplyAdd(a, 8, b, 4, 1, 2, 4, a.AsSpan(2, 4), 4);
        Assert.Equal([1f, 2f, 1f, 2f, 0f, 0f], a[..6]);
    }

    [Fact]
    public void UndefinedPathIsRejected()
    {
        float[] a = [1], b = [1], c = [0];
        Assert.Throws<NotSupportedException>(() => MatMul.MultiplyAdd((KernelPath)42, a, 1, b, 1, 1, 1, 1, c, 1));
    }

    [Fact]
    public void PathVariableIsParsedStrictly()
    {
        var bad = Assert.Throws<InvalidOperationException>(() => MatMul.SelectPath("avx9000"));
        Assert.Contains("FASTSEQ_KERNEL='avx9000' is not a kernel path", bad.Message, StringComparison.Ordinal);
        Assert.Equal(KernelPath.Scalar, MatMul.SelectPath("scalar"));
        foreach (KernelPath path in Enum.GetValues<KernelPath>())
        {
            if (MatMul.IsSupported(path))
                Assert.Equal(path, MatMul.SelectPath(path.ToString()));
            else
                Assert.Throws<NotSupportedException>(() => MatMul.SelectPath(path.ToString()));
        }

        KernelPath widest = Enum.GetValues<KernelPath>().Where(MatMul.IsSupported).Max();
        Assert.Equal(widest, MatMul.SelectPath(null));
        Assert.Equal(MatMul.SelectPath(Environment.GetEnvironmentVariable(MatMul.PathVariable)), MatMul.Path);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 1)]
    [InlineData(3, 1)]
    [InlineData(17, 33)]
    [InlineData(40, 160)]
    public void TransposeSwapsRowsAndColumns(int rows, int cols)
    {
        float[] src = Enumerable.Range(0, rows * cols).Select(e => (float)e).ToArray();
        float[] dst = new float[rows * cols + 1];
        dst[^1] = -1;
        MatMul.Transpose(src, rows, cols, dst);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
                Assert.Equal(src[i * cols + j], dst[j * rows + i]);
        }

        Assert.Equal(-1, dst[^1]);
    }

    [Fact]
    public void TransposeValidatesLengths()
    {
        var src = Assert.Throws<ArgumentException>(() => MatMul.Transpose(new float[5], 2, 3, new float[6]));
        Assert.Equal("src", src.ParamName);
        Assert.Contains("expected at least 6 elements, got 5", src.Message, StringComparison.Ordinal);
        var dst = Assert.Throws<ArgumentException>(() => MatMul.Transpose(new float[6], 2, 3, new float[4]));
        Assert.Equal("dst", dst.ParamName);
        float[] both = new float[12];
        var inPlace = Assert.Throws<ArgumentException>(() => MatMul.Transpose(both, 2, 3, both.AsSpan(5)));
        Assert.Equal("dst", inPlace.ParamName);
        Assert.Contains("dst shares memory with src", inPlace.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TransposedBEqualsMultiplyAddOfTransposedCopy()
    {
        var rng = new Random(5);
        const int M = 9, K = 40, N = 13;
        float[] a = Random(rng, M * K), b = Random(rng, N * K), bt = new float[K * N];
        float[] viaDot = Random(rng, M * N), viaCopy = (float[])viaDot.Clone();
        MatMul.MultiplyAddTransposedB(a, K, b, K, M, K, N, viaDot, N);
        MatMul.Transpose(b, N, K, bt);
        MatMul.MultiplyAdd(a, K, bt, N, M, K, N, viaCopy, N);
        for (int e = 0; e < viaDot.Length; e++)
            Assert.Equal(viaCopy[e], viaDot[e], 1e-4f);
    }

    [Fact]
    public void KernelsDoNotAllocate()
    {
        const int M = 8, K = 40, N = 160;
        float[] a = new float[M * K], b = new float[K * N], bt = new float[N * K], at = new float[K * M], c = new float[M * N];
        void Run()
        {
            MatMul.MultiplyAdd(a, K, b, N, M, K, N, c, N);
            MatMul.MultiplyAdd(a, K, b, N, 1, K, N, c, N);
            MatMul.MultiplyAdd(a, K, b, N, 2, K, N, c, N);
            MatMul.MultiplyAdd(a, K, b, N, 3, K, N, c, N);
            MatMul.MultiplyAdd(a, K, b, 1, 1, K, 1, c, 1);
            MatMul.MultiplyAdd(a, K, b, N, M, K, 5, c, N);
            MatMul.MultiplyAddTransposedB(a, K, bt, K, 1, K, N, c, N);
            MatMul.MultiplyAddTransposedA(at, M, b, N, M, K, 3, c, N);
            MatMul.MultiplyAddTransposedB(a, K, bt, K, M, K, N, c, N);
            MatMul.MultiplyAddTransposedA(at, M, b, N, M, K, N, c, N);
            MatMul.Transpose(b, K, N, bt);
        }

        Allocations.AssertNone(Run);
    }

    private static Kernel KernelFor(Product product) => product switch
    {
        Product.AB => MatMul.MultiplyAdd,
        Product.ABt => MatMul.MultiplyAddTransposedB,
        _ => MatMul.MultiplyAddTransposedA,
    };

    // Runs one product with A and B padded by `pad` columns of NaN (so any read outside the
    // matrices poisons C) and NaN after their last element, C padded with values that must
    // survive, and compares with the reference.
    private static void Check(Random rng, KernelPath path, Product product, int m, int k, int n, int pad)
    {
        (int aRows, int aCols) = product == Product.AtB ? (k, m) : (m, k);
        (int bRows, int bCols) = product == Product.ABt ? (n, k) : (k, n);
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        float[] a = Matrix(rng, aRows, aCols, lda, out int aLength);
        float[] b = Matrix(rng, bRows, bCols, ldb, out int bLength);
        int cLength = (m - 1) * ldc + n;
        float[] c = Random(rng, cLength + 8);
        float[] before = (float[])c.Clone();

        KernelFor(product)(path, a.AsSpan(0, aLength), lda, b.AsSpan(0, bLength), ldb, m, k, n, c.AsSpan(0, cLength), ldc);

        (double[] want, double[] size) = product switch
        {
            Product.AB => MatMulReference.MultiplyAdd(a, lda, b, ldb, m, k, n, before, ldc),
            Product.ABt => MatMulReference.MultiplyAddTransposedB(a, lda, b, ldb, m, k, n, before, ldc),
            _ => MatMulReference.MultiplyAddTransposedA(a, lda, b, ldb, m, k, n, before, ldc),
        };
        for (int e = 0; e < c.Length; e++)
        {
            double error = Math.Abs(c[e] - want[e]);
            if (!(error <= 1e-5 * size[e]))
            {
                Assert.Fail($"{path} {product} m={m} k={k} n={n} pad={pad}: C[{e / ldc}, {e % ldc}] = {c[e]}, expected {want[e]} (error {error:g3}, scale {size[e]:g3})");
            }
        }
    }

    private static float[] Matrix(Random rng, int rows, int cols, int ld, out int length)
    {
        length = (rows - 1) * ld + cols;
        var data = new float[length + 8];
        Array.Fill(data, float.NaN);
        for (int r = 0; r < rows; r++)
        {
            for (int col = 0; col < cols; col++)
                data[r * ld + col] = rng.NextSingle() * 2 - 1;
        }

        return data;
    }

    private static float[] Random(Random rng, int length)
    {
        var data = new float[length];
        for (int e = 0; e < length; e++)
            data[e] = rng.NextSingle() * 2 - 1;
        return data;
    }
}
