using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;

namespace FastSeq.Benchmarks;

/// <summary>
/// W3 training: one epoch over the 990 sine windows in shuffled mini-batches of 32 with Adam and
/// MSE, no validation. FastSeq runs <c>Trainer.Fit(epochs: 1)</c>; TorchSharp runs the usual loop
/// (randperm, index_select, zero_grad, forward, mse_loss, backward, step, loss.item()).
/// </summary>
public class TrainingBenchmarks
{
    private readonly SequenceDataset _data = Workloads.SineWindows();
    private Trainer<SineRnn> _rnnTrainer = null!;
    private Trainer<SineLstm> _lstmTrainer = null!;
    private Action<EpochResult> _onEpochEnd = null!;

    private nn.Module<Tensor, Tensor> _torchModel = null!;
    private optim.Optimizer _torchOptimizer = null!;
    private Tensor _torchInputs = null!, _torchTargets = null!;

    /// <summary>The last epoch's mean loss, so no epoch can be skipped.</summary>
    public float LastLoss { get; private set; }

    [GlobalSetup(Targets = [nameof(FastSeqRnn), nameof(FastSeqLstm)])]
    public void SetupFastSeq()
    {
        _rnnTrainer = new Trainer<SineRnn>(new SineRnn(seed: 1), new Adam(1e-3f), Loss.MeanSquaredError);
        _lstmTrainer = new Trainer<SineLstm>(new SineLstm(seed: 1), new Adam(1e-3f), Loss.MeanSquaredError);
        _onEpochEnd = e => LastLoss = e.Loss;
    }

    [Benchmark(Baseline = true, Description = "FastSeq Fit(epochs: 1)")]
    [BenchmarkCategory("W3 RNN(32)x2 ms/epoch")]
    public void FastSeqRnn() => _rnnTrainer.Fit(_data, epochs: 1, batchSize: Workloads.TrainingBatch, onEpochEnd: _onEpochEnd);

    [Benchmark(Baseline = true, Description = "FastSeq Fit(epochs: 1)")]
    [BenchmarkCategory("W3 LSTM(32)x2 ms/epoch")]
    public void FastSeqLstm() => _lstmTrainer.Fit(_data, epochs: 1, batchSize: Workloads.TrainingBatch, onEpochEnd: _onEpochEnd);

    [GlobalSetup(Target = nameof(TorchRnn))]
    public void SetupTorchRnn() => SetupTorch(new TorchRnnForecaster(32));

    [Benchmark(Description = "TorchSharp loop, Adam")]
    [BenchmarkCategory("W3 RNN(32)x2 ms/epoch")]
    public void TorchRnn() => TorchEpoch();

    [GlobalSetup(Target = nameof(TorchLstm))]
    public void SetupTorchLstm() => SetupTorch(new TorchLstmForecaster(32));

    [Benchmark(Description = "TorchSharp loop, Adam")]
    [BenchmarkCategory("W3 LSTM(32)x2 ms/epoch")]
    public void TorchLstm() => TorchEpoch();

    [GlobalSetup(Target = nameof(TorchRnnDefaultThreads))]
    public void SetupTorchRnnDefaultThreads() => SetupTorch(new TorchRnnForecaster(32), oneThread: false);

    [Benchmark(Description = "TorchSharp loop, Adam, default threads")]
    [BenchmarkCategory("W3 RNN(32)x2 ms/epoch")]
    public void TorchRnnDefaultThreads() => TorchEpoch();

    [GlobalSetup(Target = nameof(TorchLstmDefaultThreads))]
    public void SetupTorchLstmDefaultThreads() => SetupTorch(new TorchLstmForecaster(32), oneThread: false);

    [Benchmark(Description = "TorchSharp loop, Adam, default threads")]
    [BenchmarkCategory("W3 LSTM(32)x2 ms/epoch")]
    public void TorchLstmDefaultThreads() => TorchEpoch();

    /// <summary>The model, Adam and the data as tensors; libtorch on one thread, or left at its default thread counts.</summary>
    private void SetupTorch(nn.Module<Tensor, Tensor> model, bool oneThread = true)
    {
        if (oneThread)
            TorchPeer.UseOneThread();
        else
            TorchPeer.ReportDefaultThreads();
        _torchModel = model;
        _torchModel.train();
        _torchOptimizer = optim.Adam(_torchModel.parameters(), lr: 1e-3);
        _torchInputs = tensor(_data.Inputs, [_data.Count, Workloads.Window, 1]);
        _torchTargets = tensor(_data.Targets, [_data.Count, 1]);
    }

    private void TorchEpoch()
    {
        int count = _data.Count;
        using var epochScope = NewDisposeScope();
        Tensor order = randperm(count);
        double lossSum = 0;
        for (int first = 0; first < count; first += Workloads.TrainingBatch)
        {
            using var scope = NewDisposeScope();
            int batch = Math.Min(Workloads.TrainingBatch, count - first);
            Tensor indices = order.narrow(0, first, batch);
            Tensor x = _torchInputs.index_select(0, indices);
            Tensor y = _torchTargets.index_select(0, indices);
            _torchOptimizer.zero_grad();
            Tensor loss = nn.functional.mse_loss(_torchModel.call(x), y);
            loss.backward();
            _torchOptimizer.step();
            lossSum += loss.item<float>() * batch;
        }
        LastLoss = (float)(lossSum / count);
    }
}
