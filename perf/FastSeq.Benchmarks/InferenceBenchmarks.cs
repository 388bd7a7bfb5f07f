using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace FastSeq.Benchmarks;

/// <summary>
/// W2 inference: one sequence of 10 steps (batch 1) through the sine forecaster
/// (SimpleRNN(32) x2 -> Dense(1)) or its two-LSTM(32) twin; the forecast read back.
/// </summary>
public class InferenceBenchmarks
{
    private readonly float[] _window = Workloads.Sine(Workloads.Window);
    private readonly float[] _forecast = new float[1];
    private SineRnn _rnn = null!;
    private SineLstm _lstm = null!;

    private nn.Module<Tensor, Tensor> _torchModel = null!;
    private Tensor _torchWindow = null!;
    private IDisposable _noGrad = null!;

    private OnnxPeer? _onnx;
    private OrtIoBinding? _onnxBinding;

    [GlobalSetup(Targets = [nameof(FastSeqRnn), nameof(FastSeqLstm)])]
    public void SetupFastSeq()
    {
        _rnn = new SineRnn(seed: 1);
        _lstm = new SineLstm(seed: 1);
    }

    [Benchmark(Baseline = true, Description = "FastSeq Predict")]
    [BenchmarkCategory("W2 RNN(32)x2 µs/seq")]
    public float FastSeqRnn()
    {
        _rnn.Predict(_window, _forecast);
        return _forecast[0];
    }

    [Benchmark(Baseline = true, Description = "FastSeq Predict")]
    [BenchmarkCategory("W2 LSTM(32)x2 µs/seq")]
    public float FastSeqLstm()
    {
        _lstm.Predict(_window, _forecast);
        return _forecast[0];
    }

    [GlobalSetup(Target = nameof(TorchRnn))]
    public void SetupTorchRnn() => SetupTorch(new TorchRnnForecaster(32));

    [Benchmark(Description = "TorchSharp nn.RNN(layers 2)")]
    [BenchmarkCategory("W2 RNN(32)x2 µs/seq")]
    public float TorchRnn() => TorchForecast();

    [GlobalSetup(Target = nameof(TorchLstm))]
    public void SetupTorchLstm() => SetupTorch(new TorchLstmForecaster(32));

    [Benchmark(Description = "TorchSharp nn.LSTM(layers 2)")]
    [BenchmarkCategory("W2 LSTM(32)x2 µs/seq")]
    public float TorchLstm() => TorchForecast();

    [GlobalSetup(Target = nameof(OnnxRnn))]
    public void SetupOnnxRnn() => SetupOnnx("w2_rnn_forecaster.onnx");

    [Benchmark(Description = "ONNX Runtime RNN(layers 2)")]
    [BenchmarkCategory("W2 RNN(32)x2 µs/seq")]
    public float OnnxRnn() => OnnxForecast();

    [GlobalSetup(Target = nameof(OnnxLstm))]
    public void SetupOnnxLstm() => SetupOnnx("w2_lstm_forecaster.onnx");

    [Benchmark(Description = "ONNX Runtime LSTM(layers 2)")]
    [BenchmarkCategory("W2 LSTM(32)x2 µs/seq")]
    public float OnnxLstm() => OnnxForecast();

    [GlobalCleanup]
    public void Cleanup()
    {
        _noGrad?.Dispose();
        _onnx?.Dispose();
    }

    private void SetupOnnx(string model)
    {
        _onnx = new OnnxPeer(model);
        _onnxBinding = _onnx.Bind([("x", _onnx.Tensor(_window, 1, Workloads.Window, 1))], [("y", _onnx.Tensor(_forecast, 1, 1))]);
    }

    private float OnnxForecast()
    {
        _onnx!.Run(_onnxBinding!);
        return _forecast[0];
    }

    private void SetupTorch(nn.Module<Tensor, Tensor> model)
    {
        TorchPeer.UseOneThread();
        _noGrad = no_grad();
        _torchModel = model;
        _torchModel.eval();
        _torchWindow = tensor(_window, [1, Workloads.Window, 1]);
    }

    private float TorchForecast()
    {
        using var scope = NewDisposeScope();
        return _torchModel.call(_torchWindow).item<float>();
    }
}
