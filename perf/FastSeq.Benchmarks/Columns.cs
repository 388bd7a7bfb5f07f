using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FastSeq.Benchmarks;

/// <summary>Floating-point operations one invocation of the benchmark performs.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FlopCountAttribute(double flop) : Attribute
{
    public double Flop { get; } = flop;
}

/// <summary>
/// GFLOP/s from a <see cref="FlopCountAttribute"/> and the measured median, or its fraction of the
/// FMA peak measured in the same summary (the benchmark whose category is "FMA peak").
/// </summary>
public sealed class FlopColumn(bool fractionOfPeak) : IColumn
{
    public string Id => fractionOfPeak ? "FlopPeakFraction" : "GFlops";
    public string ColumnName => fractionOfPeak ? "of FMA peak" : "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => fractionOfPeak ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => fractionOfPeak
        ? "GFLOP/s as a fraction of the Vector256 FMA peak measured in the same run"
        : "Matrix-product FLOP (2 per multiply-add) per second of the median time, 1e9";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => Flop(c) is not null);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gflops = Gflops(summary, benchmarkCase);
        if (gflops is null)
            return "-";
        if (!fractionOfPeak)
            return gflops.Value.ToString("F1", CultureInfo.InvariantCulture);
        BenchmarkCase? peak = summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.Categories.Contains("FMA peak"));
        double? peakGflops = peak is null ? null : Gflops(summary, peak);
        return peakGflops is null ? "-" : (gflops.Value / peakGflops.Value).ToString("P0", CultureInfo.InvariantCulture);
    }

    public override string ToString() => ColumnName;

    private static double? Flop(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<FlopCountAttribute>()?.Flop;

    private static double? Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? flop = Flop(benchmarkCase);
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Median;
        return flop is null || nanoseconds is null or <= 0 ? null : flop.Value / nanoseconds.Value;
    }
}

/// <summary>
/// This benchmark's median over its category's baseline (FastSeq) median: on a machine shared with
/// other work the median moves less than the mean that BenchmarkDotNet's own Ratio uses.
/// </summary>
public sealed class MedianRatioColumn : IColumn
{
    public string Id => "MedianRatio";
    public string ColumnName => "Ratio (median)";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Baseline;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Median time over the median time of the FastSeq baseline of the same category";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => c.Descriptor.Baseline);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        string? group = summary.GetLogicalGroupKey(benchmarkCase);
        BenchmarkCase? baseline = summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.Baseline && summary.GetLogicalGroupKey(c) == group);
        double? median = summary[benchmarkCase]?.ResultStatistics?.Median;
        double? baselineMedian = baseline is null ? null : summary[baseline]?.ResultStatistics?.Median;
        return median is null || baselineMedian is null or <= 0 ? "-" : (median.Value / baselineMedian.Value).ToString("F2", CultureInfo.InvariantCulture);
    }

    public override string ToString() => ColumnName;
}

/// <summary>
/// Streams stepped per second: the benchmark's <c>Streams</c> parameter over its median time per call (W5, where each
/// call steps every stream once).
/// </summary>
public sealed class StreamsPerSecondColumn : IColumn
{
    private const string Parameter = "Streams";

    public string Id => "StreamsPerSecond";
    public string ColumnName => "streams/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 2;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Streams stepped per second: the Streams parameter over the median time per call";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => c.Parameters.Items.Any(p => p.Name == Parameter));

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        object? streams = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == Parameter)?.Value;
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Median;
        return streams is not int count || nanoseconds is null or <= 0 ? "-" : (count / (nanoseconds.Value * 1e-9)).ToString("N0", CultureInfo.InvariantCulture);
    }

    public override string ToString() => ColumnName;
}
