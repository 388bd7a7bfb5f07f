using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastSeq.Kernels;

/// <summary>
/// Dense matrix products over row-major float spans with explicit leading dimensions
/// (the distance between rows), so that strided views such as one timestep of a
/// batch-major <c>[B, T, H]</c> buffer (<c>ld = T * H</c>) need no copy.
/// Every product accumulates into its destination: <c>C += ...</c>.
/// </summary>
/// <remarks>
/// Sizes may be zero (nothing happens). Each leading dimension must be at least its row
/// length, and each span must hold <c>(rows - 1) * ld + cols</c> elements; otherwise an
/// <see cref="ArgumentException"/> names the argument; so does C sharing memory with A or B.
/// The kernels allocate nothing.
/// <para>
/// The instruction set is chosen once, as <see cref="Path"/>: the widest the machine
/// supports, or the one the environment variable <c>FASTSEQ_KERNEL</c> names
/// (<c>Scalar</c>, <c>Vector128</c> or <c>Vector256</c>, case-insensitive). A value that
/// is not a path, or a path the machine cannot run, makes the first use of this class throw
/// a <see cref="TypeInitializationException"/> whose inner exception says why: a forced
/// path never falls back silently.
/// </para>
/// </remarks>
internal static class MatMul
{
    /// <summary>Name of the environment variable that forces a <see cref="KernelPath"/>.</summary>
    public const string PathVariable = "FASTSEQ_KERNEL";

    private static readonly KernelPath ActivePath = SelectPath(Environment.GetEnvironmentVariable(PathVariable));

    /// <summary>The instruction set the public kernels run on.</summary>
    public static KernelPath Path => ActivePath;

    /// <summary>Whether this machine can run <paramref name="path"/>.</summary>
    public static bool IsSupported(KernelPath path) => path switch
    {
        KernelPath.Scalar => true,
        KernelPath.Vector128 => Vector128.IsHardwareAccelerated,
        KernelPath.Vector256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        _ => false,
    };

    /// <summary><c>C[m, n] += A[m, k] · B[k, n]</c>.</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc)
        => MultiplyAdd(ActivePath, a, lda, b, ldb, m, k, n, c, ldc);

