using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using FastSeq.Benchmarks;

// One command runs every workload: FastSeq rows always, TorchSharp rows when libtorch loads
// (see perf/README.md and perf/peers/setup-torchsharp.sh), ONNX Runtime rows (W1, W2, W5) when its
// native library loads, RTNeural rows (W1 at six sizes) when perf/peers/build-rtneural.sh builds it. Each workload category has FastSeq as
// its baseline, so "Ratio (median)" reads "peer time / FastSeq time". Other modes, for profiling:
// --regression [BASELINE] [--update] (CI's check of each workload's efficiency against a baseline, see RegressionCheck),
// --breakdown (the parts of each FastSeq workload), --profile NAME SECONDS|xCOUNT, --check-torch,
// --rtneural [lstm|gru|all] [ROUNDS] [UNITS,UNITS,...] (the RTNeural rows on the thread clock, alternating; all six sizes by default).
var job = Job.Default
    .WithLaunchCount(1)
    .WithWarmupCount(5)
    .WithIterationCount(20)
    .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
    .WithId("FastSeqPerf");

var config = DefaultConfig.Instance
    .AddJob(job.AsDefault())
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(CategoriesColumn.Default, StatisticColumn.Median, StatisticColumn.Min, new MedianRatioColumn(),
               new FlopColumn(fractionOfPeak: false), new FlopColumn(fractionOfPeak: true), new StreamsPerSecondColumn())
    .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
    .HideColumns(Column.Job, Column.Error, Column.Ratio, Column.RatioSD, Column.AllocRatio)
    .WithOptions(ConfigOptions.DisableLogFile);

if (args is ["--profile", string workload, string duration])
    return ProfileHarness.Run(workload, duration);
if (args is ["--regression", .. var regressionArgs])
    return RegressionCheck.Run(regressionArgs);
if (args is ["--breakdown"])
    return ComponentTimings.Run();
if (args is ["--rtneural", .. var rest])
    return RtNeuralComparison.Run(rest.Length > 0 ? rest[0] : "all", rest.Length > 1 ? int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture) : 31,
        rest.Length > 2 ? [.. rest[2].Split(',').Select(u => int.Parse(u, System.Globalization.CultureInfo.InvariantCulture))] : null);

bool torchLoads = TorchPeer.TryLoad(out string torchReason);
if (args is ["--check-torch"])
{
    Console.WriteLine(torchLoads ? $"TorchSharp loads: libtorch {TorchSharp.torch.__version__}" : "TorchSharp does not load: " + torchReason);
    return torchLoads ? 0 : 1;
}
bool onnxLoads = OnnxPeer.TryLoad(out string onnxReason);
bool rtNeuralLoads = RtNeuralPeer.TryLoad(out string rtNeuralReason);

// A peer whose native library does not load is skipped, loudly: at the start and again at the end.
(string Rows, string Prefix, bool Loads, string Reason, string Remedy)[] peers =
[
    ("TorchSharp", "Torch", torchLoads, torchReason, "run `bash perf/peers/setup-torchsharp.sh` once on this machine (see perf/README.md)"),
    ("ONNX Runtime", "Onnx", onnxLoads, onnxReason, "check that the Microsoft.ML.OnnxRuntime package restored its native library for this platform"),
    ("RTNeural", "RtNeural", rtNeuralLoads, rtNeuralReason, "see perf/README.md: RTNEURAL_DIR, libeigen3-dev, nlohmann-json3-dev and g++ for perf/peers/build-rtneural.sh"),
];
foreach (var peer in peers.Where(p => !p.Loads))
{
    Console.Error.WriteLine($"*** {peer.Rows} peer rows SKIPPED: {peer.Reason}");
    Console.Error.WriteLine($"*** To get them: {peer.Remedy}.");
    config = config.AddFilter(new SimpleFilter(c => !c.Descriptor.WorkloadMethod.Name.StartsWith(peer.Prefix, StringComparison.Ordinal)));
}

BenchmarkSwitcher.FromAssembly(typeof(Workloads).Assembly).Run(args, config);
foreach (var peer in peers.Where(p => !p.Loads))
    Console.Error.WriteLine($"*** {peer.Rows} peer rows were SKIPPED ({peer.Reason}); to get them: {peer.Remedy}.");
return 0;
