using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using FastSeq.Kernels;

namespace FastSeq.Benchmarks;

/// <summary>
/// <c>--regression [BASELINE] [--update] [--rounds N]</c>: the CI guard against slowdowns. In one process it measures this core's
/// FMA peak (<see cref="FmaPeak"/>) and each FastSeq workload's GFLOP/s, and compares each workload's efficiency
/// (its GFLOP/s over the peak) with the committed baseline for this CPU model: a ratio taken within one run transfers
/// between runs and between machines of one model whatever their clocks, where a time would not. A CPU model with no
/// baseline is measured and reported, not checked. Rounds of every workload alternate with rounds of the peak, each
/// timed on this thread's CPU clock, and the best round of each counts, so load on the other core moves the figures
/// little. A workload below its baseline by more than the baseline file's tolerance is measured again, with the peak, after a
/// pause, up to <see cref="Retries"/> times (its best efficiency counts): the shared host has slow spells of seconds that
/// slow every latency-bound workload and not the peak, and a whole pass can fall in one. A workload still past the
/// tolerance fails the check (exit code 1). perf/README.md gives the calibration behind the tolerance.
/// </summary>
public static class RegressionCheck
{
    private const string DefaultBaseline = "perf/regression-baseline.json";
    private const int DefaultRounds = 25;

    /// <summary>Tolerance of a new baseline file; perf/README.md explains the committed one.</summary>
    private const double DefaultTolerance = 0.25;
    private static readonly TimeSpan RoundTime = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan WarmupTime = TimeSpan.FromMilliseconds(400);

    /// <summary>Passes more for the workloads past the tolerance, each after <see cref="RetryPause"/>.</summary>
    private const int Retries = 2;
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(5);

    /// <summary>Where results go so that the JIT cannot drop the work that made them.</summary>
    public static float Sink { get; private set; }

    /// <summary>One workload: a name (the baseline's key), the matrix-product FLOP of one call, and the call.</summary>
    private sealed record Workload(string Name, double Flop, Action Call);

