using BenchmarkDotNet.Attributes;

namespace FastSeq.Benchmarks;

/// <summary>
/// W4 trained through <c>Trainer.TrainBatch</c>: input 64 -> LSTM(256), T = 50, batch 64 (two shards of 32), mean squared
/// error on every hidden state, Adam; with <c>MaxDegreeOfParallelism</c> 1 (the baseline) and 2. Both give the same bits.
/// Then a large Predict and a many-stream Step, on one thread and on two.
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

    // W2's LSTM forecaster predicting all 990 sine windows in one call (31 slices of 32), and W1's LSTM(40) stepping
    // 1024 streams at once (slices of 1): spread over cores the same way, with the bits of the serial call.
    private readonly SineLstm _forecaster = new(seed: 1);
    private readonly SequenceDataset _windows = Workloads.SineWindows();
    private readonly float[] _forecasts = new float[990];
    private readonly StreamingLstm _streamer = new(seed: 1);
    private readonly float[] _streamInputs = new float[Streams], _streamOutputs = new float[Streams];
    private readonly float[] _streamStates = new float[Streams * StreamingLstm.StreamStateLength];
    private const int Streams = 1024;

    [Benchmark(Baseline = true, Description = "FastSeq Predict, 1 thread")]
    [BenchmarkCategory("W2 LSTM(32)x2 Predict 990 windows µs")]
    public void PredictOneThread() => Predict(degree: 1);

    [Benchmark(Description = "FastSeq Predict, 2 threads")]
    [BenchmarkCategory("W2 LSTM(32)x2 Predict 990 windows µs")]
    public void PredictTwoThreads() => Predict(degree: 2);

    [Benchmark(Baseline = true, Description = "FastSeq Step, 1 thread")]
    [BenchmarkCategory("W1 LSTM(40) Step 1024 streams µs")]
    public void StepOneThread() => Step(degree: 1);

    [Benchmark(Description = "FastSeq Step, 2 threads")]
    [BenchmarkCategory("W1 LSTM(40) Step 1024 streams µs")]
    public void StepTwoThreads() => Step(degree: 2);

    private void Predict(int degree)
    {
        _forecaster.MaxDegreeOfParallelism = degree;
        _forecaster.Predict(_windows.Inputs, _forecasts, _windows.Count);
    }

    private void Step(int degree)
    {
        _streamer.MaxDegreeOfParallelism = degree;
        _streamer.Step(_streamInputs, _streamOutputs, _streamStates, Streams);
    }
}
