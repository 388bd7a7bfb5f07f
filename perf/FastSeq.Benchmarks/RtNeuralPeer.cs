using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FastSeq.Benchmarks;

/// <summary>
/// RTNeural (C++, compile-time <c>ModelT</c>, Eigen backend, <c>-O3 -march=native</c>) as built by
/// perf/peers/build-rtneural.sh: one W1 model, LSTM or GRU of 8, 16, 32, 40, 64 or 128 units then Dense(1),
/// with a FastSeq model's weights. <see cref="Run"/> streams a whole signal in one native call (the loop is
/// C++), so the peer pays no interop per step.
/// </summary>
public sealed unsafe class RtNeuralPeer : IDisposable
{
    private static nint s_library;
    private static delegate* unmanaged<int, int, float*, float*, nint> s_create;
    private static delegate* unmanaged<nint, void> s_reset;
    private static delegate* unmanaged<nint, float*, int, float*, float> s_run;
    private static delegate* unmanaged<nint, void> s_destroy;

    private nint _stream;

    /// <summary>
    /// RTNeural's copy of a FastSeq model: <paramref name="layer"/> is the recurrent layer's parameters,
    /// <paramref name="dense"/> the Dense(1)'s (kernel <c>[H, 1]</c>, bias), both in FastSeq's layout.
    /// </summary>
    public RtNeuralPeer(bool gru, int units, ReadOnlySpan<float> layer, ReadOnlySpan<float> dense)
    {
        if (s_library == 0)
            throw new InvalidOperationException($"{nameof(RtNeuralPeer)}.{nameof(TryLoad)} has not loaded the library.");
        fixed (float* l = layer, d = dense)
            _stream = s_create(gru ? 1 : 0, units, l, d);
        if (_stream == 0)
            throw new ArgumentOutOfRangeException(nameof(units), units, "The RTNeural peer is built for 8, 16, 32, 40, 64 and 128 units.");
    }

    /// <summary>
    /// Builds the library if needed (bash perf/peers/build-rtneural.sh, which takes RTNeural's location from
    /// RTNEURAL_DIR) and loads it; on failure returns false with the reason.
    /// </summary>
    public static bool TryLoad(out string reason)
    {
        reason = "";
        if (s_library != 0)
            return true;
        string? script = FindScript();
        if (script is null)
        {
            reason = $"perf/peers/build-rtneural.sh not found above {AppContext.BaseDirectory}";
            return false;
        }
        var start = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process build = Process.Start(start)!;
        Task<string> errors = build.StandardError.ReadToEndAsync();
        string library = build.StandardOutput.ReadToEnd().Trim();
        build.WaitForExit();
        if (build.ExitCode != 0)
        {
            string[] lines = errors.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            reason = $"{script} failed ({build.ExitCode}): " + string.Join(" | ", lines.TakeLast(3));
            return false;
        }
        if (!NativeLibrary.TryLoad(library, out s_library))
        {
            reason = $"{library} was built but does not load";
            return false;
        }
        s_create = (delegate* unmanaged<int, int, float*, float*, nint>)NativeLibrary.GetExport(s_library, "rtneural_create");
        s_reset = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(s_library, "rtneural_reset");
        s_run = (delegate* unmanaged<nint, float*, int, float*, float>)NativeLibrary.GetExport(s_library, "rtneural_run");
        s_destroy = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(s_library, "rtneural_destroy");
        return true;
    }

    /// <summary>Clears the state: the next step starts a new sequence.</summary>
    public void Reset() => s_reset(_stream);

    /// <summary>Steps through <paramref name="samples"/>, writes each output to <paramref name="outputs"/> unless it is empty, and returns their sum.</summary>
    public float Run(ReadOnlySpan<float> samples, Span<float> outputs)
    {
        if (!outputs.IsEmpty && outputs.Length < samples.Length)
            throw new ArgumentException($"{outputs.Length} outputs for {samples.Length} samples.", nameof(outputs));
        fixed (float* x = samples, y = outputs)
            return s_run(_stream, x, samples.Length, outputs.IsEmpty ? null : y);
    }

    public void Dispose()
    {
        if (_stream != 0)
            s_destroy(_stream);
        _stream = 0;
    }

    private static string? FindScript()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string script = Path.Combine(folder.FullName, "perf", "peers", "build-rtneural.sh");
            if (File.Exists(script))
                return script;
        }
        return null;
    }
}
