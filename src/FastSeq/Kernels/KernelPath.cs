namespace FastSeq.Kernels;

/// <summary>The instruction set the matrix kernels run on (see <see cref="MatMul.Path"/>).</summary>
public enum KernelPath
{
    /// <summary>Plain scalar loops; runs everywhere.</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE, or AdvSimd on Arm); multiply-add fused where the hardware has FMA.</summary>
    Vector128,

    /// <summary>256-bit vectors with fused multiply-add (x64 AVX2 + FMA).</summary>
    Vector256,
}