    /// <summary><c>C[m, n] += A[m, k] · B[n, k]ᵀ</c>.</summary>
    /// <remarks>
    /// Computed as dot products of rows of A and B. When B is fixed across many calls
    /// (weights within a batch) and m is small, transposing it once with
    /// <see cref="Transpose(ReadOnlySpan{float}, int, int, Span{float})"/> and calling
    /// <see cref="MultiplyAdd(ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, int, int, int, Span{float}, int)"/> can be faster.
    /// </remarks>
    public static void MultiplyAddTransposedB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc)
        => MultiplyAddTransposedB(ActivePath, a, lda, b, ldb, m, k, n, c, ldc);

    /// <summary><c>C[m, n] += A[k, m]ᵀ · B[k, n]</c>: sums outer products of rows, as weight gradients do.</summary>
    public static void MultiplyAddTransposedA(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc)
        => MultiplyAddTransposedA(ActivePath, a, lda, b, ldb, m, k, n, c, ldc);

    /// <summary>Writes the transpose of <c>src[rows, cols]</c> into <c>dst[cols, rows]</c> (both contiguous).</summary>
    public static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        long size = (long)rows * cols;
        if (src.Length < size)
            ThrowTooShort(nameof(src), $"src[rows={rows}, cols={cols}]", size, src.Length);
        if (dst.Length < size)
            ThrowTooShort(nameof(dst), $"dst[cols={cols}, rows={rows}]", size, dst.Length);
        if (dst[..(int)size].Overlaps(src[..(int)size]))
            ThrowOverlap(nameof(dst), nameof(src));

        Transpose(ref MemoryMarshal.GetReference(src), cols, rows, cols, ref MemoryMarshal.GetReference(dst), rows);
    }

    /// <summary>
    /// <c>dst[j, i] = src[i, j]</c> for a source of <paramref name="rows"/> × <paramref name="cols"/> with rows
    /// <paramref name="srcLd"/> apart, into rows <paramref name="dstLd"/> apart. 16 × 16 blocks keep both the
    /// rows read and the rows written in cache. Unchecked: the kernels' packing uses it too.
    /// </summary>
    internal static void Transpose(ref float src, nint srcLd, int rows, int cols, ref float dst, nint dstLd)
    {
        const int Block = 16;
        for (int i0 = 0; i0 < rows; i0 += Block)
        {
            int i1 = Math.Min(i0 + Block, rows);
            for (int j0 = 0; j0 < cols; j0 += Block)
            {
                int j1 = Math.Min(j0 + Block, cols);
                for (int i = i0; i < i1; i++)
                {
                    for (int j = j0; j < j1; j++)
                        Unsafe.Add(ref dst, (j * dstLd) + i) = Unsafe.Add(ref src, (i * srcLd) + j);
                }
            }
        }
    }

    internal static void MultiplyAdd(KernelPath path, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc)
    {
        CheckSizes(m, k, n);
        int aUsed = CheckMatrix(a.Length, m, k, lda, "A[m, k]", nameof(a), nameof(lda));
        int bUsed = CheckMatrix(b.Length, k, n, ldb, "B[k, n]", nameof(b), nameof(ldb));
        int cUsed = CheckMatrix(c.Length, m, n, ldc, "C[m, n]", nameof(c), nameof(ldc));
        CheckDisjoint(a, aUsed, b, bUsed, c, cUsed);
        if (m == 0 || k == 0 || n == 0)
            return;

        Multiply(path, ref MemoryMarshal.GetReference(a), lda, 1, ref MemoryMarshal.GetReference(b), ldb, m, k, n, ref MemoryMarshal.GetReference(c), ldc);
    }

    internal static void MultiplyAddTransposedA(KernelPath path, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc)
    {
        CheckSizes(m, k, n);
        int aUsed = CheckMatrix(a.Length, k, m, lda, "A[k, m]", nameof(a), nameof(lda));
        int bUsed = CheckMatrix(b.Length, k, n, ldb, "B[k, n]", nameof(b), nameof(ldb));
        int cUsed = CheckMatrix(c.Length, m, n, ldc, "C[m, n]", nameof(c), nameof(ldc));
        CheckDisjoint(a, aUsed, b, bUsed, c, cUsed);
        if (m == 0 || k == 0 || n == 0)
            return;

        // Aᵀ's element (i, p) is A's (p, i): the same kernel with A's strides swapped.
        Multiply(path, ref MemoryMarshal.GetReference(a), 1, lda, ref MemoryMarshal.GetReference(b), ldb, m, k, n, ref MemoryMarshal.GetReference(c), ldc);
    }

    internal static void MultiplyAddTransposedB(KernelPath path, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, Span<float> c, int ldc)
    {
        CheckSizes(m, k, n);
        int aUsed = CheckMatrix(a.Length, m, k, lda, "A[m, k]", nameof(a), nameof(lda));
        int bUsed = CheckMatrix(b.Length, n, k, ldb, "B[n, k]", nameof(b), nameof(ldb));
        int cUsed = CheckMatrix(c.Length, m, n, ldc, "C[m, n]", nameof(c), nameof(ldc));
        CheckDisjoint(a, aUsed, b, bUsed, c, cUsed);
        if (m == 0 || k == 0 || n == 0)
            return;

        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        ref float rc = ref MemoryMarshal.GetReference(c);
        switch (Supported(path))
        {
            case KernelPath.Vector256:
                SimdMatMul<Vector256<float>, Simd256>.MultiplyAddTransposedB(ref ra, lda, ref rb, ldb, m, k, n, ref rc, ldc);
                break;
            case KernelPath.Vector128:
                SimdMatMul<Vector128<float>, Simd128>.MultiplyAddTransposedB(ref ra, lda, ref rb, ldb, m, k, n, ref rc, ldc);
                break;
            default:
                ScalarMatMul.MultiplyAddTransposedB(ref ra, lda, ref rb, ldb, m, k, n, ref rc, ldc);
                break;
        }
    }

    /// <summary>Parses a <c>FASTSEQ_KERNEL</c> value and checks the machine can run it; null or empty picks the widest supported path.</summary>
    internal static KernelPath SelectPath(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return IsSupported(KernelPath.Vector256) ? KernelPath.Vector256
                : IsSupported(KernelPath.Vector128) ? KernelPath.Vector128
                : KernelPath.Scalar;
        }

        KernelPath path = value.Trim().ToUpperInvariant() switch
        {
            "SCALAR" => KernelPath.Scalar,
            "VECTOR128" => KernelPath.Vector128,
            "VECTOR256" => KernelPath.Vector256,
            _ => throw new InvalidOperationException(
                $"{PathVariable}='{value}' is not a kernel path: expected Scalar, Vector128 or Vector256 (or unset for the widest the machine supports)."),
        };
        if (!IsSupported(path))
        {
            throw new NotSupportedException(
                $"{PathVariable}={path} forces a kernel path this machine cannot run ({Requirement(path)}); unset it or choose Scalar.");
        }

        return path;
    }

    private static string Requirement(KernelPath path) => path switch
    {
        KernelPath.Vector256 => "it needs hardware-accelerated 256-bit vectors and FMA, i.e. x64 AVX2 + FMA",
        KernelPath.Vector128 => "it needs hardware-accelerated 128-bit vectors",
        _ => "it is not a defined KernelPath",
    };

    // A[i, p] at a[i * ars + p * acs].
    private static void Multiply(KernelPath path, ref float a, nint ars, nint acs, ref float b, nint ldb, int m, int k, int n, ref float c, nint ldc)
    {
        switch (Supported(path))
        {
            case KernelPath.Vector256:
                SimdMatMul<Vector256<float>, Simd256>.MultiplyAdd(ref a, ars, acs, ref b, ldb, m, k, n, ref c, ldc);
                break;
            case KernelPath.Vector128:
                SimdMatMul<Vector128<float>, Simd128>.MultiplyAdd(ref a, ars, acs, ref b, ldb, m, k, n, ref c, ldc);
                break;
            default:
                ScalarMatMul.MultiplyAdd(ref a, ars, acs, ref b, ldb, m, k, n, ref c, ldc);
                break;
        }
    }

    private static KernelPath Supported(KernelPath path)
    {
        if (!IsSupported(path))
            ThrowUnsupported(path);
        return path;
    }

    private static void CheckSizes(int m, int k, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
    }

    // A matrix of `rows` rows of `cols` elements, `ld` apart, needs (rows - 1) * ld + cols elements: returns
    // that count (within `length`, so an int). Inlined: a call with seven arguments costs more than the check.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CheckMatrix(int length, int rows, int cols, int ld, string shape, string name, string ldName)
    {
        if (ld < cols)
            ThrowLeadingDimension(ldName, ld, shape, cols);
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            ThrowTooShort(name, $"{shape} = [{rows}, {cols}] with {ldName} = {ld}", needed, length);
        return (int)needed;
    }

    // The elements C's product writes must not be among those it reads from A or B.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckDisjoint(ReadOnlySpan<float> a, int aUsed, ReadOnlySpan<float> b, int bUsed, ReadOnlySpan<float> c, int cUsed)
    {
        ReadOnlySpan<float> written = c[..cUsed];
        if (written.Overlaps(a[..aUsed]))
            ThrowOverlap("c", "a");
        if (written.Overlaps(b[..bUsed]))
            ThrowOverlap("c", "b");
    }

    [DoesNotReturn]
    private static void ThrowOverlap(string written, string read) =>
        throw new ArgumentException($"{written} shares memory with {read}: the kernels write {written} while they read {read}, so the result would be wrong.", written);

    [DoesNotReturn]
    private static void ThrowLeadingDimension(string ldName, int ld, string shape, int cols) =>
        throw new ArgumentException($"{ldName} = {ld} is less than the row length {cols} of {shape}; expected {ldName} >= {cols}.", ldName);

    [DoesNotReturn]
    private static void ThrowTooShort(string name, string what, long needed, int actual) =>
        throw new ArgumentException($"{name} is too short for {what}: expected at least {needed} elements, got {actual}.", name);

    [DoesNotReturn]
    private static void ThrowUnsupported(KernelPath path) =>
        throw new NotSupportedException($"Kernel path {path} cannot run on this machine ({Requirement(path)}).");
}