    public static int Run(string[] args)
    {
        (string baselinePath, bool update, int rounds) = (DefaultBaseline, false, DefaultRounds);
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--update":
                    update = true;
                    break;
                // Fewer rounds only make the best round slower: for runs that must fail (CI's forced scalar kernels), not for baselines.
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out rounds) && rounds > 0:
                    i++;
                    break;
                case string option when option.StartsWith("--", StringComparison.Ordinal):
                    throw new ArgumentException($"--regression takes [BASELINE] [--update] [--rounds N], N > 0; not '{string.Join(' ', args[i..])}'.");
                default:
                    baselinePath = args[i];
                    break;
            }
        }
        string cpu = CpuModel();
        Console.WriteLine($"CPU: {cpu}; MatMul path: {MatMul.Path}; Vector512 hardware-accelerated: {Vector512.IsHardwareAccelerated}");
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            Console.WriteLine("Perf regression check SKIPPED: this CPU has no AVX2 + FMA, so the Vector256 FMA peak the baseline's efficiencies are read against does not exist here.");
            return 0;
        }

        Workload[] workloads = Workloads();
        var efficiency = new Dictionary<string, double>();
        var gflops = new Dictionary<string, double>();
        double peakGflops = MeasureEfficiencies(workloads, rounds, efficiency, gflops);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Vector256 FMA peak: {peakGflops:F1} GFLOP/s (best of {rounds} rounds, thread CPU time)"));

        (double allowed, Dictionary<string, Dictionary<string, double>> baselines) = File.Exists(baselinePath) || !update
            ? ReadBaselines(baselinePath)
            : (DefaultTolerance, []);
        if (update)
        {
            baselines[cpu] = efficiency;
            WriteBaselines(baselinePath, allowed, baselines);
            Console.WriteLine($"Wrote this CPU's baseline to {baselinePath} (tolerance {allowed:P0}).");
            return 0;
        }

        Dictionary<string, double>? expected = baselines.GetValueOrDefault(cpu);
        for (int pass = 2; pass <= Retries + 1 && expected is not null; pass++)
        {
            Workload[] behind = [.. workloads.Where(w => expected.TryGetValue(w.Name, out double baseline) && efficiency[w.Name] / baseline - 1 < -allowed)];
            if (behind.Length == 0)
                break;
            Console.WriteLine($"Past the tolerance, measured again after {RetryPause.TotalSeconds:F0} s (pass {pass} of {Retries + 1}, the best counts): {string.Join(", ", behind.Select(w => w.Name))}");
            Thread.Sleep(RetryPause);
            MeasureEfficiencies(behind, rounds, efficiency, gflops);
        }
        Console.WriteLine($"{"workload",-28} {"GFLOP/s",8} {"efficiency",10} {"baseline",9} {"change",8}  tolerance -{allowed:P0}");
        var failures = new List<string>();
        for (int i = 0; i < workloads.Length; i++)
        {
            string name = workloads[i].Name;
            double measured = efficiency[name];
            if (expected is null || !expected.TryGetValue(name, out double baseline))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} {gflops[name],8:F2} {measured,10:P1} {"-",9} {"-",8}"));
                if (expected is not null)
                    failures.Add($"{name}: no baseline for this CPU in {baselinePath}; record one with --regression --update");
                continue;
            }
            double change = measured / baseline - 1;
            bool fails = change < -allowed;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-28} {gflops[name],8:F2} {measured,10:P1} {baseline,9:P1} {change,8:+0.0%;-0.0%}  {(fails ? "REGRESSION" : "ok")}"));
            if (fails)
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: efficiency {measured:P1} of the FMA peak is {-change:P0} below the baseline's {baseline:P1} (tolerance {allowed:P0})"));
        }
        if (expected is null)
        {
            // Which share of the Vector256 peak a workload reaches depends on the core (512-bit FMA units lift the
            // kernels that use them, not the peak), so a baseline holds for the CPU model it was recorded on.
            Console.WriteLine($"Perf regression check SKIPPED: {baselinePath} has no baseline for this CPU ({cpu}); " +
                $"it has {string.Join(", ", baselines.Keys)}. Record one on a quiet machine with --regression --update and commit it.");
            return 0;
        }
        foreach (string failure in failures)
            Console.Error.WriteLine("PERF REGRESSION: " + failure);
        Console.WriteLine(failures.Count == 0 ? "Perf regression check passed." : $"Perf regression check FAILED: {failures.Count} workload(s) past tolerance.");
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// W1 to W4 as perf/README.md defines them, FastSeq side only; FLOP counts only the matrix products, 2 per
    /// multiply-add (backward twice forward), so an efficiency reads as a share of the peak those products could reach.
    /// </summary>
    private static Workload[] Workloads()
    {
        float[] signal = Sine(Benchmarks.Workloads.StreamLength);
        float[] output = new float[1];
        var lstm = new StreamingLstm(seed: 1);
        var gru = new StreamingGru(seed: 1);
        float[] window = Sine(Benchmarks.Workloads.Window);
        var rnnForecaster = new SineRnn(seed: 1);
        var lstmForecaster = new SineLstm(seed: 1);
        SequenceDataset data = Benchmarks.Workloads.SineWindows();
        // One thread: the check times the calling thread's CPU, which would not see a worker's share.
        var rnnTrainer = new Trainer<SineRnn>(new SineRnn(seed: 1), new Adam(1e-3f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = 1 };
        var lstmTrainer = new Trainer<SineLstm>(new SineLstm(seed: 1), new Adam(1e-3f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = 1 };
        Action<EpochResult> onEpochEnd = e => Sink = e.Loss;
        var large = new LargeLstm(seed: 1);
        float[] largeInputs = Benchmarks.Workloads.LargeInputData(), largeGradients = Benchmarks.Workloads.LargeOutputGradients();

        const int T = Benchmarks.Workloads.Window;
        double rnnForecast = T * (Product(1 + 32, 32) + Product(32 + 32, 32)) + Product(32, 1);
        double lstmForecast = T * (Product(1 + 32, 4 * 32) + Product(32 + 32, 4 * 32)) + Product(32, 1);
        return
        [
            new("W1 LSTM(40) Step", signal.Length * (Product(1 + 40, 4 * 40) + Product(40, 1)), () => Stream(signal, output, lstm.Step)),
            new("W1 GRU(40) Step", signal.Length * (Product(1 + 40, 3 * 40) + Product(40, 1)), () => Stream(signal, output, gru.Step)),
            new("W2 RNN(32)x2 Predict", rnnForecast, () => rnnForecaster.Predict(window, output)),
            new("W2 LSTM(32)x2 Predict", lstmForecast, () => lstmForecaster.Predict(window, output)),
            new("W3 RNN(32)x2 Fit epoch", 3 * data.Count * rnnForecast,
                () => rnnTrainer.Fit(data, epochs: 1, batchSize: Benchmarks.Workloads.TrainingBatch, onEpochEnd: onEpochEnd)),
            new("W3 LSTM(32)x2 Fit epoch", 3 * data.Count * lstmForecast,
                () => lstmTrainer.Fit(data, epochs: 1, batchSize: Benchmarks.Workloads.TrainingBatch, onEpochEnd: onEpochEnd)),
            new("W4 LSTM(256) fwd+bwd", Benchmarks.Workloads.LargeFlop, () =>
            {
                large.Forward(largeInputs, Benchmarks.Workloads.LargeBatch);
                large.Backward(largeGradients, Benchmarks.Workloads.LargeBatch);
            }),
        ];
    }

    /// <summary>
    /// FLOP of one vector-matrix product <c>[inputs] x [inputs, outputs]</c>; a recurrent layer's step is one over
    /// <c>[x | h]</c>: <c>inputs = I + H</c>, <c>outputs = gates * H</c>.
    /// </summary>
    private static double Product(int inputs, int outputs) => 2.0 * inputs * outputs;

    private static float[] Sine(int length) => Benchmarks.Workloads.Sine(length);

    private static void Stream(float[] signal, float[] output, StepFunction step)
    {
        float sum = 0;
        for (int t = 0; t < signal.Length; t++)
        {
            step(signal.AsSpan(t, 1), output);
            sum += output[0];
        }
        Sink = sum;
    }

    private delegate void StepFunction(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// Measures <paramref name="workloads"/> with the FMA peak in one pass and keeps each one's best efficiency (its GFLOP/s
    /// over the pass's peak) and GFLOP/s so far; returns the pass's peak in GFLOP/s.
    /// </summary>
    private static double MeasureEfficiencies(Workload[] workloads, int rounds, Dictionary<string, double> efficiency, Dictionary<string, double> gflops)
    {
        Workload peak = new("FMA peak", FmaPeak.Flop, () => Sink = FmaPeak.Run());
        double[] best = Measure([peak, .. workloads], rounds);
        double peakGflops = peak.Flop / best[0];
        for (int i = 0; i < workloads.Length; i++)
        {
            string name = workloads[i].Name;
            double measured = workloads[i].Flop / best[i + 1] / peakGflops;
            if (measured > efficiency.GetValueOrDefault(name))
            {
                efficiency[name] = measured;
                gflops[name] = workloads[i].Flop / best[i + 1];
            }
        }
        return peakGflops;
    }

    /// <summary>Warms every workload up, then times <paramref name="rounds"/> rounds of each in turn; returns each one's best CPU ns per call.</summary>
    private static double[] Measure(Workload[] workloads, int rounds)
    {
        long[] calls = [.. workloads.Select(w => RoundTimer.WarmUp(w.Call, WarmupTime, RoundTime))];
        double[] best = [.. workloads.Select(_ => double.MaxValue)];
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < workloads.Length; i++)
                best[i] = Math.Min(best[i], RoundTimer.NanosecondsPerCall(workloads[i].Call, calls[i]));
        }
        return best;
    }

    /// <summary>lscpu's model name with the CPU family and model, from /proc/cpuinfo; the architecture elsewhere.</summary>
    private static string CpuModel()
    {
        const string CpuInfo = "/proc/cpuinfo";
        if (!File.Exists(CpuInfo))
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        var fields = new Dictionary<string, string>();
        foreach (string line in File.ReadLines(CpuInfo).TakeWhile(line => line.Length > 0))
        {
            string[] parts = line.Split(':', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2)
                fields.TryAdd(parts[0], parts[1]);
        }
        return $"{fields.GetValueOrDefault("model name", "unknown")} (family {fields.GetValueOrDefault("cpu family", "?")} model {fields.GetValueOrDefault("model", "?")})";
    }

    /// <summary>Reads the tolerance and each CPU model's efficiencies.</summary>
    private static (double Tolerance, Dictionary<string, Dictionary<string, double>> Baselines) ReadBaselines(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"No perf regression baseline at {Path.GetFullPath(path)}: run from the repository's root, pass the file's path, or record one with --regression --update.", path);
        JsonNode root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty.");
        double tolerance = root["tolerance"]?.GetValue<double>() ?? throw new InvalidDataException($"{path} has no \"tolerance\".");
        JsonObject baselines = root["baselines"]?.AsObject() ?? throw new InvalidDataException($"{path} has no \"baselines\" object (CPU model -> workload -> efficiency).");
        return (tolerance, baselines.ToDictionary(
            cpu => cpu.Key,
            cpu => cpu.Value!.AsObject().ToDictionary(workload => workload.Key, workload => workload.Value!.GetValue<double>())));
    }

    private static void WriteBaselines(string path, double tolerance, Dictionary<string, Dictionary<string, double>> baselines)
    {
        var root = new JsonObject
        {
            ["tolerance"] = tolerance,
            ["baselines"] = new JsonObject(baselines.Select(cpu => KeyValuePair.Create(cpu.Key, (JsonNode?)new JsonObject(
                cpu.Value.Select(workload => KeyValuePair.Create(workload.Key, (JsonNode?)Math.Round(workload.Value, 4))))))),
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }
}
