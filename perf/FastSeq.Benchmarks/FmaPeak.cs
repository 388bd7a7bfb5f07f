using System.Runtime.Intrinsics;

namespace FastSeq.Benchmarks;

/// <summary>
/// This core's FLOP ceiling for 256-bit vectors: 12 independent <see cref="Vector256"/> FMA chains, enough in flight to
/// cover FMA latency on both pipes, in registers with no memory traffic.
/// </summary>
public static class FmaPeak
{
    /// <summary>Loop trips of <see cref="Run"/>; each runs 12 independent 8-wide FMAs (192 FLOP).</summary>
    private const int Trips = 1 << 20;

    /// <summary>FLOP of one <see cref="Run"/> call.</summary>
    public const double Flop = Trips * 12.0 * 8 * 2;

    /// <summary>Runs the chains; the sum returned keeps them live.</summary>
    public static float Run()
    {
        Vector256<float> a0 = Vector256.Create(0f), a1 = Vector256.Create(1f), a2 = Vector256.Create(2f), a3 = Vector256.Create(3f);
        Vector256<float> a4 = Vector256.Create(4f), a5 = Vector256.Create(5f), a6 = Vector256.Create(6f), a7 = Vector256.Create(7f);
        Vector256<float> a8 = Vector256.Create(8f), a9 = Vector256.Create(9f), a10 = Vector256.Create(10f), a11 = Vector256.Create(11f);
        // x * m + c with m just below 1 keeps every chain finite and out of denormals.
        Vector256<float> m = Vector256.Create(0.999999f), c = Vector256.Create(1e-3f);
        for (int trip = 0; trip < Trips; trip++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c);
            a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }
        Vector256<float> sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector256.Sum(sum);
    }
}
