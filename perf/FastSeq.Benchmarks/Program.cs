using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using FastSeq.Benchmarks;

// One command runs every workload: FastSeq rows always, TorchSharp rows when libtorch loads
// (see perf/README.md and perf/peers/setup-torchsharp.sh). Each workload category has FastSeq as
// its baseline, so "Ratio (median)" reads "peer time / FastSeq time". Other modes, for profiling:
// --breakdown (the parts of each FastSeq workload), --profile NAME SECONDS|xCOUNT, --check-torch.
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
               new FlopColumn(fractionOfPeak: false), new FlopColumn(fractionOfPeak: true))
    .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
    .HideColumns(Column.Job, Column.Error, Column.Ratio, Column.RatioSD, Column.AllocRatio)
    .WithOptions(ConfigOptions.DisableLogFile);

if (args is ["--profile", string workload, string duration])
    return ProfileHarness.Run(workload, duration);
if (args is ["--breakdown"])
    return ComponentTimings.Run();

bool torchLoads = TorchPeer.TryLoad(out string reason);
if (args is ["--check-torch"])
{
    Console.WriteLine(torchLoads ? $"TorchSharp loads: libtorch {TorchSharp.torch.__version__}" : "TorchSharp does not load: " + reason);
    return torchLoads ? 0 : 1;
}
if (!torchLoads)
{
    Console.Error.WriteLine("*** TorchSharp peer rows SKIPPED: libtorch did not load through TorchSharp.");
    Console.Error.WriteLine("*** Reason: " + reason);
    Console.Error.WriteLine("*** Run `bash perf/peers/setup-torchsharp.sh` once on this machine (see perf/README.md).");
    config = config.AddFilter(new SimpleFilter(c => !c.Descriptor.WorkloadMethod.Name.StartsWith("Torch", StringComparison.Ordinal)));
}

BenchmarkSwitcher.FromAssembly(typeof(Workloads).Assembly).Run(args, config);
if (!torchLoads)
    Console.Error.WriteLine("*** TorchSharp peer rows were SKIPPED (" + reason + "); run `bash perf/peers/setup-torchsharp.sh`.");
return 0;
