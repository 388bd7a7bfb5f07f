namespace FastSeq.Tests.Support;

/// <summary>
/// Zero-allocation checks. The runtime may itself allocate once on the calling thread while it
/// recompiles a hot method (tiered compilation, on-stack replacement), at a call no test can predict;
/// so a warm call is measured in several windows and at most one of them may show bytes. An allocation
/// the code makes on every call shows in all of them.
/// </summary>
internal static class Allocations
{
    private const int Windows = 5;

    /// <summary>Runs <paramref name="action"/> twice to warm up, then asserts that it allocates nothing.</summary>
    public static void AssertNone(Action action)
    {
        action(); // warm-up: JIT, static initialisation, lazily sized state
        action();
        var bytes = new long[Windows];
        for (int i = 0; i < bytes.Length; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            action();
            bytes[i] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        AssertSteadyState(bytes);
    }

    /// <summary>Asserts that at most one of the measured windows allocated anything.</summary>
    public static void AssertSteadyState(IReadOnlyList<long> bytesPerWindow)
    {
        Assert.True(bytesPerWindow.Count(b => b != 0) <= 1,
            $"Allocated [{string.Join(", ", bytesPerWindow)}] bytes in {bytesPerWindow.Count} warm windows; at most one may be non-zero.");
    }
}
