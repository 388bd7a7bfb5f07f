using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FastSeq.Benchmarks;

/// <summary>The calling thread's CPU time: <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c> on Linux, wall time elsewhere.</summary>
public static partial class ThreadClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static long Nanoseconds()
    {
        if (!OperatingSystem.IsLinux())
            return (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
        ClockGetTime(ClockThreadCpuTimeId, out TimeSpec time);
        return time.Seconds * 1_000_000_000 + time.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
