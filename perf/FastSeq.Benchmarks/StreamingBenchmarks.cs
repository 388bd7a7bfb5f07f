using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FastSeq.Benchmarks;

/// <summary>
/// W1 streaming: input 1 -> LSTM(40) or GRU(40) -> Dense(1), one step per sample, the output read
/// back after every step. Each invocation streams <see cref="Workloads.StreamLength"/> samples,
/// so the figures are per step.
/// </summary>
public class StreamingBenchmarks
{
    private const int Steps = Workloads.StreamLength;

    private readonly float[] _signal = Workloads.Sine(Steps);
    private readonly float[] _output = new float[1];
    private StreamingLstm _lstm = null!;
    private StreamingGru _gru = null!;

    private Tensor[] _torchInputs = [];
    private LSTMCell? _lstmCell;
    private GRUCell? _gruCell;
    private LSTM? _lstmLayer;
    private Linear _head = null!;
    private Tensor _h = null!, _c = null!;
    private IDisposable _noGrad = null!;

    private OnnxPeer? _onnx;
    private readonly float[] _onnxInput = new float[1];
    private OrtIoBinding[] _onnxBindings = [];
    private long _onnxSteps;

    [GlobalSetup(Targets = [nameof(FastSeqLstm), nameof(FastSeqGru)])]
    public void SetupFastSeq()
    {
        _lstm = new StreamingLstm(seed: 1);
        _gru = new StreamingGru(seed: 1);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Steps, Description = "FastSeq Step")]
    [BenchmarkCategory("W1 LSTM(40) ns/step")]
    public float FastSeqLstm()
    {
        float sum = 0;
        for (int t = 0; t < Steps; t++)
        {
            _lstm.Step(_signal.AsSpan(t, 1), _output);
            sum += _output[0];
        }
        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Steps, Description = "FastSeq Step")]
    [BenchmarkCategory("W1 GRU(40) ns/step")]
    public float FastSeqGru()
    {
        float sum = 0;
        for (int t = 0; t < Steps; t++)
        {
            _gru.Step(_signal.AsSpan(t, 1), _output);
            sum += _output[0];
        }
        return sum;
    }

    [GlobalSetup(Target = nameof(TorchLstmCell))]
    public void SetupTorchLstmCell()
    {
        SetupTorch(inputRank: 2);
        _lstmCell = nn.LSTMCell(1, 40);
        _c = zeros(1, 40);
    }

    [Benchmark(OperationsPerInvoke = Steps, Description = "TorchSharp LSTMCell")]
    [BenchmarkCategory("W1 LSTM(40) ns/step")]
    public float TorchLstmCell()
    {
        float sum = 0;
        for (int t = 0; t < Steps; t++)
        {
            using var scope = NewDisposeScope();
            var (h, c) = _lstmCell!.call(_torchInputs[t], (_h, _c));
            sum += _head.call(h).item<float>();
            KeepState(h, c);
        }
        return sum;
    }

    [GlobalSetup(Target = nameof(TorchLstmLayer))]
    public void SetupTorchLstmLayer()
    {
        SetupTorch(inputRank: 3);
        _lstmLayer = nn.LSTM(1, 40, batchFirst: true);
        _h = zeros(1, 1, 40);
        _c = zeros(1, 1, 40);
    }

    [Benchmark(OperationsPerInvoke = Steps, Description = "TorchSharp nn.LSTM, T=1")]
    [BenchmarkCategory("W1 LSTM(40) ns/step")]
    public float TorchLstmLayer()
    {
        float sum = 0;
        for (int t = 0; t < Steps; t++)
        {
            using var scope = NewDisposeScope();
            var (output, h, c) = _lstmLayer!.call(_torchInputs[t], (_h, _c));
            sum += _head.call(output).item<float>();
            KeepState(h, c);
        }
        return sum;
    }

    [GlobalSetup(Target = nameof(TorchGruCell))]
    public void SetupTorchGruCell()
    {
        SetupTorch(inputRank: 2);
        _gruCell = nn.GRUCell(1, 40);
    }

    [Benchmark(OperationsPerInvoke = Steps, Description = "TorchSharp GRUCell")]
    [BenchmarkCategory("W1 GRU(40) ns/step")]
    public float TorchGruCell()
    {
        float sum = 0;
        for (int t = 0; t < Steps; t++)
        {
            using var scope = NewDisposeScope();
            Tensor h = _gruCell!.call(_torchInputs[t], _h);
            sum += _head.call(h).item<float>();
            _h.Dispose();
            _h = h.DetachFromDisposeScope();
        }
        return sum;
    }

    [GlobalSetup(Target = nameof(OnnxLstm))]
    public void SetupOnnxLstm() => SetupOnnx("w1_lstm_step.onnx", ["h", "c"]);

    [Benchmark(OperationsPerInvoke = Steps, Description = "ONNX Runtime LSTM, T=1")]
    [BenchmarkCategory("W1 LSTM(40) ns/step")]
    public float OnnxLstm() => OnnxStream();

    [GlobalSetup(Target = nameof(OnnxGru))]
    public void SetupOnnxGru() => SetupOnnx("w1_gru_step.onnx", ["h"]);

    [Benchmark(OperationsPerInvoke = Steps, Description = "ONNX Runtime GRU, T=1")]
    [BenchmarkCategory("W1 GRU(40) ns/step")]
    public float OnnxGru() => OnnxStream();

    [GlobalCleanup]
    public void Cleanup()
    {
        _noGrad?.Dispose();
        _onnx?.Dispose();
    }

    /// <summary>
    /// The state tensors twice, A and B, and two bindings: one step reads A and writes B, the next
    /// reads B and writes A, so the state carries over without a copy.
    /// </summary>
    private void SetupOnnx(string model, string[] states)
    {
        _onnx = new OnnxPeer(model);
        OrtValue x = _onnx.Tensor(_onnxInput, 1, 1, 1), y = _onnx.Tensor(_output, 1, 1);
        float[][] stateA = [.. states.Select(_ => new float[40])], stateB = [.. states.Select(_ => new float[40])];
        OrtValue[] a = [.. stateA.Select(data => _onnx.Tensor(data, 1, 1, 40))];
        OrtValue[] b = [.. stateB.Select(data => _onnx.Tensor(data, 1, 1, 40))];
        OrtIoBinding Bind(OrtValue[] from, OrtValue[] to) => _onnx.Bind(
            [("x", x), .. states.Select((name, i) => (name, from[i]))],
            [("y", y), .. states.Select((name, i) => (name + "_out", to[i]))]);
        _onnxBindings = [Bind(a, b), Bind(b, a)];

        // The rows must time the stateful step: one step from a zero state has to write a non-zero state.
        _onnxInput[0] = 1f;
        _onnx.Run(_onnxBindings[0]);
        if (stateB.Any(state => state.All(value => value == 0f)))
            throw new InvalidOperationException($"{model}: a step did not write its state through the bindings.");
        foreach (float[] state in stateB)
            Array.Clear(state);
    }

    private float OnnxStream()
    {
        float sum = 0;
        for (int t = 0; t < Steps; t++)
        {
            _onnxInput[0] = _signal[t];
            _onnx!.Run(_onnxBindings[_onnxSteps++ & 1]);
            sum += _output[0];
        }
        return sum;
    }

    /// <summary>One thread, no autograd, the input samples as ready tensors, state h zeroed.</summary>
    private void SetupTorch(int inputRank)
    {
        TorchPeer.UseOneThread();
        _noGrad = no_grad();
        long[] shape = inputRank == 2 ? [1, 1] : [1, 1, 1];
        _torchInputs = _signal.Select(v => tensor(new[] { v }, shape)).ToArray();
        _head = nn.Linear(40, 1);
        _h = inputRank == 2 ? zeros(1, 40) : zeros(1, 1, 40);
    }

    /// <summary>Replaces the carried (h, c) with this step's, keeping them past the step's dispose scope.</summary>
    private void KeepState(Tensor h, Tensor c)
    {
        _h.Dispose();
        _c.Dispose();
        _h = h.DetachFromDisposeScope();
        _c = c.DetachFromDisposeScope();
    }
}
