using Perfolizer.Horology;

namespace FastSeq.Benchmarks;

/// <summary>
/// <see cref="ThreadClock"/> as a BenchmarkDotNet clock: each iteration is timed on the benchmark thread's CPU time, so
/// on a machine shared with other work the time the thread waited for a core is not counted.
/// </summary>
public sealed class ThreadCpuClock : IClock
{
    public string Title => "Thread CPU time (clock_gettime CLOCK_THREAD_CPUTIME_ID)";

    public bool IsAvailable => OperatingSystem.IsLinux();

    public Frequency Frequency => Frequency.GHz;

    public long GetTimestamp() => ThreadClock.Nanoseconds();
}
