using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;

namespace FastSeq.Benchmarks;

/// <summary>
/// W4 large: input 64 -> LSTM(256), T = 50, batch 64, forward then backward (input and weight
/// gradients) per iteration; and this core's FLOP peak, so the GFLOP/s column also reads as a
/// fraction of it.
/// </summary>
public class LargeBenchmarks
{
    private const int B = Workloads.LargeBatch, T = Workloads.LargeTimesteps, I = Workloads.LargeInputs, H = Workloads.LargeUnits;

    /// <summary>Loop trips of <see cref="FmaPeak"/>; each runs 12 independent 8-wide FMAs (192 FLOP).</summary>
    private const int PeakTrips = 1 << 20;

    /// <summary>FLOP of one <see cref="FmaPeak"/> call.</summary>
    public const double PeakFlop = PeakTrips * 12.0 * 8 * 2;

    private float[] _inputs = [];
    private float[] _outputGradients = [];
    private LargeLstm _model = null!;

    private nn.Module<Tensor, (Tensor, Tensor)?, (Tensor, Tensor, Tensor)> _torchLstm = null!;
    private Tensor _torchInputs = null!, _torchOutputGradients = null!;

    [GlobalSetup(Target = nameof(FastSeqLstm))]
    public void SetupFastSeq()
    {
        _model = new LargeLstm(seed: 1);
        _inputs = Workloads.LargeInputData();
        _outputGradients = Workloads.LargeOutputGradients();
    }

    [Benchmark(Baseline = true, Description = "FastSeq Forward+Backward")]
    [BenchmarkCategory("W4 LSTM(256) B64 T50 ms/iter")]
    [FlopCount(Workloads.LargeFlop)]
    public void FastSeqLstm()
    {
        _model.Forward(_inputs, B);
        _model.Backward(_outputGradients, B);
    }

    [GlobalSetup(Target = nameof(TorchLstm))]
    public void SetupTorch()
    {
        TorchPeer.UseOneThread();
        _torchLstm = nn.LSTM(I, H, batchFirst: true);
        _torchInputs = tensor(Workloads.LargeInputData(), [B, T, I]).requires_grad_(true);
        _torchOutputGradients = tensor(Workloads.LargeOutputGradients(), [B, T, H]);
    }

    [Benchmark(Description = "TorchSharp nn.LSTM forward+backward")]
    [BenchmarkCategory("W4 LSTM(256) B64 T50 ms/iter")]
    [FlopCount(Workloads.LargeFlop)]
    public void TorchLstm()
    {
        using var scope = NewDisposeScope();
        var (output, _, _) = _torchLstm.call(_torchInputs, null);
        output.backward([_torchOutputGradients]);
    }

    /// <summary>12 independent Vector256 FMA chains: enough in flight to cover FMA latency on both pipes.</summary>
    [Benchmark(Description = "Vector256 FMA peak, 12 chains")]
    [BenchmarkCategory("FMA peak")]
    [FlopCount(PeakFlop)]
    public float FmaPeak()
    {
        Vector256<float> a0 = Vector256.Create(0f), a1 = Vector256.Create(1f), a2 = Vector256.Create(2f), a3 = Vector256.Create(3f);
        Vector256<float> a4 = Vector256.Create(4f), a5 = Vector256.Create(5f), a6 = Vector256.Create(6f), a7 = Vector256.Create(7f);
        Vector256<float> a8 = Vector256.Create(8f), a9 = Vector256.Create(9f), a10 = Vector256.Create(10f), a11 = Vector256.Create(11f);
        // x * m + c with m just below 1 keeps every chain finite and out of denormals.
        Vector256<float> m = Vector256.Create(0.999999f), c = Vector256.Create(1e-3f);
        for (int trip = 0; trip < PeakTrips; trip++)
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
