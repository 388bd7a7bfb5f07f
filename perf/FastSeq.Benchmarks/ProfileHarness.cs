using System.Diagnostics;

namespace FastSeq.Benchmarks;

/// <summary>
/// Runs one FastSeq workload in a plain loop, without BenchmarkDotNet, for a profiler
/// (<c>perf record</c>, <c>valgrind --tool=callgrind</c>): <c>--profile NAME SECONDS|xCOUNT</c>.
/// Prints the mean time per invocation so runs under different tools can be compared.
/// </summary>
public static class ProfileHarness
{
    private static readonly Dictionary<string, Func<Action>> ByName = new()
    {
        ["w1-lstm"] = () => { var b = new StreamingBenchmarks(); b.SetupFastSeq(); return () => b.FastSeqLstm(); },
        ["w1-gru"] = () => { var b = new StreamingBenchmarks(); b.SetupFastSeq(); return () => b.FastSeqGru(); },
        ["w2-rnn"] = () => { var b = new InferenceBenchmarks(); b.SetupFastSeq(); return () => b.FastSeqRnn(); },
        ["w2-lstm"] = () => { var b = new InferenceBenchmarks(); b.SetupFastSeq(); return () => b.FastSeqLstm(); },
        ["w3-rnn"] = () => { var b = new TrainingBenchmarks(); b.SetupFastSeq(); return b.FastSeqRnn; },
        ["w3-lstm"] = () => { var b = new TrainingBenchmarks(); b.SetupFastSeq(); return b.FastSeqLstm; },
        ["w4"] = () => { var b = new LargeBenchmarks(); b.SetupFastSeq(); return b.FastSeqLstm; },
        ["peak"] = () => { var b = new LargeBenchmarks(); return () => Sink = b.FmaPeak(); },
    };

    /// <summary>Where a result goes so that the JIT cannot drop the work that made it.</summary>
    public static float Sink { get; private set; }

    /// <summary>
    /// <c>w1-lstm-32</c>, <c>rtneural-gru-8</c> and the like: a W1 stream of <see cref="RtNeuralBenchmarks"/>, FastSeq's or RTNeural's.
    /// </summary>
    private static bool TrySized(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Func<Action>? create)
    {
        create = null;
        string[] parts = name.Split('-');
        if (parts is not [("w1" or "rtneural") and var who, ("lstm" or "gru") and var kind, var size] || !int.TryParse(size, out int units))
            return false;
        create = () =>
        {
            var b = new RtNeuralBenchmarks { Units = units };
            bool gru = kind == "gru";
            if (gru)
                b.SetupGru();
            else
                b.SetupLstm();
            return (who, gru) switch
            {
                ("w1", false) => () => Sink = b.FastSeqLstm(),
                ("w1", true) => () => Sink = b.FastSeqGru(),
                (_, false) => () => Sink = b.RtNeuralLstm(),
                _ => () => Sink = b.RtNeuralGru(),
            };
        };
        return true;
    }

    public static int Run(string name, string duration)
    {
        if (!ByName.TryGetValue(name, out Func<Action>? create) && !TrySized(name, out create))
        {
            Console.Error.WriteLine($"unknown workload '{name}'; expected one of {string.Join(", ", ByName.Keys)}, or (w1|rtneural)-(lstm|gru)-UNITS");
            return 2;
        }
        Action invoke = create();
        // Warm up past tiered compilation, then measure.
        for (int i = 0; i < 50; i++)
            invoke();
        bool byCount = duration.StartsWith('x');
        long limit = long.Parse(byCount ? duration[1..] : duration, System.Globalization.CultureInfo.InvariantCulture);
        long count = 0;
        var clock = Stopwatch.StartNew();
        while (byCount ? count < limit : clock.Elapsed.TotalSeconds < limit)
        {
            invoke();
            count++;
        }
        Console.WriteLine($"{name}: {count} invocations, {clock.Elapsed.TotalMilliseconds * 1e3 / count:F3} µs each");
        return 0;
    }
}
