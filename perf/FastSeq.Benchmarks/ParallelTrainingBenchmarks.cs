using BenchmarkDotNet.Attributes;

namespace FastSeq.Benchmarks;

/// <summary>
/// W4 trained through <c>Trainer.TrainBatch</c>: input 64 -> LSTM(256), T = 50, batch 64 (two shards of 32), mean squared
/// error on every hidden state, Adam; with <c>MaxDegreeOfParallelism</c> 1 (the baseline) and 2. Both give the same bits.
/// </summary>
public class ParallelTrainingBenchmarks
{
    private readonly float[] _inputs = Workloads.LargeInputData();
    private readonly float[] _targets = Workloads.LargeOutputGradients();
    private Trainer<LargeLstm> _oneThread = null!, _twoThreads = null!;

    [GlobalSetup]
    public void Setup()
    {
        _oneThread = new Trainer<LargeLstm>(new LargeLstm(seed: 1), new Adam(1e-5f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = 1 };
        _twoThreads = new Trainer<LargeLstm>(new LargeLstm(seed: 1), new Adam(1e-5f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = 2 };
    }

    [Benchmark(Baseline = true, Description = "FastSeq TrainBatch, 1 thread")]
    [BenchmarkCategory("W4 LSTM(256) B64 T50 TrainBatch ms")]
    public float OneThread() => _oneThread.TrainBatch(_inputs, _targets, Workloads.LargeBatch);

    [Benchmark(Description = "FastSeq TrainBatch, 2 threads")]
    [BenchmarkCategory("W4 LSTM(256) B64 T50 TrainBatch ms")]
    public float TwoThreads() => _twoThreads.TrainBatch(_inputs, _targets, Workloads.LargeBatch);
}
