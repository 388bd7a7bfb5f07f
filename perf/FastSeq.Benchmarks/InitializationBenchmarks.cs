using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using FastSeq.Kernels;
using FastSeq.Layers;

namespace FastSeq.Benchmarks;

/// <summary>
/// Initialising a large LSTM(1024) on 512 features, as <c>new Model(seed)</c> does: Keras'
/// orthogonal recurrent kernel, the QR of a normal <c>[1024, 4096]</c> draw, is most of it.
/// Each call takes long enough to be timed alone: one invocation per iteration, no pilot (the warm-up
/// and measured counts are the program's job's).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, id: "Initialization")]
public class InitializationBenchmarks
{
    private const int Inputs = 512, Units = 1024, Gates = 4;

    private float[] _recurrentKernel = [];
    private ArraySegment<float> _parameters;

    [GlobalSetup]
    public void Setup()
    {
        _recurrentKernel = new float[Units * Gates * Units];
        _parameters = AlignedMemory.Allocate(LstmLayer.ParameterCount(Inputs, Units));
    }

    [Benchmark(Description = "Initializers.Orthogonal [1024, 4096]")]
    [BenchmarkCategory("Initialization ms/call")]
    public void Orthogonal() => Initializers.Orthogonal(_recurrentKernel, Units, Gates * Units, new Random(1));

    [Benchmark(Description = "LstmLayer.Initialize I=512 H=1024")]
    [BenchmarkCategory("Initialization ms/call")]
    public void Lstm() => LstmLayer.Initialize(_parameters, Inputs, Units, new Random(1));
}
