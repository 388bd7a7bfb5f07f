using Microsoft.ML.OnnxRuntime;

namespace FastSeq.Benchmarks;

/// <summary>
/// ONNX Runtime as a .NET user would run it at its fastest: one thread (or its default), every graph optimisation,
/// inputs and outputs bound once to OrtValues over managed arrays (<see cref="OrtIoBinding"/>), so a
/// run copies nothing in or out. The models are perf/peers/onnx/*.onnx, exported from PyTorch by
/// perf/peers/export_onnx.py with the workloads' shapes.
/// </summary>
public sealed class OnnxPeer : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    /// <param name="modelFile">The model's file name in perf/peers/onnx.</param>
    /// <param name="intraOpThreads">Threads one operator may use; 0 is ONNX Runtime's default, one per physical core.</param>
    public OnnxPeer(string modelFile, int intraOpThreads = 1)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(Path.Combine(AppContext.BaseDirectory, "onnx", modelFile), options);
        _owned.Add(_runOptions);
    }

    /// <summary>Loads ONNX Runtime's native library; on failure returns false with the reason.</summary>
    public static bool TryLoad(out string reason)
    {
        try
        {
            reason = "";
            return OrtEnv.Instance().GetVersionString().Length > 0;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or OnnxRuntimeException)
        {
            reason = e.GetBaseException().Message.Split('\n', 2)[0].Trim();
            return false;
        }
    }

    /// <summary>A tensor of the given shape over <paramref name="data"/>, which the run reads or writes in place.</summary>
    public OrtValue Tensor(float[] data, params long[] shape)
    {
        OrtValue value = OrtValue.CreateTensorValueFromMemory(data, shape);
        _owned.Add(value);
        return value;
    }

    /// <summary>Binds each named input and output to its tensor once; <see cref="Run"/> then only runs.</summary>
    public OrtIoBinding Bind(IEnumerable<(string Name, OrtValue Value)> inputs, IEnumerable<(string Name, OrtValue Value)> outputs)
    {
        OrtIoBinding binding = _session.CreateIoBinding();
        _owned.Add(binding);
        foreach ((string name, OrtValue value) in inputs)
            binding.BindInput(name, value);
        foreach ((string name, OrtValue value) in outputs)
            binding.BindOutput(name, value);
        return binding;
    }

    public void Run(OrtIoBinding binding) => _session.RunWithBinding(_runOptions, binding);

    public void Dispose()
    {
        foreach (IDisposable owned in _owned)
            owned.Dispose();
        _session.Dispose();
    }
}
