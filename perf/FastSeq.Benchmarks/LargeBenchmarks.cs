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
    public void SetupTorchOneThread()
    {
        TorchPeer.UseOneThread();
        SetupTorch();
    }

    [GlobalSetup(Target = nameof(TorchLstmDefaultThreads))]
    public void SetupTorchDefaultThreads()
    {
        TorchPeer.ReportDefaultThreads();
        SetupTorch();
    }

    private void SetupTorch()
    {
        _torchLstm = nn.LSTM(I, H, batchFirst: true);
        _torchInputs = tensor(Workloads.LargeInputData(), [B, T, I]).requires_grad_(true);
        _torchOutputGradients = tensor(Workloads.LargeOutputGradients(), [B, T, H]);
    }

    [Benchmark(Description = "TorchSharp nn.LSTM forward+backward")]
    [BenchmarkCategory("W4 LSTM(256) B64 T50 ms/iter")]
    [FlopCount(Workloads.LargeFlop)]
    public void TorchLstm() => TorchForwardBackward();

    [Benchmark(Description = "TorchSharp nn.LSTM forward+backward, default threads")]
    [BenchmarkCategory("W4 LSTM(256) B64 T50 ms/iter")]
    [FlopCount(Workloads.LargeFlop)]
    public void TorchLstmDefaultThreads() => TorchForwardBackward();

    private void TorchForwardBackward()
    {
        using var scope = NewDisposeScope();
        var (output, _, _) = _torchLstm.call(_torchInputs, null);
        output.backward([_torchOutputGradients]);
    }

    /// <summary>The FLOP ceiling the GFLOP/s column is read against (<see cref="Benchmarks.FmaPeak"/>).</summary>
    [Benchmark(Description = "Vector256 FMA peak, 12 chains")]
    [BenchmarkCategory("FMA peak")]
    [FlopCount(Benchmarks.FmaPeak.Flop)]
    public float FmaPeak() => Benchmarks.FmaPeak.Run();
}
