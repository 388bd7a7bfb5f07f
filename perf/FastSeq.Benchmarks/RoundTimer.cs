using System.Diagnostics;

namespace FastSeq.Benchmarks;

/// <summary>
/// Times an action in rounds of many calls on this thread's CPU clock (<see cref="ThreadClock"/>), so that on a machine
/// shared with other work the time the thread waited for a core is not counted; callers keep the best round.
/// </summary>
public static class RoundTimer
{
    /// <summary>
    /// Calls <paramref name="action"/> for <paramref name="warmup"/> of wall time, long enough for tiered compilation to
    /// replace the first code with optimised code (call counting starts only after 100 ms without new methods being
    /// compiled), then returns how many calls one round of about <paramref name="roundTime"/> takes.
    /// </summary>
    public static long WarmUp(Action action, TimeSpan warmup, TimeSpan roundTime)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < warmup)
            action();
        clock.Restart();
        long calls = 0;
        while (clock.Elapsed < roundTime / 4)
        {
            action();
            calls++;
        }
        return Math.Max(1, (long)Math.Round(calls * (roundTime / clock.Elapsed)));
    }

    /// <summary>CPU nanoseconds per call over one round of <paramref name="calls"/> calls.</summary>
    public static double NanosecondsPerCall(Action action, long calls)
    {
        long start = ThreadClock.Nanoseconds();
        for (long i = 0; i < calls; i++)
            action();
        return (double)(ThreadClock.Nanoseconds() - start) / calls;
    }
}
