using System.Runtime.InteropServices;
using TorchSharp;

namespace FastSeq.Benchmarks;

/// <summary>Whether TorchSharp's native libraries load here, and its thread settings.</summary>
public static class TorchPeer
{
    /// <summary>
    /// Loads libtorch through TorchSharp; on failure returns false with the reason. TorchSharp's own
    /// message blames a missing package reference whatever went wrong, so libLibTorchSharp.so is
    /// loaded directly first and the dynamic loader's error is the reason when that fails.
    /// </summary>
    public static bool TryLoad(out string reason)
    {
        // Checked first: when this load fails, TorchSharp's fallback copies ~480 MB of libtorch into bin/*/cpu.
        if (LoaderError() is string error)
        {
            reason = error;
            return false;
        }
        try
        {
            using var probe = torch.ones(2, 2);
            using var sum = probe.sum();
            reason = "";
            return sum.item<float>() == 4f;
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            reason = FirstLine(e.GetBaseException().Message);
            return false;
        }
    }

    /// <summary>libtorch on one thread (intra- and inter-op), as FastSeq runs.</summary>
    public static void UseOneThread()
    {
        torch.set_num_threads(1);
        // libtorch aborts the process when the inter-op count is set twice (several benchmarks in one process, --inProcess).
        if (torch.get_num_interop_threads() != 1)
            torch.set_num_interop_threads(1);
    }

    /// <summary>
    /// Leaves libtorch at its default thread counts (intra-op: one per physical core) and prints them, so the output of
    /// a default-threads row says what it ran on.
    /// </summary>
    public static void ReportDefaultThreads() =>
        Console.WriteLine($"TorchSharp at its default threads: {torch.get_num_threads()} intra-op, {torch.get_num_interop_threads()} inter-op");

    private static string? LoaderError()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!OperatingSystem.IsLinux() || !File.Exists(path))
            return null;
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return null;
        }
        catch (DllNotFoundException e)
        {
            // .NET appends the dynamic loader's messages (dlerror) after its own first line.
            return e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
