using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using FastSeq.Layers;

namespace FastSeq.Benchmarks;

/// <summary>
/// W1 side by side with RTNeural at 8, 16, 32, 40, 64 and 128 units: input 1 -> LSTM or GRU -> Dense(1), the
/// same weights, the same signal, one step per sample with the output read back. FastSeq runs the one-stream
/// <c>Step(input, output, state)</c> with a caller-owned state; RTNeural its <c>ModelT::forward</c>, the loop in
/// C++ (<see cref="RtNeuralPeer"/>). Before timing, both stream the signal from a zero state and must agree
/// within <see cref="Tolerance"/> at every step. The iterations are timed on the thread's CPU clock
/// (<see cref="ThreadCpuClock"/>): the two cores of the machine these rows were taken on are shared with other work.
/// </summary>
[Config(typeof(ThreadClockConfig))]
public class RtNeuralBenchmarks
{
    /// <summary>Largest difference allowed between the two models' outputs.</summary>
    public const float Tolerance = 1e-5f;

    private const int Steps = Workloads.StreamLength;

    private readonly float[] _signal = Workloads.Sine(Steps);
    private readonly float[] _output = new float[1];
    private ISequenceModel _model = null!;
    private float[] _state = [];
    private RtNeuralPeer? _peer;

    [Params(8, 16, 32, 40, 64, 128)]
    public int Units { get; set; }

    [GlobalSetup(Targets = [nameof(FastSeqLstm), nameof(RtNeuralLstm)])]
    public void SetupLstm() => Setup(gru: false);

    [GlobalSetup(Targets = [nameof(FastSeqGru), nameof(RtNeuralGru)])]
    public void SetupGru() => Setup(gru: true);

    [Benchmark(Baseline = true, OperationsPerInvoke = Steps, Description = "FastSeq Step")]
    [BenchmarkCategory("W1 LSTM vs RTNeural ns/step")]
    public float FastSeqLstm() => FastSeqStream();

    [Benchmark(OperationsPerInvoke = Steps, Description = "RTNeural ModelT")]
    [BenchmarkCategory("W1 LSTM vs RTNeural ns/step")]
    public float RtNeuralLstm() => _peer!.Run(_signal, default);

    [Benchmark(Baseline = true, OperationsPerInvoke = Steps, Description = "FastSeq Step")]
    [BenchmarkCategory("W1 GRU vs RTNeural ns/step")]
    public float FastSeqGru() => FastSeqStream();

    [Benchmark(OperationsPerInvoke = Steps, Description = "RTNeural ModelT")]
    [BenchmarkCategory("W1 GRU vs RTNeural ns/step")]
    public float RtNeuralGru() => _peer!.Run(_signal, default);

    [GlobalCleanup]
    public void Cleanup() => _peer?.Dispose();

    /// <summary>The run's job, its iterations timed on <see cref="ThreadCpuClock"/>.</summary>
    public sealed class ThreadClockConfig : ManualConfig
    {
        public ThreadClockConfig() =>
            AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(5).WithIterationCount(20)
                .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250)).WithClock(new ThreadCpuClock()).WithId("ThreadClock"));
    }

    /// <summary>
    /// The FastSeq model of W1 at <paramref name="units"/> (seed 1, its biases random, so that a bias out of
    /// place in the peer shows) and RTNeural's copy of it, checked to agree.
    /// </summary>
    public static (ISequenceModel Model, RtNeuralPeer Peer) Create(bool gru, int units)
    {
        ISequenceModel model = (gru, units) switch
        {
            (false, 8) => new StreamingLstm8(seed: 1),
            (false, 16) => new StreamingLstm16(seed: 1),
            (false, 32) => new StreamingLstm32(seed: 1),
            (false, 40) => new StreamingLstm(seed: 1),
            (false, 64) => new StreamingLstm64(seed: 1),
            (false, 128) => new StreamingLstm128(seed: 1),
            (true, 8) => new StreamingGru8(seed: 1),
            (true, 16) => new StreamingGru16(seed: 1),
            (true, 32) => new StreamingGru32(seed: 1),
            (true, 40) => new StreamingGru(seed: 1),
            (true, 64) => new StreamingGru64(seed: 1),
            (true, 128) => new StreamingGru128(seed: 1),
            _ => throw new ArgumentOutOfRangeException(nameof(units), units, "W1 models exist for 8, 16, 32, 40, 64 and 128 units."),
        };
        int layerLength = gru ? GruLayer.ParameterCount(1, units) : LstmLayer.ParameterCount(1, units);
        int biases = gru ? 6 * units : 4 * units;
        Span<float> parameters = model.Parameters;
        var random = new Random(2);
        foreach (ref float bias in parameters.Slice(layerLength - biases, biases))
            bias = (random.NextSingle() - 0.5f) * 0.5f;
        var peer = new RtNeuralPeer(gru, units, parameters[..layerLength], parameters[layerLength..]);
        CheckAgree(model, peer, gru ? "GRU" : "LSTM", units);
        return (model, peer);
    }

    private void Setup(bool gru)
    {
        if (!RtNeuralPeer.TryLoad(out string reason))
            throw new InvalidOperationException("The RTNeural peer does not load: " + reason);
        (_model, _peer) = Create(gru, Units);
        _state = new float[_model.StreamStateLength];
    }

    private float FastSeqStream()
    {
        float sum = 0;
        Span<float> state = _state, output = _output;
        ReadOnlySpan<float> signal = _signal;
        for (int t = 0; t < signal.Length; t++)
        {
            _model.Step(signal.Slice(t, 1), output, state);
            sum += output[0];
        }
        return sum;
    }

    /// <summary>Streams a signal through both from a zero state; throws where they differ by more than <see cref="Tolerance"/>. Leaves both at a zero state.</summary>
    private static void CheckAgree(ISequenceModel model, RtNeuralPeer peer, string kind, int units)
    {
        float[] signal = Workloads.Sine(Steps), expected = new float[Steps], state = new float[model.StreamStateLength];
        peer.Reset();
        peer.Run(signal, expected);
        peer.Reset();
        float[] y = new float[1];
        for (int t = 0; t < Steps; t++)
        {
            model.Step(signal.AsSpan(t, 1), y, state);
            if (!(Math.Abs(y[0] - expected[t]) <= Tolerance))
                throw new InvalidOperationException($"{kind}({units}): FastSeq gives {y[0]} and RTNeural {expected[t]} at step {t}; the comparison is broken.");
        }
    }
}
