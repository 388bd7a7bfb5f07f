using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace FastSeq.Benchmarks;

/// <summary>
/// W5 serving: <see cref="Streams"/> independent streams of W1's model (input 1 -> LSTM(40) -> Dense(1)), each call
/// one step of every stream, the states owned by the caller and carried from call to call. FastSeq advances them with
/// <c>Step(inputs, outputs, states, streams)</c> on one thread (and, for comparison, with one <c>Step(input, output,
/// state)</c> call per stream); ONNX Runtime runs W1's step with the streams as the
/// batch (perf/peers/onnx/w5_lstm_streams.onnx, the batch a dynamic axis), on one intra-op thread and at its default
/// (one per physical core), the state bound as in W1. The <c>streams/s</c> column is streams stepped per second.
/// </summary>
public class ServingBenchmarks
{
    private const int Units = 40;
    private const string Category = "W5 LSTM(40) streams, µs/call";

    private float[] _inputs = [];
    private float[] _outputs = [];
    private float[] _states = [];
    private ServingLstm _model = null!;

    private OnnxPeer? _onnx;
    private OrtIoBinding[] _onnxBindings = [];
    private long _onnxCalls;

    /// <summary>Streams stepped by one call.</summary>
    [Params(1_000, 10_000)]
    public int Streams { get; set; }

    [GlobalSetup(Targets = [nameof(FastSeqStep), nameof(FastSeqStepEach)])]
    public void SetupFastSeq()
    {
        SetupData();
        _model = new ServingLstm(seed: 1);
        _states = new float[Streams * ServingLstm.StreamStateLength];
    }

    [Benchmark(Baseline = true, Description = "FastSeq Step(streams), 1 thread")]
    [BenchmarkCategory(Category)]
    public float FastSeqStep()
    {
        _model.Step(_inputs, _outputs, _states, Streams);
        return _outputs[^1];
    }

    /// <summary>The same streams, one <c>Step(input, output, state)</c> call each (a stream's state its own slice).</summary>
    [Benchmark(Description = "FastSeq Step(x, y, state) per stream, 1 thread")]
    [BenchmarkCategory(Category)]
    public float FastSeqStepEach()
    {
        int length = ServingLstm.StreamStateLength;
        for (int stream = 0; stream < Streams; stream++)
            _model.Step(_inputs.AsSpan(stream, 1), _outputs.AsSpan(stream, 1), _states.AsSpan(stream * length, length));
        return _outputs[^1];
    }

    [GlobalSetup(Target = nameof(OnnxOneThread))]
    public void SetupOnnxOneThread() => SetupOnnx(intraOpThreads: 1);

    [Benchmark(Description = "ONNX Runtime LSTM, streams as batch, 1 thread")]
    [BenchmarkCategory(Category)]
    public float OnnxOneThread() => OnnxStep();

    [GlobalSetup(Target = nameof(OnnxDefaultThreads))]
    public void SetupOnnxDefaultThreads() => SetupOnnx(intraOpThreads: 0);

    [Benchmark(Description = "ONNX Runtime LSTM, streams as batch, default threads")]
    [BenchmarkCategory(Category)]
    public float OnnxDefaultThreads() => OnnxStep();

    [GlobalCleanup]
    public void Cleanup() => _onnx?.Dispose();

    /// <summary>One input sample per stream, different across streams.</summary>
    private void SetupData()
    {
        _inputs = Workloads.Uniform(Streams, seed: 5);
        _outputs = new float[Streams];
    }

    /// <summary>As W1: the states twice, A and B, and two bindings, one step reading A and writing B, the next the reverse.</summary>
    private void SetupOnnx(int intraOpThreads)
    {
        SetupData();
        _onnx = new OnnxPeer("w5_lstm_streams.onnx", intraOpThreads);
        OrtValue x = _onnx.Tensor(_inputs, Streams, 1, 1), y = _onnx.Tensor(_outputs, Streams, 1);
        float[][] states = [.. Enumerable.Range(0, 4).Select(_ => new float[Streams * Units])];
        OrtValue[] bound = [.. states.Select(state => _onnx.Tensor(state, 1, Streams, Units))];
        (OrtValue hA, OrtValue cA, OrtValue hB, OrtValue cB) = (bound[0], bound[1], bound[2], bound[3]);
        _onnxBindings =
        [
            _onnx.Bind([("x", x), ("h", hA), ("c", cA)], [("y", y), ("h_out", hB), ("c_out", cB)]),
            _onnx.Bind([("x", x), ("h", hB), ("c", cB)], [("y", y), ("h_out", hA), ("c_out", cA)]),
        ];

        // The rows must time the stateful step: one step from a zero state has to write every stream's new state.
        _onnx.Run(_onnxBindings[0]);
        if (states[2].AsSpan(Streams * Units - Units).IndexOfAnyExcept(0f) < 0 || states[3].AsSpan(Streams * Units - Units).IndexOfAnyExcept(0f) < 0)
            throw new InvalidOperationException("w5_lstm_streams.onnx: a step did not write the last stream's state through the bindings.");
        Array.Clear(states[2]);
        Array.Clear(states[3]);
    }

    private float OnnxStep()
    {
        _onnx!.Run(_onnxBindings[_onnxCalls++ & 1]);
        return _outputs[^1];
    }
}
